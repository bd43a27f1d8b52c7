// Store::open: the layout it creates, what it refuses, the locks it holds and the leftovers it
// removes.
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>

#include "c/json.hpp"
#include "store/store.hpp"
#include "store_fixture.hpp"

// Last: CppUTest redefines new, which the standard headers above must not see.
#include <CppUTest/TestHarness.h>

using namespace ocipod;
using namespace ocipod::test;

namespace {

// Try to take byte `byte` of ROOT/lock exclusively without waiting, as a collector would.
int try_exclusive(const std::string& lock_path, off_t byte) {
    int fd = open(lock_path.c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0) return errno;
    struct flock fl = {};
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    fl.l_start = byte;
    fl.l_len = 1;
    int rc = fcntl(fd, F_OFD_SETLK, &fl) == 0 ? 0 : errno;
    close(fd);
    return rc;
}

}  // namespace

TEST_GROUP_BASE(StoreLayout, StoreDirTest){};

TEST(StoreLayout, CreatesTheLayout) {
    auto store = Store::open(root, true);
    CHECK_TEXT(store.ok(), store.ok() ? "" : store.error().message.c_str());
    STRCMP_EQUAL(root.c_str(), store->root().c_str());
    struct stat st;
    CHECK(stat(root.c_str(), &st) == 0);
    LONGS_EQUAL(0700, st.st_mode & 07777);
    STRCMP_EQUAL(R"({"imageLayoutVersion":"1.0.0"})",
                 read_path(root + "/store/oci-layout").c_str());
    auto index = json_parse(read_path(root + "/store/index.json"), "index.json");
    CHECK(index.ok());
    LONGS_EQUAL(2, json_integer_value(json_object_get(index->get(), "schemaVersion")));
    STRCMP_EQUAL("application/vnd.oci.image.index.v1+json",
                 json_string_value(json_object_get(index->get(), "mediaType")));
    CHECK(json_is_array(json_object_get(index->get(), "manifests")));
    LONGS_EQUAL(0, json_array_size(json_object_get(index->get(), "manifests")));
    for (const char* d : {"store/blobs/sha256", "store/blobs/sha512", "ingest"}) {
        CHECK_TEXT(stat((root + "/" + d).c_str(), &st) == 0 && S_ISDIR(st.st_mode), d);
    }
    CHECK(stat((root + "/lock").c_str(), &st) == 0 && S_ISREG(st.st_mode));
    auto refs = store->list_refs();
    CHECK(refs.ok());
    LONGS_EQUAL(0, refs->size());
}

TEST(StoreLayout, ReopenKeepsBlobsAndRefs) {
    std::string manifest = manifest_json(descriptor_of(media::oci_config, "{}"), {});
    Descriptor md = descriptor_of(media::oci_manifest, manifest);
    {
        auto store = Store::open(root, true);
        CHECK(store.ok());
        CHECK(store->put_blob(md.digest, manifest).ok());
        CHECK(store->set_ref("example.com/a:1", md).ok());
    }
    std::string layout_before = read_path(root + "/store/index.json");
    auto store = Store::open(root, false);
    CHECK_TEXT(store.ok(), store.ok() ? "" : store.error().message.c_str());
    CHECK(store->has_blob(md.digest));
    auto ref = store->find_ref("example.com/a:1");
    CHECK(ref.ok() && ref->has_value());
    CHECK((*ref)->target.digest == md.digest);
    STRCMP_EQUAL(layout_before.c_str(), read_path(root + "/store/index.json").c_str());
}

TEST(StoreLayout, MissingRootWithoutCreate) {
    auto store = Store::open(root, false);
    CHECK(!store.ok());
    LONGS_EQUAL(ENOENT, store.error().code);
    STRCMP_EQUAL(("no store at '" + root + "'").c_str(), store.error().message.c_str());
    CHECK(!path_exists(root));
    // An existing directory that holds no layout is no store either.
    mkdir(root.c_str(), 0700);
    store = Store::open(root, false);
    CHECK(!store.ok());
    LONGS_EQUAL(ENOENT, store.error().code);
    CHECK(!path_exists(root + "/store"));
}

TEST(StoreLayout, RefusesAnotherLayoutVersion) {
    { CHECK(Store::open(root, true).ok()); }
    write_path(root + "/store/oci-layout", R"({"imageLayoutVersion":"2.0.0"})");
    auto store = Store::open(root, true);
    CHECK(!store.ok());
    LONGS_EQUAL(ENOTSUP, store.error().code);
    CHECK_TEXT(store.error().message.find("'2.0.0'") != std::string::npos,
               store.error().message.c_str());
    CHECK(store.error().message.find(root) != std::string::npos);
    // Left as it was.
    STRCMP_EQUAL(R"({"imageLayoutVersion":"2.0.0"})",
                 read_path(root + "/store/oci-layout").c_str());

    write_path(root + "/store/oci-layout", "not json");
    store = Store::open(root, true);
    CHECK(!store.ok());
    LONGS_EQUAL(EBADMSG, store.error().code);
}

