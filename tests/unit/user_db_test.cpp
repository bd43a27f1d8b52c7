#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <string>

#include "base/fs.hpp"
#include "render/user_db.hpp"
#include "store_fixture.hpp"

#include <CppUTest/TestHarness.h>

using namespace ocipod;
using ocipod::test::TempDir;

namespace {

const char* const passwd_text =
    "# comment line\n"
    "root:x:0:0:root:/root:/bin/sh\n"
    "daemon:x:1:1::/usr/sbin:/usr/sbin/nologin\n"
    "app:x:1000:1000:App,,,:/home/app:/bin/sh\n"
    "\n"
    "broken line without colons\n"
    "badid:x:12a:0::/x:/bin/sh\n"
    "huge:x:4294967295:0::/x:/bin/sh\n"
    "+nis:x:5:5::/nis:/bin/sh\n"
    "short:x:2000:2001\n"
    "nohome:x:3000:3000:::/bin/sh\n";

const char* const group_text =
    "root:x:0:root\n"
    "wheel:x:10:root,app\n"
    "staff:x:50:\n"
    "audio:x:29:other,app\n"
    "app:x:1000:app\n"
    "junk:x:notanumber:app\n"
    "video:x:44:root\n";

}  // namespace

TEST_GROUP(UserDb) {
    TempDir tmp{"userdb"};
    UniqueFd root;

    void setup() override {
        CHECK(!tmp.path().empty());
        CHECK(mkdir((tmp / "rootfs").c_str(), 0755) == 0);
        CHECK(mkdir((tmp / "rootfs/etc").c_str(), 0755) == 0);
        root = UniqueFd(open((tmp / "rootfs").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        CHECK(root.get() >= 0);
    }
    void teardown() override {
        root.reset();
    }

    void write(const std::string& rel, const std::string& data) {
        ocipod::test::write_path(tmp / rel, data);
    }
    void write_db() {
        write("rootfs/etc/passwd", passwd_text);
        write("rootfs/etc/group", group_text);
    }
    ContainerUser ok(const char* spec) {
        auto r = resolve_container_user(root.get(), spec);
        CHECK_TEXT(r.ok(), r.ok() ? spec : r.error().message.c_str());
        return r.ok() ? r.take() : ContainerUser{};
    }
    Error fails(const char* spec) {
        auto r = resolve_container_user(root.get(), spec);
        CHECK_TEXT(!r.ok(), spec);
        return r.ok() ? Error{} : r.error();
    }
};

TEST(UserDb, ByName) {
    write_db();
    ContainerUser u = ok("app");
    LONGS_EQUAL(1000, u.uid);
    LONGS_EQUAL(1000, u.gid);
    STRCMP_EQUAL("/home/app", u.home.c_str());
    // Groups listing "app", without its primary group 1000, sorted.
    CHECK(u.additional_gids == (std::vector<uint32_t>{10, 29}));

    u = ok("daemon");
    LONGS_EQUAL(1, u.uid);
    LONGS_EQUAL(1, u.gid);
    CHECK(u.additional_gids.empty());
    STRCMP_EQUAL("/usr/sbin", u.home.c_str());

    u = ok("short");  // four fields: ids but no home
    LONGS_EQUAL(2000, u.uid);
    LONGS_EQUAL(2001, u.gid);
    STRCMP_EQUAL("/", u.home.c_str());
    STRCMP_EQUAL("/", ok("nohome").home.c_str());
}

TEST(UserDb, UnsetIsRootWithItsGroups) {
    write_db();
    ContainerUser u = ok("");
    LONGS_EQUAL(0, u.uid);
    LONGS_EQUAL(0, u.gid);
    STRCMP_EQUAL("/root", u.home.c_str());
    CHECK(u.additional_gids == (std::vector<uint32_t>{10, 44}));
}

TEST(UserDb, Numeric) {
    write_db();
    // Known uid: gid and home from passwd, no supplementary groups (conversion.md).
    ContainerUser u = ok("1000");
    LONGS_EQUAL(1000, u.uid);
    LONGS_EQUAL(1000, u.gid);
    STRCMP_EQUAL("/home/app", u.home.c_str());
    CHECK(u.additional_gids.empty());
    // Unknown uid: gid 0, home "/".
    u = ok("4242");
    LONGS_EQUAL(4242, u.uid);
    LONGS_EQUAL(0, u.gid);
    STRCMP_EQUAL("/", u.home.c_str());
    u = ok("4294967294");
    LONGS_EQUAL(4294967294u, u.uid);
    u = ok("0");
    LONGS_EQUAL(0, u.uid);
    CHECK(u.additional_gids.empty());
}

TEST(UserDb, UserAndGroupCombinations) {
    write_db();
    ContainerUser u = ok("app:staff");
    LONGS_EQUAL(1000, u.uid);
    LONGS_EQUAL(50, u.gid);
    CHECK(u.additional_gids.empty());  // an explicit group: no supplementary groups
    STRCMP_EQUAL("/home/app", u.home.c_str());

    u = ok("1000:29");
    LONGS_EQUAL(1000, u.uid);
    LONGS_EQUAL(29, u.gid);
    u = ok("app:7");
    LONGS_EQUAL(1000, u.uid);
    LONGS_EQUAL(7, u.gid);
    u = ok("77:wheel");
    LONGS_EQUAL(77, u.uid);
    LONGS_EQUAL(10, u.gid);
    STRCMP_EQUAL("/", u.home.c_str());
    u = ok("0:0");
    LONGS_EQUAL(0, u.uid);
    LONGS_EQUAL(0, u.gid);
}

TEST(UserDb, UnknownNamesFail) {
    write_db();
    LONGS_EQUAL(ENOENT, fails("nobody").code);
    LONGS_EQUAL(ENOENT, fails("app:nogroup").code);
    LONGS_EQUAL(ENOENT, fails("badid").code);  // its line is malformed, so it does not exist
    LONGS_EQUAL(ENOENT, fails("nis").code);
    LONGS_EQUAL(ENOENT, fails("+nis").code);
    LONGS_EQUAL(ENOENT, fails("1000:junk").code);
    Error e = fails("nobody");
    CHECK_TEXT(e.message.find("'nobody'") != std::string::npos, e.message.c_str());
}

TEST(UserDb, OutOfRangeAndMalformedRefused) {
    write_db();
    LONGS_EQUAL(ERANGE, fails("4294967296:0").code);
    LONGS_EQUAL(ERANGE, fails("4294967295").code);
    LONGS_EQUAL(ERANGE, fails("-1").code);
    LONGS_EQUAL(ERANGE, fails("+1").code);
    LONGS_EQUAL(ERANGE, fails("99999999999999999999999").code);
    LONGS_EQUAL(ERANGE, fails("0:4294967296").code);
    LONGS_EQUAL(ERANGE, fails("0:-1").code);
    LONGS_EQUAL(EINVAL, fails("root:").code);
    LONGS_EQUAL(EINVAL, fails(":0").code);
    LONGS_EQUAL(EINVAL, fails(":").code);
    LONGS_EQUAL(EINVAL, fails("a:b:c").code);
    // The passwd line with uid 4294967295 is skipped, so the name does not resolve either.
    LONGS_EQUAL(ENOENT, fails("huge").code);
}

TEST(UserDb, MissingFiles) {
    // No /etc/passwd or /etc/group: numeric users and the default work, names do not.
    ContainerUser u = ok("");
    LONGS_EQUAL(0, u.uid);
    LONGS_EQUAL(0, u.gid);
    STRCMP_EQUAL("/", u.home.c_str());
    u = ok("123:456");
    LONGS_EQUAL(123, u.uid);
    LONGS_EQUAL(456, u.gid);
    Error e = fails("app");
    LONGS_EQUAL(ENOENT, e.code);
    CHECK_TEXT(e.message.find("no /etc/passwd") != std::string::npos, e.message.c_str());
    LONGS_EQUAL(ENOENT, fails("0:staff").code);

    // /etc itself missing is the same as the files missing.
    CHECK(rmdir((tmp / "rootfs/etc").c_str()) == 0);
    LONGS_EQUAL(5, ok("5").uid);
    // /etc a regular file: nothing under it exists.
    write("rootfs/etc", "not a directory");
    LONGS_EQUAL(5, ok("5").uid);
}

TEST(UserDb, FifoAndDeviceRefusedWithoutBlocking) {
    write("rootfs/etc/group", group_text);
    // Nobody ever opens the FIFO for writing: a blocking open or read would hang this test.
    CHECK(mkfifo((tmp / "rootfs/etc/passwd").c_str(), 0644) == 0);
    Error e = fails("app");
    LONGS_EQUAL(EINVAL, e.code);
    CHECK_TEXT(e.message.find("not a regular file") != std::string::npos, e.message.c_str());
    fails("1000");  // numeric users read passwd too, for the gid and home
    fails("");

    CHECK(unlink((tmp / "rootfs/etc/passwd").c_str()) == 0);
    write("rootfs/etc/passwd", passwd_text);
    CHECK(unlink((tmp / "rootfs/etc/group").c_str()) == 0);
    if (geteuid() != 0) {
        printf("\nUserDb: not root, skipping the device node case\n");
        return;
    }
    CHECK(mknod((tmp / "rootfs/etc/group").c_str(), S_IFCHR | 0644, makedev(1, 3)) == 0);
    LONGS_EQUAL(EINVAL, fails("app").code);
    LONGS_EQUAL(EINVAL, fails("0:staff").code);
}

TEST(UserDb, DirectoryRefused) {
    CHECK(mkdir((tmp / "rootfs/etc/passwd").c_str(), 0755) == 0);
    LONGS_EQUAL(EINVAL, fails("app").code);
}

TEST(UserDb, SymlinksResolveInsideTheRoot) {
    // Host-looking files outside the root, which a host-side resolution would read.
    CHECK(mkdir((tmp / "outside").c_str(), 0755) == 0);
    write("outside/passwd", "victim:x:666:666::/host:/bin/sh\n");
    write("outside/group", "hostgrp:x:777:victim\n");
    // The image's own copies, where in-root resolution lands.
    CHECK(mkdir((tmp / "rootfs/outside").c_str(), 0755) == 0);
    write("rootfs/outside/passwd", "inside:x:1234:1234::/in:/bin/sh\n");

    // Relative: "../../outside/passwd" from rootfs/etc is tmp/outside on the host, but ".."
    // stops at the root inside it.
    CHECK(symlink("../../outside/passwd", (tmp / "rootfs/etc/passwd").c_str()) == 0);
    // Absolute, naming the host file by its full host path: inside the root it does not exist.
    CHECK(symlink((tmp / "outside/group").c_str(), (tmp / "rootfs/etc/group").c_str()) == 0);

    ContainerUser u = ok("inside");
    LONGS_EQUAL(1234, u.uid);
    STRCMP_EQUAL("/in", u.home.c_str());
    LONGS_EQUAL(ENOENT, fails("victim").code);
    LONGS_EQUAL(ENOENT, fails("0:hostgrp").code);

    // Now the absolute target exists inside the root too, with different content.
    std::string inner = "rootfs" + tmp.path() + "/outside";
    std::string mk;
    for (auto& part : split(inner, '/')) {
        if (part.empty()) continue;
        mk += (mk.empty() ? "" : "/") + part;
        mkdir((tmp / mk).c_str(), 0755);
    }
    write(inner + "/group", "imagegrp:x:4321:inside\n");
    LONGS_EQUAL(4321, ok("0:imagegrp").gid);
    LONGS_EQUAL(ENOENT, fails("0:hostgrp").code);
}

TEST(UserDb, SymlinkLoopFails) {
    CHECK(symlink("passwd", (tmp / "rootfs/etc/passwd").c_str()) == 0);
    LONGS_EQUAL(ELOOP, fails("app").code);
}

TEST(UserDb, TooBigRefused) {
    write("rootfs/etc/group", group_text);
    int fd = open((tmp / "rootfs/etc/passwd").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    CHECK(fd >= 0);
    std::string first = "app:x:1000:1000::/home/app:/bin/sh\n";
    CHECK(::write(fd, first.data(), first.size()) == static_cast<ssize_t>(first.size()));
    CHECK(ftruncate(fd, (4 << 20) + 1) == 0);
    close(fd);
    LONGS_EQUAL(EFBIG, fails("app").code);

    // Exactly at the cap is fine.
    CHECK(truncate((tmp / "rootfs/etc/passwd").c_str(), 4 << 20) == 0);
    LONGS_EQUAL(1000, ok("app").uid);
}
