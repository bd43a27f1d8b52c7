// Stored blobs: put, read back (re-verified), size, refusals.
#include <sys/stat.h>

#include "store/store.hpp"
#include "store_fixture.hpp"

// Last: CppUTest redefines new, which the standard headers above must not see.
#include <CppUTest/TestHarness.h>

using namespace ocipod;
using namespace ocipod::test;

TEST_GROUP_BASE(StoreBlobs, OpenStoreTest){};

TEST(StoreBlobs, PutAndReadBack) {
    std::string data = pattern_bytes(5000, 1);
    Digest d = sha256_of(data);
    CHECK(!store->has_blob(d));
    CHECK(store->put_blob(d, data).ok());
    CHECK(store->has_blob(d));
    auto size = store->blob_size(d);
    CHECK(size.ok());
    LONGS_EQUAL(5000, *size);
    auto back = store->read_blob(d, 5000);
    CHECK(back.ok());
    CHECK(*back == data);
    struct stat st;
    CHECK(stat(blob_path(d).c_str(), &st) == 0);
    LONGS_EQUAL(0444, st.st_mode & 07777);
    auto fd = store->open_blob(d);
    CHECK(fd.ok());
    char buf[16];
    LONGS_EQUAL(16, pread(fd->get(), buf, 16, 0));
    CHECK(std::string(buf, 16) == data.substr(0, 16));
    // Storing it again is fine and changes nothing.
    CHECK(store->put_blob(d, data).ok());
    // Nothing but the blob in its directory: the temp file is gone.
    LONGS_EQUAL(1, dir_entries(root + "/store/blobs/sha256").size());
}

TEST(StoreBlobs, Sha512) {
    std::string data = "sha512 content";
    Digest d = Digest::of(HashAlg::sha512, data);
    CHECK(store->put_blob(d, data).ok());
    CHECK(path_exists(root + "/store/blobs/sha512/" + d.hex()));
    auto back = store->read_blob(d, 100);
    CHECK(back.ok() && *back == data);
}

TEST(StoreBlobs, PutRefusesContentThatDoesNotMatch) {
    Digest d = sha256_of("what was announced");
    auto st = store->put_blob(d, "what arrived");
    CHECK(!st.ok());
    LONGS_EQUAL(EBADMSG, st.error().code);
    CHECK(!store->has_blob(d));
    LONGS_EQUAL(0, dir_entries(root + "/store/blobs/sha256").size());
}

TEST(StoreBlobs, ReadHonoursTheCap) {
    std::string data = pattern_bytes(1000, 2);
    Digest d = sha256_of(data);
    CHECK(store->put_blob(d, data).ok());
    auto r = store->read_blob(d, 999);
    CHECK(!r.ok());
    LONGS_EQUAL(EFBIG, r.error().code);
}

TEST(StoreBlobs, ReadDetectsCorruption) {
    std::string data = pattern_bytes(300, 3);
    Digest d = sha256_of(data);
    CHECK(store->put_blob(d, data).ok());
    chmod(blob_path(d).c_str(), 0644);
    std::string bad = data;
    bad[100] ^= 1;
    write_path(blob_path(d), bad);
    auto r = store->read_blob(d, 1000);
    CHECK(!r.ok());
    LONGS_EQUAL(EBADMSG, r.error().code);
    STRCMP_EQUAL(("blob " + d.str() + " is corrupt").c_str(), r.error().message.c_str());
}

TEST(StoreBlobs, MissingBlob) {
    Digest d = sha256_of("absent");
    CHECK(!store->has_blob(d));
    auto size = store->blob_size(d);
    CHECK(!size.ok());
    LONGS_EQUAL(ENOENT, size.error().code);
    auto fd = store->open_blob(d);
    CHECK(!fd.ok());
    LONGS_EQUAL(ENOENT, fd.error().code);
    CHECK(!store->read_blob(d, 10).ok());
}

TEST(StoreBlobs, SymlinksAndOtherFilesAreNoBlobs) {
    std::string data = "target";
    write_path(*dir / "outside", data);
    Digest d = sha256_of(data);
    CHECK(symlink((*dir / "outside").c_str(), blob_path(d).c_str()) == 0);
    CHECK(!store->has_blob(d));
    CHECK(!store->open_blob(d).ok());
    CHECK(!store->read_blob(d, 100).ok());
    Digest f = sha256_of("fifo");
    CHECK(mkfifo(blob_path(f).c_str(), 0600) == 0);
    CHECK(!store->has_blob(f));
    auto fd = store->open_blob(f);  // must not block
    CHECK(!fd.ok());
    LONGS_EQUAL(EINVAL, fd.error().code);
}
