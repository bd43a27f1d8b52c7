// The two root file system builders over the same hand-made overlay diff dirs: the flattened copy
// and the overlay mount must show identical trees (type, mode, owner, size, content, symlink
// target, device number, mtime, user.* and security.capability xattrs), plus the single rules
// (whiteouts, opaque dirs, type changes, hard links, no data shared with the layers), trees deeper
// than PATH_MAX (THREATS.md 7) and a 200-layer overlay.
#include <dirent.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <map>

#include "render/rootfs.hpp"
#include "temp_dir.hpp"

// Last: CppUTest redefines new, which the standard headers above must not see.
#include <CppUTest/TestHarness.h>

using namespace ocipod;
using namespace ocipod::test;

namespace {

bool skip_unless_root(const char* what) {
    if (geteuid() == 0) return false;
    printf("\n  skipped %s: needs root (overlay mounts, chown, trusted.* xattrs)\n", what);
    return true;
}

// A little file-system builder for diff dirs; records the file bytes it writes (the flattener's
// expected bytes_copied) and fails the test on any error.
struct Builder {
    uint64_t bytes = 0;

    void dir(const std::string& path, mode_t mode = 0755) {
        CHECK_TEXT(mkdir(path.c_str(), mode) == 0 || errno == EEXIST, path.c_str());
        CHECK_TEXT(chmod(path.c_str(), mode) == 0, path.c_str());
    }
    void file(const std::string& path, std::string_view data, mode_t mode = 0644, uid_t uid = 0,
              gid_t gid = 0) {
        int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        CHECK_TEXT(fd >= 0, path.c_str());
        CHECK(write_all(fd, data).ok());
        CHECK(fchown(fd, uid, gid) == 0);
        CHECK(fchmod(fd, mode) == 0);
        close(fd);
        bytes += data.size();
    }
    void whiteout(const std::string& path) {
        CHECK_TEXT(mknod(path.c_str(), S_IFCHR | 0600, makedev(0, 0)) == 0, path.c_str());
    }
    void opaque(const std::string& path) {
        CHECK_TEXT(setxattr(path.c_str(), "trusted.overlay.opaque", "y", 1, 0) == 0, path.c_str());
    }
    void xattr(const std::string& path, const char* name, std::string_view value) {
        CHECK_TEXT(lsetxattr(path.c_str(), name, value.data(), value.size(), 0) == 0, name);
    }
    void mtime(const std::string& path, time_t sec, long nsec = 0) {
        struct timespec ts[2] = {{sec, nsec}, {sec, nsec}};
        CHECK_TEXT(utimensat(AT_FDCWD, path.c_str(), ts, AT_SYMLINK_NOFOLLOW) == 0, path.c_str());
    }
};

std::string read_text(const std::string& path) {
    auto r = read_file_capped(AT_FDCWD, path, 1 << 20);
    return r ? r.take() : std::string("<unreadable>");
}

std::string xattr_of(const std::string& path, const char* name) {
    char buf[256];
    ssize_t n = lgetxattr(path.c_str(), name, buf, sizeof buf);
    return n < 0 ? std::string("<none>") : std::string(buf, static_cast<size_t>(n));
}

std::vector<std::string> names_in(const std::string& dir) {
    auto fd = open_dir(AT_FDCWD, dir, false);
    CHECK_TEXT(fd.ok(), dir.c_str());
    std::vector<std::string> out;
    DIR* d = fdopendir(fd->release());
    while (struct dirent* de = readdir(d))
        if (std::string_view(de->d_name) != "." && std::string_view(de->d_name) != "..")
            out.emplace_back(de->d_name);
    closedir(d);
    std::sort(out.begin(), out.end());
    return out;
}

// One line per property of path, for an exact comparison of two trees.
std::string describe(const std::string& path) {
    struct stat st;
    if (lstat(path.c_str(), &st) < 0) return "missing";
    std::string d = strf("type=%o mode=%o uid=%u gid=%u mtime=%lld.%09ld", st.st_mode & S_IFMT,
                         st.st_mode & 07777, st.st_uid, st.st_gid,
                         static_cast<long long>(st.st_mtim.tv_sec), st.st_mtim.tv_nsec);
    if (S_ISREG(st.st_mode))
        d +=
            strf(" size=%lld data=%s", static_cast<long long>(st.st_size), read_text(path).c_str());
    if (S_ISLNK(st.st_mode)) {
        char buf[4096];
        ssize_t n = readlink(path.c_str(), buf, sizeof buf);
        d += " target=" + std::string(buf, n > 0 ? static_cast<size_t>(n) : 0);
    }
    if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode))
        d += strf(" rdev=%u:%u", major(st.st_rdev), minor(st.st_rdev));
    if (!S_ISLNK(st.st_mode)) {
        d += " user.x=" + xattr_of(path, "user.x");
        d += " cap=" + std::to_string(xattr_of(path, "security.capability").size());
    }
    return d;
}

