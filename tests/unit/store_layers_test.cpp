// The layer cache of the store: begin/commit/open, a layer that is already complete, a second
// process waiting on the layer's lock, the leftovers of a dead writer and a crash before the
// rename that makes a layer complete (THREATS.md §4.3 item 3, §4.4).
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "store/store.hpp"
#include "store_fixture.hpp"

// Last: CppUTest redefines new, which the standard headers above must not see.
#include <CppUTest/TestHarness.h>

using namespace ocipod;
using namespace ocipod::test;

namespace {

constexpr const char* layer_json = R"({"chainID":"test"})";

// Write one file into a writer's fs/.
bool put_file(const LayerWriter& w, const char* name, std::string_view data) {
    int fd = openat(w.fs_fd(), name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) return false;
    bool ok = write_all(fd, data).ok();
    close(fd);
    return ok;
}

// Child body: extract (one file) and commit chain_id unless it is complete; 0 committed, 10
// already complete.
int extract_whole(const std::string& root, const Digest& chain_id) {
    auto store = Store::open(root, false);
    if (!store) return 1;
    auto w = store->begin_layer(chain_id);
    if (!w) return 2;
    if (!w->has_value()) return 10;
    if (!put_file(**w, "from-child", "child")) return 3;
    return (*w)->commit(layer_json).ok() ? 0 : 4;
}

struct LayersTest : OpenStoreTest {
    Digest chain = sha256_of("chain");
    std::string layer_dir() const { return root + "/layers/sha256-" + chain.hex(); }
    std::string staging_dir() const { return root + "/layers/.staging-sha256-" + chain.hex(); }
    LayerWriter begin() {
        auto r = store->begin_layer(chain);
        CHECK_TEXT(r.ok(), r.ok() ? "" : r.error().message.c_str());
        CHECK(r->has_value());
        return std::move(**r);
    }
    size_t complete_layers() {
        auto l = store->list_layers();
        CHECK(l.ok());
        return l->size();
    }
};

}  // namespace

TEST_GROUP_BASE(StoreLayers, LayersTest){};

TEST(StoreLayers, BeginCommitOpen) {
    auto before = store->open_layer(chain);
    CHECK(before.ok());
    CHECK(!before->has_value());
    {
        LayerWriter w = begin();
        CHECK(w.chain_id() == chain);
        CHECK(w.fs_fd() >= 0);
        CHECK(put_file(w, "hello", "world"));
        CHECK(!path_exists(layer_dir()));
        LONGS_EQUAL(0, complete_layers());
        auto st = w.commit(layer_json);
        CHECK_TEXT(st.ok(), st.ok() ? "" : st.error().message.c_str());
    }
    CHECK(!path_exists(staging_dir()));
    STRCMP_EQUAL(layer_json, read_path(layer_dir() + "/layer.json").c_str());
    STRCMP_EQUAL("world", read_path(layer_dir() + "/fs/hello").c_str());
    STRCMP_EQUAL((layer_dir() + "/fs").c_str(), store->layer_fs_path(chain).c_str());

    auto fd = store->open_layer(chain);
    CHECK(fd.ok() && fd->has_value());
    auto bytes = read_file_capped((*fd)->get(), "hello", 100);
    CHECK(bytes.ok());
    STRCMP_EQUAL("world", bytes->c_str());

    auto layers = store->list_layers();
    CHECK(layers.ok());
    LONGS_EQUAL(1, layers->size());
    CHECK((*layers)[0] == chain);
    // Only the complete layer is left: no staging directory, no lock file.
    LONGS_EQUAL(1, dir_entries(root + "/layers").size());
}

TEST(StoreLayers, BeginOnACompleteLayerNeedsNoWriter) {
    LayerWriter w = begin();
    CHECK(w.commit(layer_json).ok());
    auto again = store->begin_layer(chain);
    CHECK(again.ok());
    CHECK(!again->has_value());
}

TEST(StoreLayers, ResetEmptiesTheSameFd) {
    LayerWriter w = begin();
    int fd = w.fs_fd();
    CHECK(put_file(w, "first", "1"));
    CHECK(mkdirat(w.fs_fd(), "dir", 0755) == 0);
    CHECK(w.reset().ok());
    LONGS_EQUAL(fd, w.fs_fd());
    LONGS_EQUAL(0, dir_entries(staging_dir() + "/fs").size());
    CHECK(put_file(w, "second", "2"));
    CHECK(w.commit(layer_json).ok());
    std::vector<std::string> names = dir_entries(layer_dir() + "/fs");
    LONGS_EQUAL(1, names.size());
    STRCMP_EQUAL("second", names[0].c_str());
}