TEST(StoreLayout, HoldsTheSharedStoreLockWhileOpen) {
    std::string lock = root + "/lock";
    {
        auto a = Store::open(root, true);
        CHECK(a.ok());
        // A second user shares byte 0; a collector (exclusive) must wait for both.
        auto b = Store::open(root, true);
        CHECK(b.ok());
        LONGS_EQUAL(EAGAIN, try_exclusive(lock, 0));
        // The index lock is only held around index.json updates.
        LONGS_EQUAL(0, try_exclusive(lock, 1));
    }
    LONGS_EQUAL(0, try_exclusive(lock, 0));
}

TEST(StoreLayout, OpenWaitsForAnExclusiveHolder) {
    { CHECK(Store::open(root, true).ok()); }
    int fd = open((root + "/lock").c_str(), O_RDWR | O_CLOEXEC);
    struct flock fl = {};
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    fl.l_start = 0;
    fl.l_len = 1;
    CHECK(fcntl(fd, F_OFD_SETLK, &fl) == 0);
    int ready[2];
    CHECK(pipe2(ready, O_CLOEXEC) == 0);
    pid_t pid = fork();
    if (pid == 0) {
        // The child shares the description of fd, and with it the lock, until it closes it.
        close(fd);
        auto s = Store::open(root, false);
        char c = s.ok() ? 'y' : 'n';
        (void)!write(ready[1], &c, 1);
        _exit(0);
    }
    close(ready[1]);
    struct pollfd p = {ready[0], POLLIN, 0};
    LONGS_EQUAL(0, poll(&p, 1, 300));  // still waiting for the "collector"
    close(fd);
    char c = 0;
    LONGS_EQUAL(1, read(ready[0], &c, 1));
    LONGS_EQUAL('y', c);
    close(ready[0]);
    waitpid(pid, nullptr, 0);
}

TEST(StoreLayout, RemovesTempLeftovers) {
    { CHECK(Store::open(root, true).ok()); }
    pid_t dead = dead_pid();
    pid_t live = getppid();
    std::string blobs = root + "/store/blobs/sha256/";
    write_path(root + strf("/store/.tmp-index.json-%d-0", dead), "{");
    // Every writer in store/ holds the index lock, which open takes: even a live pid's goes.
    write_path(root + strf("/store/.tmp-oci-layout-%d-4", live), "{");
    write_path(blobs + strf(".tmp-blob-%d-3", dead), "partial");
    write_path(blobs + strf(".tmp-blob-%d-7", live), "being written");
    write_path(root + "/store/blobs/sha512/.tmp-garbage", "x");
    write_path(blobs + "keep-not-temp", "x");
    { CHECK(Store::open(root, false).ok()); }
    CHECK(!path_exists(root + strf("/store/.tmp-index.json-%d-0", dead)));
    CHECK(!path_exists(root + strf("/store/.tmp-oci-layout-%d-4", live)));
    CHECK(!path_exists(blobs + strf(".tmp-blob-%d-3", dead)));
    CHECK(path_exists(blobs + strf(".tmp-blob-%d-7", live)));
    CHECK(!path_exists(root + "/store/blobs/sha512/.tmp-garbage"));
    CHECK(path_exists(blobs + "keep-not-temp"));
}

TEST(StoreLayout, RemovesTheIngestOfACommittedBlob) {
    std::string data = "committed before the crash";
    Digest d = sha256_of(data);
    std::string ingest = root + "/ingest/sha256-" + d.hex();
    std::string partial = root + "/ingest/sha256-" + sha256_of("other").hex();
    {
        auto store = Store::open(root, true);
        CHECK(store->put_blob(d, data).ok());
    }
    // What a commit interrupted between its rename and its cleanup leaves behind.
    mkdir(ingest.c_str(), 0700);
    write_path(ingest + "/lock", "");
    write_path(ingest + "/size", strf("%zu\n", data.size()));
    // A partial ingest of a blob that is not stored is kept for a resume.
    mkdir(partial.c_str(), 0700);
    write_path(partial + "/lock", "");
    write_path(partial + "/data", "oth");
    { CHECK(Store::open(root, false).ok()); }
    CHECK(!path_exists(ingest));
    CHECK(path_exists(partial + "/data"));
}