// Every entry below a and b, described; the root itself is left out (an overlay's root is its
// upper dir).
void compare_trees(const std::string& a, const std::string& b, const std::string& rel,
                   size_t* entries) {
    std::vector<std::string> na = names_in(a + rel), nb = names_in(b + rel);
    CHECK_EQUAL_TEXT(na.size(), nb.size(), (rel + ": number of entries").c_str());
    for (size_t i = 0; i < na.size() && i < nb.size(); ++i) {
        std::string r = rel + "/" + na[i];
        STRCMP_EQUAL_TEXT(na[i].c_str(), nb[i].c_str(), rel.c_str());
        STRCMP_EQUAL_TEXT(describe(a + r).c_str(), describe(b + r).c_str(), r.c_str());
        ++*entries;
        struct stat st;
        if (lstat((a + r).c_str(), &st) == 0 && S_ISDIR(st.st_mode))
            compare_trees(a, b, r, entries);
    }
}

struct Mounted {
    std::string path;
    ~Mounted() {
        if (!path.empty()) umount2(path.c_str(), MNT_DETACH);
    }
};

// A file capability blob (VFS_CAP_REVISION_2, effective, CAP_NET_RAW permitted).
const std::string kNetRawCap(
    "\x01\x00\x00\x02\x00\x20\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
    "\x00\x00\x00\x00",
    20);

}  // namespace

