#include "render/layer_apply.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <string>

#include "base/fs.hpp"
#include "c/archive.hpp"
#include "tar_fixture.hpp"
#include "temp_dir.hpp"

#include <CppUTest/TestHarness.h>

using namespace ocipod;
using namespace ocipod::test;

namespace {

class StringSource : public ByteSource {
public:
    explicit StringSource(std::string s) : s_(std::move(s)) {}
    Result<size_t> read(void* buf, size_t len) override {
        size_t n = std::min(len, s_.size() - off_);
        memcpy(buf, s_.data() + off_, n);
        off_ += n;
        return n;
    }

private:
    std::string s_;
    size_t off_ = 0;
};

bool skip_unless_root() {
    if (geteuid() == 0) return false;
    printf("\n  skipped: applying layers needs root (chown, mknod, trusted.* xattrs)\n");
    return true;
}

}  // namespace

TEST_GROUP(LayerApply) {
    TempDir* tmp = nullptr;
    std::string diff;     // the diff directory of the layer under test
    std::string outside;  // the sentinel directory, outside every diff directory
    int diff_fd = -1;
    struct stat sentinel_st = {};
    LayerApplyOptions options;
    std::vector<int> lower_fds;
    LowerDirs lowers;  // topmost first

    void setup() override {
        tmp = new TempDir("apply");
        diff = *tmp / "diff";
        outside = *tmp / "outside";
        mkdir(diff.c_str(), 0755);
        mkdir(outside.c_str(), 0755);
        FILE* f = fopen((outside + "/sentinel").c_str(), "w");
        if (f) {
            fputs("sentinel data", f);
            fclose(f);
        }
        chmod((outside + "/sentinel").c_str(), 0640);
        lstat((outside + "/sentinel").c_str(), &sentinel_st);
        diff_fd = open(diff.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    }
    void teardown() override {
        check_sentinel();
        close(diff_fd);
        for (int fd : lower_fds) close(fd);
        delete tmp;
    }

    // The sentinel directory holds only the untouched sentinel (content, mode, owner, mtime).
    void check_sentinel() {
        struct stat st;
        CHECK(lstat((outside + "/sentinel").c_str(), &st) == 0);
        LONGS_EQUAL(sentinel_st.st_ino, st.st_ino);
        LONGS_EQUAL(sentinel_st.st_mode, st.st_mode);
        LONGS_EQUAL(sentinel_st.st_uid, st.st_uid);
        LONGS_EQUAL(sentinel_st.st_nlink, st.st_nlink);
        LONGS_EQUAL(sentinel_st.st_mtim.tv_sec, st.st_mtim.tv_sec);
        LONGS_EQUAL(sentinel_st.st_mtim.tv_nsec, st.st_mtim.tv_nsec);
        STRCMP_EQUAL("sentinel data", read(outside + "/sentinel").c_str());
        size_t entries = 0;
        if (DIR* d = opendir(outside.c_str())) {
            while (struct dirent* de = readdir(d)) entries += de->d_name[0] != '.';
            closedir(d);
        }
        LONGS_EQUAL(1, entries);
    }

    Result<LayerApplyResult> apply_to(int fd, const std::string& tar, const LowerDirs* low) {
        StringSource src(tar);
        auto reader = TarReader::open_source(&src);
        if (!reader) return std::move(reader).error();
        return apply_layer(*reader, fd, low, options, "test-layer");
    }
    Result<LayerApplyResult> apply(const TarBuilder& t, const LowerDirs* low = nullptr) {
        return apply_to(diff_fd, t.finish(), low);
    }
    void applied(const TarBuilder& t, const LowerDirs* low = nullptr) {
        auto r = apply(t, low);
        if (!r) FAIL(r.error().message.c_str());
    }
    // The error message, or "" if the layer applied.
    std::string refused(const TarBuilder& t, const LowerDirs* low = nullptr) {
        auto r = apply(t, low);
        CHECK_TEXT(!r.ok(), "the layer applied");
        return r ? "" : r.error().message;
    }
    // A complete lower layer made from t, added below the ones made before.
    void lower(const TarBuilder& t) {
        std::string dir = *tmp / ("lower" + std::to_string(lower_fds.size()));
        mkdir(dir.c_str(), 0755);
        int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        LowerDirs below(lowers);
        auto r = apply_to(fd, t.finish(), &below);
        if (!r) FAIL(r.error().message.c_str());
        lower_fds.push_back(fd);
        lowers.insert(lowers.begin(), fd);
    }

    std::string p(const std::string& rel) const {
        return diff + "/" + rel;
    }
    struct stat lst(const std::string& rel) {
        struct stat st = {};
        if (lstat(p(rel).c_str(), &st) < 0) st.st_mode = 0;
        return st;
    }
    bool exists(const std::string& rel) {
        return lst(rel).st_mode != 0;
    }
    bool is_whiteout(const std::string& rel) {
        struct stat st = lst(rel);
        return S_ISCHR(st.st_mode) && st.st_rdev == 0;
    }
    std::string read(const std::string& path) {
        auto r = read_file_capped(AT_FDCWD, path, 1 << 20);
        return r ? *r : "<unreadable>";
    }
    std::string content(const std::string& rel) {
        return read(p(rel));
    }
    std::string xattr(const std::string& rel, const char* name) {
        char v[256];
        ssize_t n = lgetxattr(p(rel).c_str(), name, v, sizeof v);
        return n < 0 ? "<none>" : std::string(v, static_cast<size_t>(n));
    }
    bool opaque(const std::string& rel) {
        return xattr(rel, "trusted.overlay.opaque") == "y";
    }
};

// --- A. names and paths

TEST(LayerApply, WritesFilesDirsAndMetadata) {
    if (skip_unless_root()) return;
    TarBuilder t;
    t.add(TarMember::dir("d/").with_mode(0750).with_owner(12, 34).with_mtime(1600000000));
    t.add(TarMember::file("d/f", "hello")
              .with_mode(0640)
              .with_owner(1000, 1001)
              .with_pax("mtime", "1700000000.123456789"));
    t.add(TarMember::fifo("d/fifo").with_mode(0620));
    auto r = apply(t);
    CHECK_TEXT(r.ok(), r ? "" : r.error().message.c_str());
    LONGS_EQUAL(3, r->report.entries);
    LONGS_EQUAL(1, r->report.files);
    LONGS_EQUAL(5, r->report.bytes_written);
    CHECK(r->fixups == nullptr);
    STRCMP_EQUAL("hello", content("d/f").c_str());
    struct stat f = lst("d/f");
    LONGS_EQUAL(0100640, f.st_mode);
    LONGS_EQUAL(1000, f.st_uid);
    LONGS_EQUAL(1001, f.st_gid);
    LONGS_EQUAL(1700000000, f.st_mtim.tv_sec);
    LONGS_EQUAL(123456789, f.st_mtim.tv_nsec);
    // Directory times last, after its children were made (THREATS 54).
    struct stat d = lst("d");
    LONGS_EQUAL(040750, d.st_mode);
    LONGS_EQUAL(12, d.st_uid);
    LONGS_EQUAL(1600000000, d.st_mtim.tv_sec);
    struct stat fifo = lst("d/fifo");
    CHECK(S_ISFIFO(fifo.st_mode));
    LONGS_EQUAL(0620, fifo.st_mode & 07777);
}

TEST(LayerApply, RefusesTraversalNames) {  // THREATS 1, 3, 21
    if (skip_unless_root()) return;
    for (const char* name :
         {"../../outside/sentinel", "a/../../outside/x", "./../x", "a/./../.."}) {
        std::string e = refused(TarBuilder().file(name, "evil"));
        CHECK_TEXT(e.find("refusing") != std::string::npos, e.c_str());
    }
    refused(TarBuilder().file("f", "x").hardlink("l", "../../outside/sentinel"));
    refused(TarBuilder().file("f", "x").hardlink("l", "/../outside/sentinel"));
    CHECK(!exists("l"));
}

TEST(LayerApply, RefusesRootTypeChanges) {  // THREATS 4, 5, 6
    if (skip_unless_root()) return;
    refused(TarBuilder().file(".", "x"));
    refused(TarBuilder().file("/", "x"));
    refused(TarBuilder().symlink(".", "/").file("etc/x", "evil"));
    CHECK(!exists("etc"));
    TarBuilder root;
    root.add(TarMember::dir("./").with_mode(0711).with_mtime(1500000000));
    root.file("f", "x");
    applied(root);
    struct stat st;
    CHECK(fstat(diff_fd, &st) == 0);
    LONGS_EQUAL(040711, st.st_mode);
    LONGS_EQUAL(1500000000, st.st_mtim.tv_sec);
}

TEST(LayerApply, GnuLongNamesAndDanglingOnes) {  // THREATS 8
    if (skip_unless_root()) return;
    std::string longname = std::string(150, 'n') + "/" + std::string(120, 'm');
    TarBuilder t;
    t.gnu_longname(longname).add(TarMember::file(longname, "long"));
    applied(t);
    STRCMP_EQUAL("long", content(longname).c_str());
    TarBuilder dangling;
    dangling.gnu_longname("dangling");
    refused(dangling);
}

TEST(LayerApply, DuplicatesLastWinsAfterUnlinking) {  // THREATS 10
    if (skip_unless_root()) return;
    TarBuilder t;
    t.file("f", "one").hardlink("keep", "f").file("f", "two");
    t.dir("d/").file("d/child", "c").file("d", "now a file");
    applied(t);
    STRCMP_EQUAL("two", content("f").c_str());
    // The earlier inode was unlinked, not written through: its other name keeps the old data.
    STRCMP_EQUAL("one", content("keep").c_str());
    CHECK(S_ISREG(lst("d").st_mode));
}

TEST(LayerApply, CorruptHeaderFails) {  // THREATS 66
    if (skip_unless_root()) return;
    TarBuilder t;
    t.file("a", "1").file("b", "2").file("c", "3").damage_header(1);
    std::string e = refused(t);
    CHECK_TEXT(e.find("test-layer") != std::string::npos, e.c_str());
}

// --- B. symlinks

TEST(LayerApply, AbsoluteSymlinkParentStaysInRoot) {  // THREATS 11
    if (skip_unless_root()) return;
    applied(TarBuilder().symlink("localetc", outside).file("localetc/unbroken", "in root"));
    STRCMP_EQUAL("in root", content(outside.substr(1) + "/unbroken").c_str());
    CHECK(S_ISLNK(lst("localetc").st_mode));
}

TEST(LayerApply, RelativeSymlinkClampsAtRoot) {  // THREATS 12
    if (skip_unless_root()) return;
    applied(
        TarBuilder().symlink("localetc", "../../../../../../../../etc").file("localetc/x", "x"));
    STRCMP_EQUAL("x", content("etc/x").c_str());
}

TEST(LayerApply, SymlinkChainsStayInRoot) {  // THREATS 13
    if (skip_unless_root()) return;
    TarBuilder t;
    t.dir("dummy/").symlink("dummy/etc", outside).symlink("localetc", "dummy/etc");
    t.file("localetc/x", "chained");
    applied(t);
    STRCMP_EQUAL("chained", content(outside.substr(1) + "/x").c_str());
}

TEST(LayerApply, SymlinkReplacingDirectory) {  // THREATS 14
    if (skip_unless_root()) return;
    TarBuilder t;
    t.dir("d/").file("d/old", "old").symlink("d", "../../" + outside).file("d/x", "x");
    t.hardlink("d/y", "d/x");
    applied(t);
    CHECK(S_ISLNK(lst("d").st_mode));
    STRCMP_EQUAL("x", content(outside.substr(1) + "/x").c_str());
    LONGS_EQUAL(lst(outside.substr(1) + "/x").st_ino, lst(outside.substr(1) + "/y").st_ino);
}

TEST(LayerApply, DirectoryReplacingSymlink) {  // THREATS 15
    if (skip_unless_root()) return;
    TarBuilder t;
    t.dir("target/").file("target/keep", "k").symlink("l", "target").dir("l/").file("l/new", "n");
    applied(t);
    CHECK(S_ISDIR(lst("l").st_mode));
    STRCMP_EQUAL("n", content("l/new").c_str());
    CHECK(!exists("target/new"));
    STRCMP_EQUAL("k", content("target/keep").c_str());
}

TEST(LayerApply, SymlinkOverridePath) {  // THREATS 16
    if (skip_unless_root()) return;
    TarBuilder t;
    t.file("foo/outside/sentinel", "first").symlink("foo", outside.substr(0, outside.rfind('/')));
    t.file("foo/outside/sentinel", "second").dir("foo/");
    applied(t);
    CHECK(S_ISDIR(lst("foo").st_mode));
    STRCMP_EQUAL("second", content(outside.substr(1) + "/sentinel").c_str());
}

TEST(LayerApply, SymlinkLoopFailsWithEloop) {  // THREATS 17
    if (skip_unless_root()) return;
    auto r = apply(TarBuilder().symlink("a", "b").symlink("b", "a").file("a/x", "x"));
    CHECK(!r.ok());
    LONGS_EQUAL(ELOOP, r.error().code);
}

TEST(LayerApply, SymlinkTargetLengthLimit) {  // THREATS 18
    // libarchive 3.6 takes a PAX linkpath only when the ustar link field is set too, as
    // Python's tarfile and GNU tar write it.
    if (skip_unless_root()) return;
    std::string ok(4095, 'a'), bad(4096, 'a');
    for (size_t i = 100; i < ok.size(); i += 100) ok[i] = bad[i] = '/';
    applied(TarBuilder().add(TarMember::symlink("ok", ok).with_pax("linkpath", ok)));
    char buf[5000];
    LONGS_EQUAL(4095, readlink(p("ok").c_str(), buf, sizeof buf));
    refused(TarBuilder().add(TarMember::symlink("bad", bad).with_pax("linkpath", bad)));
    CHECK(!exists("bad"));
}

TEST(LayerApply, WhiteoutNamedSymlinkIsAWhiteout) {  // THREATS 20, 46
    if (skip_unless_root()) return;
    TarBuilder t;
    t.symlink(".wh.x", "/etc").file(".wh.y", "ignored data").file("z", "z");
    applied(t);
    CHECK(is_whiteout("x"));
    CHECK(is_whiteout("y"));
    CHECK(!exists(".wh.x"));
    CHECK(!exists(".wh.y"));
    STRCMP_EQUAL("z", content("z").c_str());
}

// --- C. hard links

TEST(LayerApply, HardlinkThroughSymlinkedParent) {  // THREATS 22
    if (skip_unless_root()) return;
    TarBuilder t;
    t.file("etc/passwd", "root").dir("breakouts/").symlink("breakouts/d1", "../../etc");
    t.hardlink("p2", "breakouts/d1/passwd");
    applied(t);
    LONGS_EQUAL(lst("etc/passwd").st_ino, lst("p2").st_ino);
}

TEST(LayerApply, HardlinkToSymlinkLinksTheSymlink) {  // THREATS 23, 24
    if (skip_unless_root()) return;
    TarBuilder t;
    t.symlink("passwdlink", outside + "/sentinel");
    t.add(TarMember::hardlink("l", "passwdlink").with_mode(0777));
    applied(t);
    CHECK(S_ISLNK(lst("l").st_mode));
    LONGS_EQUAL(lst("passwdlink").st_ino, lst("l").st_ino);
}

TEST(LayerApply, HardlinkWithDataFails) {  // THREATS 25
    if (skip_unless_root()) return;
    TarBuilder t;
    t.file("x", "original");
    t.add(TarMember::hardlink("l", "x").with_data("payload").with_pax("comment", "pax"));
    refused(t);
    STRCMP_EQUAL("original", content("x").c_str());
}

TEST(LayerApply, HardlinkToItselfFails) {  // THREATS 26
    if (skip_unless_root()) return;
    std::string e = refused(TarBuilder().file("x", "x").hardlink("x", "x"));
    CHECK_TEXT(e.find("itself") != std::string::npos, e.c_str());
    STRCMP_EQUAL("x", content("x").c_str());
}

TEST(LayerApply, HardlinkToDirectoryFails) {  // THREATS 28
    if (skip_unless_root()) return;
    refused(TarBuilder().dir("d/").hardlink("l", "d"));
    CHECK(!exists("l"));
}

TEST(LayerApply, HardlinkToWhitedOutTargetFails) {  // THREATS 29
    if (skip_unless_root()) return;
    refused(TarBuilder().file(".wh.f", "").hardlink("l", "f"));
    CHECK(!exists("l"));
    lower(TarBuilder().file("g", "lower"));
    refused(TarBuilder().file(".wh.g", "").hardlink("l", "g"), &lowers);
    CHECK(!exists("l"));
}

TEST(LayerApply, HardlinkToMissingTargetFailsWithLowers) {  // THREATS 27
    if (skip_unless_root()) return;
    lower(TarBuilder().file("present", "p"));
    refused(TarBuilder().hardlink("l", "absent"), &lowers);
    CHECK(!exists("l"));
}

// --- D. whiteouts in overlay form

TEST(LayerApply, MalformedWhiteoutsFail) {  // THREATS 31, 32
    if (skip_unless_root()) return;
    for (const char* name : {".wh.", ".wh..", "etc/.wh..", ".wh...", "etc/.wh..."})
        refused(TarBuilder().file(name, ""));
}

TEST(LayerApply, WhiteoutOfLowerSymlinkRemovesTheSymlink) {  // THREATS 33
    if (skip_unless_root()) return;
    lower(TarBuilder().dir("etc/").file("etc/keep", "k").symlink("localetc", "/etc"));
    applied(TarBuilder().file(".wh.localetc", ""), &lowers);
    CHECK(is_whiteout("localetc"));
    CHECK(!exists("etc"));
}

TEST(LayerApply, WhiteoutThroughLowerSymlinkParent) {  // THREATS 34
    if (skip_unless_root()) return;
    lower(TarBuilder()
              .add(TarMember::dir("etc/").with_mode(0700).with_owner(5, 6))
              .file("etc/whitedout", "w")
              .symlink("localetc", "/etc"));
    applied(TarBuilder().file("localetc/.wh.whitedout", ""), &lowers);
    CHECK(is_whiteout("etc/whitedout"));
    CHECK(!exists("localetc"));
    // The parent was copied up with the lower directory's metadata.
    LONGS_EQUAL(040700, lst("etc").st_mode);
    LONGS_EQUAL(5, lst("etc").st_uid);
}

TEST(LayerApply, WhiteoutThroughLowerSymlinkSettledByFixups) {  // THREATS 34, parallel
    if (skip_unless_root()) return;
    lower(TarBuilder().dir("etc/").file("etc/whitedout", "w").symlink("localetc", "/etc"));
    auto r = apply(TarBuilder().file("localetc/.wh.whitedout", ""));
    CHECK(r.ok());
    CHECK(r->fixups != nullptr);
    CHECK(!exists("etc"));
    auto done = apply_fixups(diff_fd, lowers, *r->fixups);
    CHECK(done.ok());
    CHECK(*done);
    CHECK(is_whiteout("etc/whitedout"));
}

TEST(LayerApply, WhiteoutUnderDanglingSymlinkIsNoop) {  // THREATS 35, 37
    if (skip_unless_root()) return;
    lower(TarBuilder().symlink("localetc", "/dne").file("present", "p"));
    applied(TarBuilder().file("localetc/.wh.etc", "").file(".wh.absent", ""), &lowers);
    CHECK(!exists("dne"));
    CHECK(!exists("absent"));
    CHECK(!exists("localetc"));
}

TEST(LayerApply, OpaqueAfterChildrenKeepsThem) {  // THREATS 38, 47
    if (skip_unless_root()) return;
    lower(TarBuilder().dir("a/").file("a/old", "old"));
    applied(TarBuilder().file("a/b/c/foo", "foo").file("a/.wh..wh..opq", ""), &lowers);
    CHECK(opaque("a"));
    STRCMP_EQUAL("foo", content("a/b/c/foo").c_str());
    CHECK(!exists("a/old"));
    CHECK(!opaque("a/b"));
}

TEST(LayerApply, WhiteoutLeavesThisLayersEntry) {  // THREATS 39
    if (skip_unless_root()) return;
    applied(TarBuilder().file("a/f", "mine").file("a/.wh.f", "").dir("a/d/").file("a/.wh.d", ""));
    STRCMP_EQUAL("mine", content("a/f").c_str());
    // A directory of this layer that is whited out hides the lower one's children.
    CHECK(opaque("a/d"));
}

TEST(LayerApply, WhiteoutThenRecreateIsOpaque) {  // THREATS 40
    if (skip_unless_root()) return;
    applied(TarBuilder().dir("a/").file("a/.wh.b", "").dir("a/b/").file("a/b/new", "n"));
    CHECK(S_ISDIR(lst("a/b").st_mode));
    CHECK(opaque("a/b"));
    STRCMP_EQUAL("n", content("a/b/new").c_str());
    // Without the lowers the directory of a whiteout is settled by the fixups.
    auto r = apply(TarBuilder().file("c/.wh.d", "").file("c/d/new", "n"));
    CHECK(r.ok());
    CHECK(r->fixups != nullptr);
    auto done = apply_fixups(diff_fd, LowerDirs{}, *r->fixups);
    CHECK(done.ok() && *done);
    CHECK(opaque("c/d"));
}

TEST(LayerApply, FileOverLowerDirectory) {  // THREATS 41 (overlay form: the file hides the dir)
    if (skip_unless_root()) return;
    lower(TarBuilder().dir("x/").file("x/child", "c"));
    applied(TarBuilder().file("x", "file"), &lowers);
    CHECK(S_ISREG(lst("x").st_mode));
    STRCMP_EQUAL("file", content("x").c_str());
}

TEST(LayerApply, OpaqueRootAndAufsMetadata) {  // THREATS 44, 45
    if (skip_unless_root()) return;
    applied(TarBuilder()
                .file("kept", "k")
                .file(".wh..wh..opq", "")
                .dir(".wh..wh.plnk/")
                .file(".wh..wh.orph", "x"));
    char v[4];
    LONGS_EQUAL(1, fgetxattr(diff_fd, "trusted.overlay.opaque", v, sizeof v));
    STRCMP_EQUAL("k", content("kept").c_str());
    CHECK(!exists(".wh..wh.plnk"));
    CHECK(!exists(".wh..wh.orph"));
}

// --- E. special files, owners, modes, xattrs

TEST(LayerApply, DevicesOnlyWhenAllowed) {  // THREATS 48, 49, 50
    if (skip_unless_root()) return;
    std::string e = refused(TarBuilder().add(TarMember::device("null", '3', 1, 3)));
    CHECK_TEXT(e.find("device") != std::string::npos, e.c_str());
    options.create_devices = true;
    refused(TarBuilder().add(TarMember::device("wh", '3', 0, 0)));
    refused(TarBuilder().add(TarMember::device("big", '3', 5000, 1)));
    refused(TarBuilder().add(TarMember::device("big", '4', 1, 2000000)));
    applied(TarBuilder().add(TarMember::device("null", '3', 1, 3).with_mode(0666)));
    struct stat st = lst("null");
    CHECK(S_ISCHR(st.st_mode));
    LONGS_EQUAL(makedev(1, 3), st.st_rdev);
    LONGS_EQUAL(0666, st.st_mode & 07777);
}

TEST(LayerApply, SetuidSurvivesChown) {  // THREATS 52
    if (skip_unless_root()) return;
    TarBuilder t;
    t.add(TarMember::file("su", "x").with_mode(04755));
    t.add(TarMember::file("sg", "x").with_mode(02755).with_owner(1000, 1000));
    t.add(TarMember::dir("tmp/").with_mode(01777));
    applied(t);
    LONGS_EQUAL(0104755, lst("su").st_mode);
    LONGS_EQUAL(0102755, lst("sg").st_mode);
    LONGS_EQUAL(1000, lst("sg").st_uid);
    LONGS_EQUAL(041777, lst("tmp").st_mode);
}

TEST(LayerApply, OwnerIdRange) {  // THREATS 53
    if (skip_unless_root()) return;
    applied(TarBuilder().add(
        TarMember::file("big", "x").with_pax("uid", "2147483648").with_pax("gid", "4294967294")));
    LONGS_EQUAL(2147483648u, lst("big").st_uid);
    LONGS_EQUAL(4294967294u, lst("big").st_gid);
    refused(TarBuilder().add(TarMember::file("m1", "x").with_pax("uid", "4294967295")));
    refused(TarBuilder().add(TarMember::file("over", "x").with_pax("gid", "4294967296")));
    CHECK(!exists("m1"));
    CHECK(!exists("over"));
}

TEST(LayerApply, XattrPolicy) {  // THREATS 55, 56, 57, 58
    if (skip_unless_root()) return;
    // VFS_CAP_REVISION_2 with CAP_NET_RAW permitted and effective.
    std::string caps(
        "\x01\x00\x00\x02\x00\x20\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00", 20);
    TarBuilder t;
    t.add(TarMember::file("ping", "x")
              .with_mode(0755)
              .with_owner(0, 0)
              .with_xattr("security.capability", caps)
              .with_xattr("user.note", "hello")
              .with_xattr("security.selinux", "system_u:object_r:shadow_t:s0")
              .with_xattr("trusted.overlay.redirect", "/etc"));
    t.add(TarMember::dir("d/").with_xattr("trusted.overlay.opaque", "y"));
    t.add(TarMember::symlink("s", "ping").with_xattr("user.onlink", "v"));
    applied(t);
    STRCMP_EQUAL("hello", xattr("ping", "user.note").c_str());
    LONGS_EQUAL(20, xattr("ping", "security.capability").size());
    STRCMP_EQUAL("<none>", xattr("ping", "trusted.overlay.redirect").c_str());
    CHECK(xattr("ping", "security.selinux").find("shadow_t") == std::string::npos);
    CHECK(!opaque("d"));
    STRCMP_EQUAL("<none>", xattr("ping", "user.onlink").c_str());
}

TEST(LayerApply, XattrBounds) {  // THREATS 59
    if (skip_unless_root()) return;
    refused(TarBuilder().add(
        TarMember::file("v", "x").with_xattr("user.big", std::string(65537, 'v'))));
    refused(TarBuilder().add(
        TarMember::file("n", "x").with_xattr("user." + std::string(251, 'n'), "v")));
    TarMember many = TarMember::file("c", "x");
    for (int i = 0; i < 600; ++i) many.with_xattr("trusted.x" + std::to_string(i), "v");
    refused(TarBuilder().add(many));
    CHECK(!exists("v"));
    CHECK(!exists("n"));
    CHECK(!exists("c"));
}

// --- F. sizes and counts

TEST(LayerApply, SparseEntryFails) {  // THREATS 62
    if (skip_unless_root()) return;
    TarMember m = TarMember::file("sparse", "");
    m.with_pax("GNU.sparse.size", "1099511627776")
        .with_pax("GNU.sparse.numblocks", "1")
        .with_pax("GNU.sparse.map", "1099511627775,0");
    std::string e = refused(TarBuilder().add(m));
    CHECK_TEXT(e.find("sparse") != std::string::npos, e.c_str());
    CHECK(!exists("sparse"));
}

TEST(LayerApply, EntryCountQuota) {  // THREATS 63
    if (skip_unless_root()) return;
    options.max_entries = 3;
    applied(TarBuilder().file("1", "").file("2", "").file("3", ""));
    std::string e = refused(TarBuilder().file("1", "").file("2", "").file("3", "").file("4", ""));
    CHECK_TEXT(e.find("entries") != std::string::npos, e.c_str());
    CHECK(!exists("4"));
}

// --- fixups: a layer applied before its lower layers

TEST(LayerApply, ImplicitDirCopiesLowerMetadata) {
    if (skip_unless_root()) return;
    lower(TarBuilder().add(TarMember::dir("usr/")
                               .with_mode(0750)
                               .with_owner(7, 8)
                               .with_mtime(1400000000)
                               .with_xattr("user.dir", "lower")));
    auto r = apply(TarBuilder().file("usr/bin/sh", "sh"));
    CHECK(r.ok());
    CHECK(r->fixups != nullptr);
    LONGS_EQUAL(040755, lst("usr").st_mode);
    auto done = apply_fixups(diff_fd, lowers, *r->fixups);
    CHECK_TEXT(done.ok(), done ? "" : done.error().message.c_str());
    CHECK(*done);
    struct stat st = lst("usr");
    LONGS_EQUAL(040750, st.st_mode);
    LONGS_EQUAL(7, st.st_uid);
    LONGS_EQUAL(8, st.st_gid);
    LONGS_EQUAL(1400000000, st.st_mtim.tv_sec);
    STRCMP_EQUAL("lower", xattr("usr", "user.dir").c_str());
    // A directory missing from the lower layers too stays a plain one.
    LONGS_EQUAL(040755, lst("usr/bin").st_mode);
}

TEST(LayerApply, ImplicitDirWithLowersKnown) {
    if (skip_unless_root()) return;
    lower(TarBuilder().add(
        TarMember::dir("usr/").with_mode(0750).with_owner(7, 8).with_mtime(1400000000)));
    auto r = apply(TarBuilder().file("usr/bin/sh", "sh"), &lowers);
    CHECK(r.ok());
    CHECK(r->fixups == nullptr);
    struct stat st = lst("usr");
    LONGS_EQUAL(040750, st.st_mode);
    LONGS_EQUAL(7, st.st_uid);
    LONGS_EQUAL(1400000000, st.st_mtim.tv_sec);
}

TEST(LayerApply, LowerSymlinkParentNeedsRedo) {  // THREATS 11-13 across layers
    if (skip_unless_root()) return;
    lower(TarBuilder().dir("usr/").dir("usr/lib/").symlink("lib", "usr/lib"));
    TarBuilder upper;
    upper.file("lib/libc.so", "libc");
    auto r = apply(upper);
    CHECK(r.ok());
    CHECK(r->fixups != nullptr);
    auto done = apply_fixups(diff_fd, lowers, *r->fixups);
    CHECK(done.ok());
    CHECK_FALSE(*done);
    CHECK(remove_tree(AT_FDCWD, diff).ok());
    mkdir(diff.c_str(), 0755);
    close(diff_fd);
    diff_fd = open(diff.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    applied(upper, &lowers);
    STRCMP_EQUAL("libc", content("usr/lib/libc.so").c_str());
    CHECK(!exists("lib"));
}

TEST(LayerApply, LowerHardlinkBecomesCopy) {  // THREATS 30
    if (skip_unless_root()) return;
    lower(TarBuilder().add(TarMember::file("bin/busybox", "BB")
                               .with_mode(0755)
                               .with_owner(3, 4)
                               .with_mtime(1300000000)));
    auto r = apply(TarBuilder().dir("bin/").hardlink("bin/sh", "bin/busybox"));
    CHECK(r.ok());
    CHECK(r->fixups != nullptr);
    CHECK(!exists("bin/sh"));
    auto done = apply_fixups(diff_fd, lowers, *r->fixups);
    CHECK_TEXT(done.ok(), done ? "" : done.error().message.c_str());
    CHECK(*done);
    struct stat st = lst("bin/sh");
    CHECK(S_ISREG(st.st_mode));
    LONGS_EQUAL(0755, st.st_mode & 07777);
    LONGS_EQUAL(3, st.st_uid);
    LONGS_EQUAL(1300000000, st.st_mtim.tv_sec);
    STRCMP_EQUAL("BB", content("bin/sh").c_str());
    CHECK(!exists("bin/busybox"));
    // With the lowers known the copy is made at once.
    applied(TarBuilder().hardlink("sh2", "bin/busybox"), &lowers);
    STRCMP_EQUAL("BB", content("sh2").c_str());
}
