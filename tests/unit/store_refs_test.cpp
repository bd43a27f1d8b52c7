// Refs in index.json: set, replace, remove, list; entries and fields of other tools survive;
// a malformed index.json is an error naming the file.

#include "c/json.hpp"
#include "store/store.hpp"
#include "store_fixture.hpp"

// Last: CppUTest redefines new, which the standard headers above must not see.
#include <CppUTest/TestHarness.h>

using namespace ocipod;
using namespace ocipod::test;

namespace {

struct RefsTest : OpenStoreTest {
    // A stored manifest, distinct per seed.
    Descriptor stored_manifest(int seed) {
        std::string config = strf(R"({"seed":%d})", seed);
        std::string m = manifest_json(descriptor_of(media::oci_config, config), {});
        Descriptor d = descriptor_of(media::oci_manifest, m);
        CHECK(store->put_blob(d.digest, m).ok());
        return d;
    }
    std::string index_path() { return root + "/store/index.json"; }
    std::vector<std::string> names() {
        auto refs = store->list_refs();
        CHECK_TEXT(refs.ok(), refs.ok() ? "" : refs.error().message.c_str());
        std::vector<std::string> out;
        for (const RefEntry& r : *refs) out.push_back(r.name);
        return out;
    }
};

}  // namespace

TEST_GROUP_BASE(StoreRefs, RefsTest){};

TEST(StoreRefs, SetFindListRemove) {
    Descriptor a = stored_manifest(1), b = stored_manifest(2);
    CHECK(store->set_ref("docker.io/library/alpine:3.20", a).ok());
    CHECK(store->set_ref("example.com/b:latest", b).ok());
    auto found = store->find_ref("docker.io/library/alpine:3.20");
    CHECK(found.ok() && found->has_value());
    CHECK((*found)->target.digest == a.digest);
    STRCMP_EQUAL(media::oci_manifest.data(), (*found)->target.media_type.c_str());
    LONGS_EQUAL(a.size, (*found)->target.size);
    STRCMP_EQUAL("docker.io/library/alpine:3.20",
                 (*found)->target.annotations.at(annotation_ref_name).c_str());
    auto none = store->find_ref("example.com/none:1");
    CHECK(none.ok() && !none->has_value());
    std::vector<std::string> expect = {"docker.io/library/alpine:3.20", "example.com/b:latest"};
    CHECK(names() == expect);

    auto removed = store->remove_ref("docker.io/library/alpine:3.20");
    CHECK(removed.ok() && *removed);
    removed = store->remove_ref("docker.io/library/alpine:3.20");
    CHECK(removed.ok() && !*removed);
    expect = {"example.com/b:latest"};
    CHECK(names() == expect);
    // The blob stays: removing a ref is not garbage collection.
    CHECK(store->has_blob(a.digest));
}

TEST(StoreRefs, SetReplacesInPlace) {
    Descriptor a = stored_manifest(1), b = stored_manifest(2), c = stored_manifest(3);
    CHECK(store->set_ref("x:1", a).ok());
    CHECK(store->set_ref("x:2", b).ok());
    CHECK(store->set_ref("x:3", a).ok());
    CHECK(store->set_ref("x:2", c).ok());
    std::vector<std::string> expect = {"x:1", "x:2", "x:3"};
    CHECK(names() == expect);
    auto found = store->find_ref("x:2");
    CHECK(found.ok() && found->has_value() && (*found)->target.digest == c.digest);
}

TEST(StoreRefs, RefToAMissingBlobIsRefused) {
    Descriptor d = descriptor_of(media::oci_manifest, "{}");
    auto st = store->set_ref("x:1", d);
    CHECK(!st.ok());
    LONGS_EQUAL(ENOENT, st.error().code);
    CHECK(names().empty());
    CHECK(!store->set_ref("", stored_manifest(1)).ok());
}

