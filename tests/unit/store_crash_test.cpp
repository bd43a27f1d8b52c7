// The kill -9 matrix (THREATS.md §4.4): a child pulls a small image into the store and is killed
// at one named crash point; the store is then reopened and must hold its invariants: every blob
// hashes to its name, index.json parses and names only stored blobs, no temp file survives the
// open, and the interrupted blob resumes or is already complete.
#include <signal.h>
#include <stdlib.h>

#include "c/json.hpp"
#include "store/store.hpp"
#include "store_fixture.hpp"

// Last: CppUTest redefines new, which the standard headers above must not see.
#include <CppUTest/TestHarness.h>

using namespace ocipod;
using namespace ocipod::test;

namespace {

constexpr size_t chunk = 64 * 1024;
constexpr const char* ref_name = "registry.example:5000/crash/test:1";

struct Image {
    std::string layer = pattern_bytes(3 * chunk + 99, 21);
    std::string config =
        R"({"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}})";
    Descriptor layer_desc = descriptor_of(media::oci_layer_gzip, layer);
    Descriptor config_desc = descriptor_of(media::oci_config, config);
    std::string manifest = manifest_json(config_desc, {layer_desc});
    Descriptor manifest_desc = descriptor_of(media::oci_manifest, manifest);
};

// The pull, as the fetcher does it: manifest and config first, the layer through an ingest in
// chunks, the ref last.
int pull(const std::string& root, const Image& img) {
    auto store = Store::open(root, true);
    if (!store) return 1;
    if (!store->put_blob(img.config_desc.digest, img.config)) return 2;
    if (!store->put_blob(img.manifest_desc.digest, img.manifest)) return 3;
    auto in = store->begin_ingest(img.layer_desc.digest, img.layer_desc.size);
    if (!in || !in->has_value()) return 4;
    for (size_t off = 0; off < img.layer.size(); off += chunk) {
        size_t n = std::min(chunk, img.layer.size() - off);
        if (!(*in)->write(img.layer.data() + off, n)) return 5;
    }
    if (!(*in)->commit()) return 6;
    if (!store->set_ref(ref_name, img.manifest_desc)) return 7;
    return 0;
}

}  // namespace

TEST_GROUP_BASE(StoreCrash, StoreDirTest) {
    Image* img = nullptr;
    void setup() override {
        StoreDirTest::setup();
        img = new Image();
    }
    void teardown() override {
        delete img;
        StoreDirTest::teardown();
    }

    void crash_at(const char* point) {
        int status = run_child([&] {
            setenv("OCI_POD_CRASH_AT", point, 1);
            return pull(root, *img);
        });
        CHECK_TEXT(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
                   strf("%s: child status %#x", point, status).c_str());
    }

    std::vector<std::string> temp_files(const std::string& path) {
        std::vector<std::string> out;
        for (const std::string& n : dir_entries(path))
            if (n.rfind(".tmp-", 0) == 0) out.push_back(n);
        return out;
    }

    // Reopen and check the invariants; expected_offset is where the layer's ingest must resume
    // (-1: it must already be stored). Then finish the pull and check the result.
    void check_recovery(const char* point, int64_t expected_offset) {
        auto store = Store::open(root, false);
        CHECK_TEXT(store.ok(), store.ok() ? "" : store.error().message.c_str());
        CHECK_TEXT(temp_files(root + "/store").empty(), point);

        // (a) every blob hashes to its name
        std::string blobs = root + "/store/blobs/sha256/";
        for (const std::string& name : dir_entries(blobs)) {
            CHECK_TEXT(name.rfind(".tmp-", 0) != 0, point);
            STRCMP_EQUAL_TEXT(name.c_str(), sha256_of(read_path(blobs + name)).hex().c_str(),
                              point);
        }
        auto report = store->verify();
        CHECK_TEXT(report.ok(), point);
        LONGS_EQUAL_TEXT(0, report->bad.size(), point);
        LONGS_EQUAL_TEXT(0, report->missing.size(), point);

        // (b) index.json parses; everything a ref names is stored
        CHECK_TEXT(json_parse(read_path(root + "/store/index.json"), "index.json").ok(), point);
        auto refs = store->list_refs();
        CHECK_TEXT(refs.ok(), point);
        for (const RefEntry& r : *refs) CHECK_TEXT(store->has_blob(r.target.digest), point);

        // (d) the interrupted blob resumes where it stopped, or is complete
        auto in = store->begin_ingest(img->layer_desc.digest, img->layer_desc.size);
        CHECK_TEXT(in.ok(), point);
        if (expected_offset < 0) {
            CHECK_TEXT(!in->has_value(), point);
            CHECK_TEXT(store->has_blob(img->layer_desc.digest), point);
        } else {
            CHECK_TEXT(in->has_value(), point);
            LONGS_EQUAL_TEXT(expected_offset, (*in)->offset(), point);
            size_t from = static_cast<size_t>((*in)->offset());
            CHECK_TEXT((*in)->write(img->layer.data() + from, img->layer.size() - from).ok(),
                       point);
            auto st = (*in)->commit();
            CHECK_TEXT(st.ok(), st.ok() ? point : st.error().message.c_str());
        }
        CHECK_TEXT(store->set_ref(ref_name, img->manifest_desc).ok(), point);
        auto found = store->find_ref(ref_name);
        CHECK_TEXT(found.ok() && found->has_value(), point);
        report = store->verify();
        CHECK_TEXT(report.ok() && report->bad.empty() && report->missing.empty(), point);
        LONGS_EQUAL_TEXT(3, report->blobs_checked, point);
        LONGS_EQUAL_TEXT(0, dir_entries(root + "/ingest").size(), point);
    }
};

TEST(StoreCrash, WithoutACrashPointThePullCompletes) {
    int status = run_child([&] {
        unsetenv("OCI_POD_CRASH_AT");
        return pull(root, *img);
    });
    CHECK(WIFEXITED(status));
    LONGS_EQUAL(0, WEXITSTATUS(status));
    check_recovery("none", -1);
}

TEST(StoreCrash, AfterIngestWrite) {
    crash_at("after-ingest-write");
    // The first chunk was written before the kill.
    check_recovery("after-ingest-write", static_cast<int64_t>(chunk));
}

TEST(StoreCrash, AfterDataFsync) {
    crash_at("after-data-fsync");
    check_recovery("after-data-fsync", img->layer_desc.size);
}

TEST(StoreCrash, AfterRenameBeforeDirFsync) {
    crash_at("after-rename-before-dirfsync");
    // The ingest directory is left behind; the next open removes it.
    CHECK(path_exists(root + "/ingest/sha256-" + img->layer_desc.digest.hex()));
    check_recovery("after-rename-before-dirfsync", -1);
}

TEST(StoreCrash, AfterBlobBeforeMetadata) {
    crash_at("after-blob-before-metadata");
    {
        auto store = Store::open(root, false);
        CHECK(store.ok());
        auto found = store->find_ref(ref_name);
        CHECK(found.ok() && !found->has_value());
    }
    check_recovery("after-blob-before-metadata", -1);
}

TEST(StoreCrash, MidMetadataWrite) {
    crash_at("mid-metadata-write");
    // The complete temp index is there, but not renamed: the old index.json still rules.
    LONGS_EQUAL(1, temp_files(root + "/store").size());
    auto doc = json_parse(read_path(root + "/store/index.json"), "index.json");
    CHECK(doc.ok());
    LONGS_EQUAL(0, json_array_size(json_object_get(doc->get(), "manifests")));
    check_recovery("mid-metadata-write", -1);
}