TEST_GROUP(Rootfs) {
    TempDir tmp{"rootfs"};
    Builder b;
    std::string l1, l2, l3;

    void setup() override {
        l1 = tmp / "l1";
        l2 = tmp / "l2";
        l3 = tmp / "l3";
    }

    // Three layers with every rule in them (bottom l1, top l3).
    void build_layers() {
        for (auto* l : {&l1, &l2, &l3}) b.dir(*l);
        b.dir(l1 + "/etc");
        b.file(l1 + "/etc/passwd", "root:x:0:0::/root:/bin/sh\n");
        b.file(l1 + "/etc/gone", "whited out above");
        b.dir(l1 + "/bin");
        b.file(l1 + "/bin/su", "su", 04755);
        b.xattr(l1 + "/bin/su", "user.x", "one");
        b.file(l1 + "/bin/sg", "sg", 06750, 1000, 1000);
        b.file(l1 + "/bin/ping", "ping", 0755);
        b.xattr(l1 + "/bin/ping", "security.capability", kNetRawCap);
        b.dir(l1 + "/opq");
        b.file(l1 + "/opq/lower1", "hidden");
        b.file(l1 + "/opq/lower2", "hidden");
        b.dir(l1 + "/dir2file");
        b.file(l1 + "/dir2file/child", "gone with the dir");
        b.file(l1 + "/file2dir", "replaced by a dir");
        CHECK(symlink("/etc/passwd", (l1 + "/lnk").c_str()) == 0);
        CHECK(lchown((l1 + "/lnk").c_str(), 7, 8) == 0);
        CHECK(mkfifo((l1 + "/fifo").c_str(), 0620) == 0);
        CHECK(chmod((l1 + "/fifo").c_str(), 0620) == 0);
        CHECK(mknod((l1 + "/null").c_str(), S_IFCHR | 0666, makedev(1, 3)) == 0);
        b.dir(l1 + "/keep", 0750);
        b.file(l1 + "/keep/k1", "k1");
        b.mtime(l1 + "/keep/k1", 1'000'000'000, 123);
        b.mtime(l1 + "/keep", 1'100'000'000);
        b.mtime(l1 + "/lnk", 1'200'000'000);

        b.dir(l2 + "/etc");
        b.whiteout(l2 + "/etc/gone");
        b.file(l2 + "/etc/new", "new");
        b.dir(l2 + "/opq", 0711);
        b.opaque(l2 + "/opq");
        b.file(l2 + "/opq/mine", "mine");
        b.file(l2 + "/dir2file", "now a file");
        b.dir(l2 + "/file2dir", 0700);
        b.file(l2 + "/file2dir/inner", "inner");
        b.dir(l2 + "/hl");
        b.dir(l2 + "/hl2");
        b.file(l2 + "/hl/a", "linked", 0600, 5, 6);
        CHECK(link((l2 + "/hl/a").c_str(), (l2 + "/hl2/b").c_str()) == 0);
        b.dir(l2 + "/keep", 0755);
        b.file(l2 + "/keep/k2", "k2");
        b.xattr(l2 + "/keep", "user.x", "dir");
        b.mtime(l2 + "/keep", 1'300'000'000, 42);

        b.whiteout(l3 + "/lnk");
        b.dir(l3 + "/etc");
        b.file(l3 + "/etc/passwd", "root:x:0:0::/root:/bin/bash\n", 0640, 1000, 1000);
        b.mtime(l3 + "/etc/passwd", 1'400'000'000);
        b.dir(l3 + "/new");
        b.dir(l3 + "/new/deeper");
        b.file(l3 + "/new/deeper/x", "x");
        b.whiteout(l3 + "/nothing-below");
    }

    std::vector<UniqueFd> open_layers() {
        std::vector<UniqueFd> fds;
        for (auto* l : {&l1, &l2, &l3}) fds.push_back(open_dir(AT_FDCWD, *l, false).take());
        return fds;
    }

    void flatten(const std::string& target, uint64_t* bytes) {
        std::vector<UniqueFd> fds = open_layers();
        std::vector<int> raw;
        for (auto& f : fds) raw.push_back(f.get());
        UniqueFd t = open_dir(AT_FDCWD, target, true, 0755).take();
        Status st = flatten_layers(raw, t.get(), bytes);
        CHECK_TEXT(st.ok(), st.ok() ? "" : st.error().message.c_str());
    }

    void overlay(Mounted & m, const std::string& dir) {
        for (const char* d : {"u", "w", "m"}) b.dir(dir + "/" + d);
        Status st = mount_overlay({l3, l2, l1}, dir + "/u", dir + "/w", dir + "/m");
        CHECK_TEXT(st.ok(), st.ok() ? "" : st.error().message.c_str());
        m.path = dir + "/m";
    }
};

TEST(Rootfs, ModeNamesRoundTrip) {
    for (RootfsMode m : {RootfsMode::automatic, RootfsMode::overlay, RootfsMode::copy}) {
        auto r = parse_rootfs_mode(rootfs_mode_name(m));
        CHECK(r.ok());
        CHECK(*r == m);
    }
    STRCMP_EQUAL("auto", rootfs_mode_name(RootfsMode::automatic));
    auto bad = parse_rootfs_mode("Overlay");
    CHECK(!bad.ok());
    LONGS_EQUAL(EINVAL, bad.error().code);
    CHECK(!parse_rootfs_mode("").ok());
}

TEST(Rootfs, FlattenedTreeEqualsTheOverlay) {
    if (skip_unless_root("FlattenedTreeEqualsTheOverlay")) return;
    build_layers();
    uint64_t bytes = 0;
    flatten(tmp / "flat", &bytes);
    Mounted m;
    b.dir(tmp / "ovl");
    overlay(m, tmp / "ovl");
    size_t entries = 0;
    compare_trees(tmp / "flat", m.path, "", &entries);
    CHECK(entries >= 20);
    // Each file's data once (the hard-linked pair counts once, as it is written once).
    CHECK_EQUAL(b.bytes, bytes);
}

TEST(Rootfs, FlattenAppliesEachRule) {
    if (skip_unless_root("FlattenAppliesEachRule")) return;
    build_layers();
    std::string f = tmp / "flat";
    flatten(f, nullptr);
    struct stat st;
    CHECK(lstat((f + "/etc/gone").c_str(), &st) < 0 && errno == ENOENT);
    CHECK(lstat((f + "/lnk").c_str(), &st) < 0 && errno == ENOENT);
    CHECK(lstat((f + "/nothing-below").c_str(), &st) < 0 && errno == ENOENT);
    STRCMP_EQUAL("new", read_text(f + "/etc/new").c_str());
    STRCMP_EQUAL("root:x:0:0::/root:/bin/bash\n", read_text(f + "/etc/passwd").c_str());
    // Opaque: the lower children are hidden, the layer's own are kept; no marker in the copy.
    CHECK(names_in(f + "/opq") == std::vector<std::string>{"mine"});
    STRCMP_EQUAL("<none>", xattr_of(f + "/opq", "trusted.overlay.opaque").c_str());
    CHECK(lstat((f + "/dir2file").c_str(), &st) == 0 && S_ISREG(st.st_mode));
    STRCMP_EQUAL("now a file", read_text(f + "/dir2file").c_str());
    CHECK(lstat((f + "/file2dir").c_str(), &st) == 0 && S_ISDIR(st.st_mode));
    LONGS_EQUAL(0700, st.st_mode & 07777);
    STRCMP_EQUAL("inner", read_text(f + "/file2dir/inner").c_str());
    // Both layers' children in a merged dir; the topmost layer's metadata on it.
    CHECK((names_in(f + "/keep") == std::vector<std::string>{"k1", "k2"}));
    CHECK(lstat((f + "/keep").c_str(), &st) == 0);
    LONGS_EQUAL(0755, st.st_mode & 07777);
    LONGS_EQUAL(1'300'000'000, st.st_mtim.tv_sec);
    LONGS_EQUAL(42, st.st_mtim.tv_nsec);
    STRCMP_EQUAL("dir", xattr_of(f + "/keep", "user.x").c_str());
    CHECK(lstat((f + "/keep/k1").c_str(), &st) == 0);
    LONGS_EQUAL(123, st.st_mtim.tv_nsec);
    // setuid/setgid survive the chown, capabilities and user xattrs are copied.
    CHECK(lstat((f + "/bin/sg").c_str(), &st) == 0);
    LONGS_EQUAL(06750, st.st_mode & 07777);
    LONGS_EQUAL(1000, st.st_uid);
    CHECK(lstat((f + "/bin/su").c_str(), &st) == 0);
    LONGS_EQUAL(04755, st.st_mode & 07777);
    STRCMP_EQUAL("one", xattr_of(f + "/bin/su", "user.x").c_str());
    CHECK(kNetRawCap == xattr_of(f + "/bin/ping", "security.capability"));
    CHECK(lstat((f + "/null").c_str(), &st) == 0 && S_ISCHR(st.st_mode));
    CHECK(st.st_rdev == makedev(1, 3));
    CHECK(lstat((f + "/fifo").c_str(), &st) == 0 && S_ISFIFO(st.st_mode));
    LONGS_EQUAL(0620, st.st_mode & 07777);
    // The hard link stays one inode in the copy, and that inode is not the layer's.
    struct stat a, b2, layer;
    CHECK(lstat((f + "/hl/a").c_str(), &a) == 0);
    CHECK(lstat((f + "/hl2/b").c_str(), &b2) == 0);
    CHECK(lstat((l2 + "/hl/a").c_str(), &layer) == 0);
    CHECK(a.st_ino == b2.st_ino);
    LONGS_EQUAL(2, a.st_nlink);
    CHECK(a.st_ino != layer.st_ino);
    LONGS_EQUAL(5, a.st_uid);
    CHECK(lstat((f + "/bin/su").c_str(), &a) == 0 && lstat((l1 + "/bin/su").c_str(), &layer) == 0);
    CHECK(a.st_ino != layer.st_ino);
}

TEST(Rootfs, FlattensTreesDeeperThanPathMax) {
    if (skip_unless_root("FlattensTreesDeeperThanPathMax")) return;
    // l1: deep/a/a/.../leaf (2000 levels, a hard link to leaf at the top) and gone/a/.../a;
    // l2 whites out gone. Paths are far beyond PATH_MAX, so only *at calls reach them.
    b.dir(l1);
    b.dir(l2);
    UniqueFd top = open_dir(AT_FDCWD, l1, false).take();
    for (const char* root : {"deep", "gone"}) {
        UniqueFd fd = open_dir(top.get(), root, true, 0755).take();
        for (int i = 0; i < 2000; ++i) fd = open_dir(fd.get(), "a", true, 0755).take();
        if (std::string_view(root) == "deep") {
            int f = openat(fd.get(), "leaf", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
            CHECK(f >= 0);
            CHECK(write_all(f, "bottom").ok());
            close(f);
            CHECK(linkat(fd.get(), "leaf", top.get(), "toplink", 0) == 0);
        }
    }
    b.whiteout(l2 + "/gone");
    std::vector<int> raw;
    UniqueFd f1 = open_dir(AT_FDCWD, l1, false).take(), f2 = open_dir(AT_FDCWD, l2, false).take();
    raw = {f1.get(), f2.get()};
    UniqueFd target = open_dir(AT_FDCWD, tmp / "flat", true, 0755).take();
    Status st = flatten_layers(raw, target.get());
    CHECK_TEXT(st.ok(), st.ok() ? "" : st.error().message.c_str());
    UniqueFd fd = open_dir(target.get(), "deep", false).take();
    for (int i = 0; i < 2000; ++i) fd = open_dir(fd.get(), "a", false).take();
    struct stat leaf, link;
    CHECK(fstatat(fd.get(), "leaf", &leaf, AT_SYMLINK_NOFOLLOW) == 0);
    CHECK(fstatat(target.get(), "toplink", &link, AT_SYMLINK_NOFOLLOW) == 0);
    CHECK(leaf.st_ino == link.st_ino);
    STRCMP_EQUAL("bottom", read_file_capped(fd.get(), "leaf", 100)->c_str());
    CHECK(names_in(tmp / "flat") == (std::vector<std::string>{"deep", "toplink"}));
}

TEST(Rootfs, MountsTwoHundredLayers) {
    if (skip_unless_root("MountsTwoHundredLayers")) return;
    // 200 paths of this length need far more than a page as one option string, so this works
    // only through "lowerdir+".
    std::vector<std::string> lowers;
    for (int i = 0; i < 200; ++i) {
        std::string l = tmp / strf("layer-with-a-rather-long-name-%03d", i);
        b.dir(l);
        b.file(l + "/top", std::to_string(i));
        b.file(l + strf("/f%03d", i), "x");
        lowers.push_back(l);
    }
    for (const char* d : {"u", "w", "m"}) b.dir(tmp / d);
    Mounted m;
    Status st = mount_overlay(lowers, tmp / "u", tmp / "w", tmp / "m");
    CHECK_TEXT(st.ok(), st.ok() ? "" : st.error().message.c_str());
    m.path = tmp / "m";
    STRCMP_EQUAL("0", read_text(tmp / "m/top").c_str());
    LONGS_EQUAL(201, names_in(tmp / "m").size());
    STRCMP_EQUAL("x", read_text(tmp / "m/f199").c_str());
}

TEST(Rootfs, MountErrorsNameTheCause) {
    if (skip_unless_root("MountErrorsNameTheCause")) return;
    for (const char* d : {"l", "u", "w", "m"}) b.dir(tmp / d);
    Status st = mount_overlay({tmp / "missing"}, tmp / "u", tmp / "w", tmp / "m");
    CHECK(!st.ok());
    LONGS_EQUAL(ENOENT, st.error().code);
    CHECK_TEXT(st.error().message.find("missing") != std::string::npos, st.error().message.c_str());
    CHECK(!mount_overlay({}, tmp / "u", tmp / "w", tmp / "m").ok());
}

TEST(Rootfs, MountsPathsWithOptionSeparators) {
    if (skip_unless_root("MountsPathsWithOptionSeparators")) return;
    // ',' ':' and '\' split or escape the classic option string; each path must arrive whole.
    std::string lower = tmp / "low,er:1\\x", upper = tmp / "up,per:\\u", work = tmp / "wo:rk,\\w";
    for (const std::string& d : {lower, upper, work, tmp / "m"}) b.dir(d);
    b.file(lower + "/f", "lower");
    Mounted m;
    Status st = mount_overlay({lower}, upper, work, tmp / "m");
    CHECK_TEXT(st.ok(), st.ok() ? "" : st.error().message.c_str());
    m.path = tmp / "m";
    STRCMP_EQUAL("lower", read_text(tmp / "m/f").c_str());
    b.file(tmp / "m/g", "upper");
    STRCMP_EQUAL("upper", read_text(upper + "/g").c_str());
}
