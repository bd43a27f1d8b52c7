// make_dirs: mkdir -p of the project's own paths, absolute or relative to the cwd.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <string>

#include "base/fs.hpp"
#include "temp_dir.hpp"

// Last: CppUTest redefines new, which the standard headers above must not see.
#include <CppUTest/TestHarness.h>

using namespace ocipod;
using ocipod::test::TempDir;

namespace {

bool is_dir(const std::string& path) {
    struct stat st {};
    return stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

mode_t mode_of(const std::string& path) {
    struct stat st {};
    return stat(path.c_str(), &st) == 0 ? (st.st_mode & 07777) : 0;
}

// Runs f with the cwd at dir, restoring the caller's after.
template <class F>
void in_dir(const std::string& dir, F f) {
    char old[PATH_MAX];
    CHECK_TRUE(getcwd(old, sizeof old) != nullptr);
    CHECK_EQUAL(0, chdir(dir.c_str()));
    f();
    CHECK_EQUAL(0, chdir(old));
}

}  // namespace

TEST_GROUP(MakeDirs){};

TEST(MakeDirs, MakesEveryLevelOfAnAbsolutePathWithTheMode) {
    TempDir tmp("make-dirs");
    std::string path = tmp / "a/b/c";
    CHECK_TRUE(make_dirs(path, 0700).ok());
    CHECK_TRUE(is_dir(path));
    LONGS_EQUAL(0700, mode_of(tmp / "a"));
    LONGS_EQUAL(0700, mode_of(path));
}

TEST(MakeDirs, RelativePathsStayBelowTheCwd) {
    TempDir tmp("make-dirs");
    in_dir(tmp.path(), [] { CHECK_TRUE(make_dirs("rel/x/y", 0755).ok()); });
    CHECK_TRUE(is_dir(tmp / "rel/x/y"));
    CHECK_FALSE(is_dir("/rel/x"));
}

TEST(MakeDirs, ExistingLevelsKeepTheirModeAndSlashesAreTolerated) {
    TempDir tmp("make-dirs");
    CHECK_EQUAL(0, mkdir((tmp / "keep").c_str(), 0751));
    CHECK_TRUE(make_dirs(tmp.path() + "//keep/new/", 0700).ok());
    LONGS_EQUAL(0751, mode_of(tmp / "keep"));
    CHECK_TRUE(is_dir(tmp / "keep/new"));
    CHECK_TRUE(make_dirs(tmp / "keep/new", 0700).ok());  // all there already
}

TEST(MakeDirs, AFileOnTheWayIsAnErrorNamingTheLevel) {
    TempDir tmp("make-dirs");
    int fd = open((tmp / "file").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    CHECK_TRUE(fd >= 0);
    close(fd);
    Status s = make_dirs(tmp / "file/below", 0700);
    CHECK_FALSE(s.ok());
    STRCMP_CONTAINS((tmp / "file/below").c_str(), s.error().message.c_str());
}
