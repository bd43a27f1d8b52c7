// THREATS.md 19: a layer is extracted while another thread keeps exchanging a directory the
// layer writes into with a symlink to a sentinel directory outside the diff dir
// (renameat2(RENAME_EXCHANGE), the class of moby CVE-2018-15664 / containerd CVE-2025-47290).
// The extraction may succeed or fail; the sentinel must stay empty and unchanged. Everything is in
// a temp dir, so no mount namespace is needed.
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <thread>

#include "render/layer_apply.hpp"
#include "tar_fixture.hpp"
#include "temp_dir.hpp"

// Last: CppUTest redefines new, which the standard headers above must not see.
#include <CppUTest/TestHarness.h>

using namespace ocipod;
using namespace ocipod::test;

namespace {

class StringSource : public ByteSource {
public:
    explicit StringSource(std::string data) : data_(std::move(data)) {}
    Result<size_t> read(void* buf, size_t len) override {
        size_t n = std::min(len, data_.size() - pos_);
        memcpy(buf, data_.data() + pos_, n);
        pos_ += n;
        return n;
    }

private:
    std::string data_;
    size_t pos_ = 0;
};

size_t count_entries(const std::string& dir) {
    DIR* d = opendir(dir.c_str());
    if (!d) return 9999;
    size_t n = 0;
    while (struct dirent* de = readdir(d))
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0) ++n;
    closedir(d);
    return n;
}

// The layer: d/ and x -> outside first (so the swap can start once both exist), then many files
// and subdirectories under d/, each a fresh path resolution through d.
std::string race_layer(const std::string& link_target) {
    TarBuilder tar;
    tar.dir("d/");
    tar.symlink("x", link_target);
    for (int i = 0; i < 3000; ++i) {
        if (i % 100 == 0) tar.dir(strf("d/s%d/", i / 100));
        tar.file(strf("d/f%d", i), "data");
        if (i % 10 == 0) tar.file(strf("d/s%d/g%d", i / 100, i), "more");
    }
    return tar.finish();
}

void race(const char* link_kind) {
    if (geteuid() != 0) {
        printf("\n  skipped the %s layer race: needs root (layer owners)\n", link_kind);
        return;
    }
    TempDir tmp("layer-race");
    std::string outside = tmp / "outside";
    CHECK(mkdir(outside.c_str(), 0711) == 0);
    struct timespec old_times[2] = {{1'500'000'000, 0}, {1'500'000'000, 0}};
    CHECK(utimensat(AT_FDCWD, outside.c_str(), old_times, 0) == 0);
    struct stat before;
    CHECK(stat(outside.c_str(), &before) == 0);

    std::string target = std::string(link_kind) == "absolute" ? outside : "../outside";
    StringSource src(race_layer(target));
    auto tar = TarReader::open_source(&src);
    CHECK_TEXT(tar.ok(), tar.ok() ? "" : tar.error().message.c_str());
    UniqueFd root = open_dir(AT_FDCWD, tmp / "root", true, 0755).take();

    std::atomic<bool> done{false};
    long exchanges = 0;
    std::thread swapper([&] {
        struct stat st;
        while (!done && (fstatat(root.get(), "d", &st, AT_SYMLINK_NOFOLLOW) < 0 ||
                         fstatat(root.get(), "x", &st, AT_SYMLINK_NOFOLLOW) < 0))
            std::this_thread::yield();
        for (int i = 0; i < 10'000 && !done; ++i)
            if (renameat2(root.get(), "d", root.get(), "x", RENAME_EXCHANGE) == 0) ++exchanges;
    });
    LowerDirs none;
    LayerApplyOptions options;
    auto applied = apply_layer(*tar, root.get(), &none, options, "race layer");
    done = true;
    swapper.join();
    printf("\n  %s link: %ld exchanges, extraction %s\n", link_kind, exchanges,
           applied.ok() ? "succeeded" : applied.error().message.c_str());

    LONGS_EQUAL(0, count_entries(outside));
    struct stat after;
    CHECK(stat(outside.c_str(), &after) == 0);
    LONGS_EQUAL(before.st_mode, after.st_mode);
    LONGS_EQUAL(before.st_uid, after.st_uid);
    LONGS_EQUAL(before.st_gid, after.st_gid);
    LONGS_EQUAL(before.st_mtim.tv_sec, after.st_mtim.tv_sec);
    LONGS_EQUAL(before.st_mtim.tv_nsec, after.st_mtim.tv_nsec);
    LONGS_EQUAL(before.st_ctim.tv_sec, after.st_ctim.tv_sec);
    LONGS_EQUAL(before.st_ctim.tv_nsec, after.st_ctim.tv_nsec);
    // Nothing else appeared beside the root or the sentinel either.
    LONGS_EQUAL(2, count_entries(tmp.path()));
}

}  // namespace

TEST_GROUP(LayerRace){};

TEST(LayerRace, AbsoluteSymlinkSwappedWithADirectory) {
    race("absolute");
}

TEST(LayerRace, RelativeSymlinkSwappedWithADirectory) {
    race("relative");
}
