// Store::verify: re-hash, quarantine, and report what refs need but the store lacks.
#include <sys/stat.h>

#include "store/store.hpp"
#include "store_fixture.hpp"

// Last: CppUTest redefines new, which the standard headers above must not see.
#include <CppUTest/TestHarness.h>

using namespace ocipod;
using namespace ocipod::test;

namespace {

struct VerifyTest : OpenStoreTest {
    Descriptor put(std::string_view media_type, const std::string& data) {
        Descriptor d = descriptor_of(media_type, data);
        CHECK(store->put_blob(d.digest, data).ok());
        return d;
    }
    VerifyReport verify_now() {
        auto r = store->verify();
        CHECK_TEXT(r.ok(), r.ok() ? "" : r.error().message.c_str());
        return r.take();
    }
    static bool mentions(const std::vector<std::string>& list, const Digest& d) {
        for (const std::string& s : list)
            if (s.find(d.str()) != std::string::npos) return true;
        return false;
    }
};

}  // namespace

TEST_GROUP_BASE(StoreVerify, VerifyTest){};

TEST(StoreVerify, CleanStore) {
    put(media::oci_layer_gzip, pattern_bytes(3000, 1));
    put(media::oci_layer_gzip, pattern_bytes(5, 2));
    std::string big = pattern_bytes(3 << 20, 3);  // more than one hashing chunk
    put(media::oci_layer_gzip, big);
    VerifyReport r = verify_now();
    LONGS_EQUAL(3, r.blobs_checked);
    LONGS_EQUAL(3000 + 5 + (3 << 20), r.bytes_checked);
    LONGS_EQUAL(0, r.bad.size());
    LONGS_EQUAL(0, r.missing.size());
}

TEST(StoreVerify, QuarantinesATamperedBlob) {
    std::string data = pattern_bytes(4000, 4);
    Descriptor good = put(media::oci_layer_gzip, pattern_bytes(100, 5));
    Descriptor d = put(media::oci_layer_gzip, data);
    chmod(blob_path(d.digest).c_str(), 0644);
    data[1234] ^= 0x01;
    write_path(blob_path(d.digest), data);
    VerifyReport r = verify_now();
    LONGS_EQUAL(2, r.blobs_checked);
    LONGS_EQUAL(1, r.bad.size());
    CHECK_TEXT(r.bad[0].rfind(d.digest.str() + ": ", 0) == 0, r.bad[0].c_str());
    CHECK_TEXT(r.bad[0].find(sha256_of(data).str()) != std::string::npos, r.bad[0].c_str());
    CHECK(!store->has_blob(d.digest));
    CHECK(store->has_blob(good.digest));
    std::string moved = root + "/quarantine/sha256-" + d.digest.hex();
    CHECK(read_path(moved) == data);
    struct stat st;
    CHECK(stat((root + "/quarantine").c_str(), &st) == 0);
    LONGS_EQUAL(0700, st.st_mode & 07777);
    // A second run finds nothing more; the same blob quarantined again gets another name.
    LONGS_EQUAL(0, verify_now().bad.size());
    write_path(blob_path(d.digest), data);
    LONGS_EQUAL(1, verify_now().bad.size());
    CHECK(path_exists(moved + ".1"));
}

TEST(StoreVerify, QuarantinesWrongNamesAndNonFiles) {
    write_path(root + "/store/blobs/sha256/not-a-digest", "x");
    std::string hexname = sha256_of("dir").hex();
    mkdir((root + "/store/blobs/sha256/" + hexname).c_str(), 0700);
    CHECK(symlink("/etc/passwd", (root + "/store/blobs/sha512/" + std::string(128, 'a')).c_str()) ==
          0);
    VerifyReport r = verify_now();
    LONGS_EQUAL(3, r.bad.size());
    LONGS_EQUAL(0, dir_entries(root + "/store/blobs/sha256").size());
    LONGS_EQUAL(0, dir_entries(root + "/store/blobs/sha512").size());
    LONGS_EQUAL(3, dir_entries(root + "/quarantine").size());
    CHECK(path_exists(root + "/quarantine/sha256-not-a-digest"));
}

TEST(StoreVerify, ReportsWhatARefNeedsButLacks) {
    Descriptor config = put(media::oci_config, R"({"c":1})");
    std::string layer_bytes = pattern_bytes(1000, 6);
    Descriptor layer_present = put(media::oci_layer_gzip, layer_bytes);
    Descriptor layer_absent = descriptor_of(media::oci_layer_gzip, pattern_bytes(1000, 7));
    Descriptor m = put(media::oci_manifest, manifest_json(config, {layer_present, layer_absent}));
    CHECK(store->set_ref("x:1", m).ok());
    VerifyReport r = verify_now();
    LONGS_EQUAL(0, r.bad.size());
    LONGS_EQUAL(1, r.missing.size());
    CHECK_TEXT(r.missing[0].rfind(layer_absent.digest.str(), 0) == 0, r.missing[0].c_str());
    CHECK(r.missing[0].find("'x:1'") != std::string::npos);

    // A config that turns out corrupt is quarantined, and then reported missing too.
    chmod(blob_path(config.digest).c_str(), 0644);
    write_path(blob_path(config.digest), R"({"c":2})");
    r = verify_now();
    LONGS_EQUAL(1, r.bad.size());
    LONGS_EQUAL(2, r.missing.size());
    CHECK(mentions(r.missing, config.digest));
    CHECK(mentions(r.missing, layer_absent.digest));
}

TEST(StoreVerify, FollowsOnlyTheStoredChildrenOfAnIndex) {
    Descriptor config = put(media::oci_config, R"({"c":1})");
    Descriptor absent_layer = descriptor_of(media::oci_layer_gzip, "missing layer");
    Descriptor chosen = put(media::oci_manifest, manifest_json(config, {absent_layer}));
    // The other platform's manifest was never pulled, and its layers neither: not missing.
    Descriptor other_layer = descriptor_of(media::oci_layer_gzip, "other platform");
    Descriptor other = descriptor_of(media::oci_manifest, manifest_json(config, {other_layer}));
    Descriptor index = put(media::oci_index, index_json_doc({other, chosen}));
    CHECK(store->set_ref("multi:1", index).ok());
    VerifyReport r = verify_now();
    LONGS_EQUAL(1, r.missing.size());
    CHECK(mentions(r.missing, absent_layer.digest));
    CHECK(!mentions(r.missing, other.digest));
    CHECK(!mentions(r.missing, other_layer.digest));
}

TEST(StoreVerify, ReportsAMissingRefTarget) {
    Descriptor m = put(media::oci_manifest, manifest_json(put(media::oci_config, "{}"), {}));
    CHECK(store->set_ref("gone:1", m).ok());
    chmod(blob_path(m.digest).c_str(), 0644);
    unlink(blob_path(m.digest).c_str());
    VerifyReport r = verify_now();
    LONGS_EQUAL(1, r.missing.size());
    CHECK(mentions(r.missing, m.digest));
}