TEST(StoreRefs, KeepsEntriesAndFieldsOfOtherTools) {
    Descriptor a = stored_manifest(1), b = stored_manifest(2), c = stored_manifest(3);
    std::string foreign =
        strf(R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json",)"
             R"("manifests":[)"
             R"({"mediaType":"%s","digest":"%s","size":%lld,"x-tool":{"k":1}},)"
             R"({"mediaType":"%s","digest":"%s","size":%lld,)"
             R"("annotations":{"org.opencontainers.image.ref.name":"old:1","other":"kept"}}],)"
             R"("annotations":{"index-level":"kept"},"x-unknown":[1,2]})",
             a.media_type.c_str(), a.digest.str().c_str(), static_cast<long long>(a.size),
             b.media_type.c_str(), b.digest.str().c_str(), static_cast<long long>(b.size));
    write_path(index_path(), foreign);
    std::vector<std::string> expect = {"old:1"};
    CHECK(names() == expect);  // the entry without a name is no ref

    CHECK(store->set_ref("new:1", c).ok());
    auto doc = json_parse(read_path(index_path()), "index.json");
    CHECK(doc.ok());
    json_t* root_obj = doc->get();
    STRCMP_EQUAL("kept", json_string_value(json_object_get(json_object_get(root_obj, "annotations"),
                                                           "index-level")));
    CHECK(json_is_array(json_object_get(root_obj, "x-unknown")));
    json_t* manifests = json_object_get(root_obj, "manifests");
    LONGS_EQUAL(3, json_array_size(manifests));
    json_t* first = json_array_get(manifests, 0);
    STRCMP_EQUAL(a.digest.str().c_str(), json_string_value(json_object_get(first, "digest")));
    LONGS_EQUAL(1, json_integer_value(json_object_get(json_object_get(first, "x-tool"), "k")));
    json_t* second = json_array_get(manifests, 1);
    STRCMP_EQUAL("kept", json_string_value(
                             json_object_get(json_object_get(second, "annotations"), "other")));
    expect = {"old:1", "new:1"};
    CHECK(names() == expect);

    // Replacing "old:1" writes our entry in its place; the nameless one is untouched.
    CHECK(store->set_ref("old:1", c).ok());
    doc = json_parse(read_path(index_path()), "index.json");
    manifests = json_object_get(doc->get(), "manifests");
    LONGS_EQUAL(3, json_array_size(manifests));
    CHECK(json_object_get(json_array_get(manifests, 0), "x-tool") != nullptr);
    STRCMP_EQUAL(c.digest.str().c_str(),
                 json_string_value(json_object_get(json_array_get(manifests, 1), "digest")));
    CHECK(store->remove_ref("old:1").ok());
    doc = json_parse(read_path(index_path()), "index.json");
    LONGS_EQUAL(2, json_array_size(json_object_get(doc->get(), "manifests")));
}

TEST(StoreRefs, DuplicateNamesCollapseOnSet) {
    Descriptor a = stored_manifest(1), b = stored_manifest(2);
    std::string entry_a = strf(
        R"({"mediaType":"%s","digest":"%s","size":%lld,"annotations":{"org.opencontainers.image.ref.name":"dup:1"}})",
        a.media_type.c_str(), a.digest.str().c_str(), static_cast<long long>(a.size));
    write_path(index_path(),
               R"({"schemaVersion":2,"manifests":[)" + entry_a + "," + entry_a + "]}");
    CHECK(store->set_ref("dup:1", b).ok());
    auto refs = store->list_refs();
    CHECK(refs.ok());
    LONGS_EQUAL(1, refs->size());
    CHECK((*refs)[0].target.digest == b.digest);
}

TEST(StoreRefs, PlatformIsKept) {
    Descriptor a = stored_manifest(1);
    a.platform = Platform{"linux", "arm64", "v8", "", {}};
    CHECK(store->set_ref("p:1", a).ok());
    auto found = store->find_ref("p:1");
    CHECK(found.ok() && found->has_value());
    CHECK((*found)->target.platform.has_value());
    STRCMP_EQUAL("arm64", (*found)->target.platform->architecture.c_str());
    STRCMP_EQUAL("v8", (*found)->target.platform->variant.c_str());
}

TEST(StoreRefs, MalformedIndexIsAnErrorNamingTheFile) {
    Descriptor a = stored_manifest(1);
    const char* bad[] = {
        "{",
        "[]",
        R"({"schemaVersion":1,"manifests":[]})",
        R"({"schemaVersion":2})",
        R"({"schemaVersion":2,"manifests":{}})",
        R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","manifests":[]})",
        R"({"schemaVersion":2,"manifests":[{"mediaType":"x","digest":"sha256:../../etc","size":1}]})",
        R"({"schemaVersion":2,"manifests":[],"manifests":[]})",
        R"({"schemaVersion":2,"manifests":[{"mediaType":"x","digest":"sha256:)"
        R"(0000000000000000000000000000000000000000000000000000000000000000","size":1,)"
        R"("annotations":{"org.opencontainers.image.ref.name":7}}]})",
    };
    for (const char* text : bad) {
        write_path(index_path(), text);
        auto refs = store->list_refs();
        CHECK_TEXT(!refs.ok(), text);
        LONGS_EQUAL_TEXT(EBADMSG, refs.error().code, text);
        CHECK_TEXT(refs.error().message.find(root + "/store/index.json") != std::string::npos,
                   refs.error().message.c_str());
        CHECK_TEXT(!store->set_ref("x:1", a).ok(), text);
        CHECK_TEXT(!store->remove_ref("x:1").ok(), text);
        // The file is left for a human to look at, not overwritten.
        STRCMP_EQUAL(text, read_path(index_path()).c_str());
    }
}