TEST(StoreLayers, ListIgnoresOtherNames) {
    LayerWriter w = begin();
    CHECK(w.commit(layer_json).ok());
    CHECK(mkdir((root + "/layers/not-a-digest").c_str(), 0700) == 0);
    CHECK(mkdir((root + "/layers/sha256-ABC").c_str(), 0700) == 0);
    auto other = store->begin_layer(sha256_of("other"));  // left in staging
    CHECK(other.ok() && other->has_value());
    auto layers = store->list_layers();
    CHECK(layers.ok());
    LONGS_EQUAL(1, layers->size());
    CHECK((*layers)[0] == chain);
}

// A second process arrives while the first extracts: it waits on the lock, then finds the layer
// complete and needs no writer.
TEST(StoreLayers, SecondProcessWaitsAndFindsTheLayer) {
    LockRace r = race_for_lock(
        [&](const std::function<void()>& hold) {
            auto s = Store::open(root, false);
            if (!s) return 1;
            auto w = s->begin_layer(chain);
            if (!w || !w->has_value()) return 2;
            hold();
            if (!put_file(**w, "from-a", "a")) return 4;
            return (*w)->commit(layer_json).ok() ? 0 : 5;
        },
        [&] { return extract_whole(root, chain); });
    CHECK(r.second_waited);  // blocked on the layer lock
    LONGS_EQUAL(0, r.first);
    LONGS_EQUAL(10, r.second);
    STRCMP_EQUAL("a", read_path(layer_dir() + "/fs/from-a").c_str());
    CHECK(!path_exists(layer_dir() + "/fs/from-child"));
    LONGS_EQUAL(1, dir_entries(root + "/layers").size());
}

// The first writer dies half-way; the waiting one gets an empty staging directory.
TEST(StoreLayers, LeftoversOfADeadWriterAreEmptied) {
    int status = run_child([&] {
        auto s = Store::open(root, false);
        if (!s) return 1;
        auto w = s->begin_layer(chain);
        if (!w || !w->has_value()) return 2;
        if (!put_file(**w, "partial", "half")) return 3;
        if (mkdirat((*w)->fs_fd(), "sub", 0700) < 0) return 4;
        raise(SIGKILL);
        return 5;
    });
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    CHECK(path_exists(staging_dir() + "/fs/partial"));
    LONGS_EQUAL(0, complete_layers());
    auto fd = store->open_layer(chain);
    CHECK(fd.ok() && !fd->has_value());

    LayerWriter w = begin();
    LONGS_EQUAL(0, dir_entries(staging_dir() + "/fs").size());
    CHECK(put_file(w, "whole", "ok"));
    CHECK(w.commit(layer_json).ok());
    std::vector<std::string> names = dir_entries(layer_dir() + "/fs");
    LONGS_EQUAL(1, names.size());
    STRCMP_EQUAL("whole", names[0].c_str());
}

// Killed after layer.json and syncfs but before the rename: the layer is not complete, and the
// next writer extracts it again.
TEST(StoreLayers, CrashBeforeTheRenameLeavesNoCompleteLayer) {
    int status = run_child([&] {
        setenv("OCI_POD_CRASH_AT", "before-rootfs-rename", 1);
        return extract_whole(root, chain);
    });
    CHECK_TEXT(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
               strf("child status %#x", status).c_str());
    CHECK(path_exists(staging_dir() + "/layer.json"));
    CHECK(!path_exists(layer_dir()));
    LONGS_EQUAL(0, complete_layers());

    status = run_child([&] {
        unsetenv("OCI_POD_CRASH_AT");
        return extract_whole(root, chain);
    });
    LONGS_EQUAL(0, exit_code(status));
    LONGS_EQUAL(1, complete_layers());
    STRCMP_EQUAL("child", read_path(layer_dir() + "/fs/from-child").c_str());
    CHECK(!path_exists(staging_dir()));
}

// A writer that is dropped without commit leaves no complete layer and does not block the next.
TEST(StoreLayers, DroppedWriterReleasesTheLock) {
    {
        LayerWriter w = begin();
        CHECK(put_file(w, "dropped", "x"));
    }
    LONGS_EQUAL(0, complete_layers());
    LayerWriter w = begin();
    LONGS_EQUAL(0, dir_entries(staging_dir() + "/fs").size());
    CHECK(w.commit(layer_json).ok());
    LONGS_EQUAL(1, complete_layers());
}
