// Local sources end to end into a scratch store: oci:DIR and oci-archive:FILE built in the test,
// and the refusals that keep a hostile layout or archive out of the store. docker-archive is in
// docker_archive_test.cpp.

#include "fetch/puller.hpp"
#include "image_fixture.hpp"
#include "store/store.hpp"

// CppUTest last: its leak-detecting operator new macro must not meet the STL headers.
#include <CppUTest/TestHarness.h>

using namespace ocipod;
using namespace ocipod::test;

// ---------------------------------------------------------------------------------------------

TEST_GROUP_BASE(OciDirSource, LocalSourceTest){};

TEST(OciDirSource, PullsByRefNameAndNamesItUnderLocalhost) {
    LayoutFiles l;
    BuiltImage img = l.image("amd64", 1);
    l.entry(img.manifest, ref_annotation("1.0"));
    BuiltImage other = l.image("amd64", 2);
    l.entry(other.manifest, ref_annotation("2.0"));
    l.finish_index();
    auto r = b.pull_dir(l, "My_Layout", ":1.0");
    CHECK_TEXT(r.ok(), r.ok() ? "" : r.error().message.c_str());
    STRCMP_EQUAL("localhost/my_layout:1.0", r->ref_name.c_str());
    STRCMP_EQUAL(img.manifest.digest.str().c_str(),
                 b.ref_digest("localhost/my_layout:1.0").c_str());
    CHECK(b.store->has_blob(img.manifest.digest));
    CHECK(b.store->has_blob(img.config.digest));
    CHECK(b.store->has_blob(img.layers[0].digest));
    CHECK(!b.store->has_blob(other.layers[0].digest));
    CHECK(!r->from_index);
    LONGS_EQUAL(2, r->blobs_fetched);
    LONGS_EQUAL(0, r->blobs_present);
    LONGS_EQUAL(img.config.size + img.layers[0].size, r->bytes_fetched);

    // Again: everything is there already.
    auto again = b.pull("oci:" + b.dir + "/My_Layout:1.0");
    CHECK(again.ok());
    LONGS_EQUAL(0, again->blobs_fetched);
    LONGS_EQUAL(2, again->blobs_present);
    LONGS_EQUAL(0, again->bytes_fetched);
}

TEST(OciDirSource, TakesTheOnlyEntryAndNormalisesAFullReference) {
    LayoutFiles l;
    BuiltImage img = l.single_image("amd64", 3, ref_annotation("busybox:1.36"));
    auto r = b.pull_dir(l, "bb");
    CHECK_TEXT(r.ok(), r.ok() ? "" : r.error().message.c_str());
    STRCMP_EQUAL("docker.io/library/busybox:1.36", r->ref_name.c_str());
    // The normalised name also selects it.
    auto again = b.pull("oci:" + b.dir + "/bb:docker.io/library/busybox:1.36");
    CHECK_TEXT(again.ok(), again.ok() ? "" : again.error().message.c_str());
}

TEST(OciDirSource, UnnamedOnlyEntryIsLatest) {
    LayoutFiles l;
    l.single_image("amd64", 4);
    auto r = b.pull_dir(l, "plain.oci");
    CHECK_TEXT(r.ok(), r.ok() ? "" : r.error().message.c_str());
    STRCMP_EQUAL("localhost/plain:latest", r->ref_name.c_str());
}

TEST(OciDirSource, SeveralEntriesWithoutRefAreListed) {
    LayoutFiles l;
    l.entry(l.image("amd64", 1).manifest, ref_annotation("one"));
    l.entry(l.image("amd64", 2).manifest, ref_annotation("two"));
    l.finish_index();
    auto r = b.pull_dir(l, "two");
    CHECK(!r.ok());
    LONGS_EQUAL(EINVAL, r.error().code);
    CHECK_TEXT(r.error().message.find("'one', 'two'") != std::string::npos,
               r.error().message.c_str());
    auto missing = b.pull("oci:" + b.dir + "/two:three");
    CHECK(!missing.ok());
    LONGS_EQUAL(ENOENT, missing.error().code);
    LONGS_EQUAL(0, b.ref_count());
}

TEST(OciDirSource, ResolvesAnIndexByPlatform) {
    LayoutFiles l;
    BuiltImage amd = l.image("amd64", 1);
    BuiltImage arm = l.image("arm64", 2);
    std::string index =
        R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[)" +
        descriptor_json_with(amd.manifest, platform_json("amd64")) + "," +
        descriptor_json_with(arm.manifest, platform_json("arm64")) + "]}";
    Descriptor idx = l.blob(media::oci_index, index);
    l.entry(idx, ref_annotation("latest"));
    l.finish_index();
    auto r = b.pull_dir(l, "multi", ":latest", "linux/arm64");
    CHECK_TEXT(r.ok(), r.ok() ? "" : r.error().message.c_str());
    CHECK(r->from_index);
    STRCMP_EQUAL(arm.manifest.digest.str().c_str(), r->manifest.digest.str().c_str());
    STRCMP_EQUAL(arm.manifest.digest.str().c_str(), b.ref_digest("localhost/multi:latest").c_str());
    CHECK(b.store->has_blob(arm.layers[0].digest));
    CHECK(!b.store->has_blob(amd.layers[0].digest));
    // The ref points at the platform manifest; the index itself is not stored.
    CHECK(!b.store->has_blob(idx.digest));

    auto none = b.pull("oci:" + b.dir + "/multi:latest", "linux/s390x");
    CHECK(!none.ok());
    LONGS_EQUAL(ENOENT, none.error().code);
    CHECK_TEXT(none.error().message.find("linux/amd64") != std::string::npos,
               none.error().message.c_str());
    LONGS_EQUAL(1, b.ref_count());
}

TEST(OciDirSource, EntriesSharingANameActAsAnIndex) {
    LayoutFiles l;
    BuiltImage amd = l.image("amd64", 1);
    BuiltImage arm = l.image("arm64", 2);
    l.entry(amd.manifest, ref_annotation("v1") + "," + platform_json("amd64"));
    l.entry(arm.manifest, ref_annotation("v1") + "," + platform_json("arm64"));
    l.finish_index();
    auto r = b.pull_dir(l, "pair", "", "linux/amd64");
    CHECK_TEXT(r.ok(), r.ok() ? "" : r.error().message.c_str());
    STRCMP_EQUAL(amd.manifest.digest.str().c_str(), r->manifest.digest.str().c_str());
    STRCMP_EQUAL("localhost/pair:v1", r->ref_name.c_str());
}

TEST(OciDirSource, RefusesConfigForAnotherPlatformThanTheIndexSays) {
    LayoutFiles l;
    BuiltImage amd = l.image("amd64", 1);
    std::string index = R"({"schemaVersion":2,"manifests":[)" +
                        descriptor_json_with(amd.manifest, platform_json("arm64")) + "]}";
    l.entry(l.blob(media::oci_index, index));
    l.finish_index();
    auto r = b.pull_dir(l, "liar", "", "linux/arm64");
    CHECK(!r.ok());
    LONGS_EQUAL(EBADMSG, r.error().code);
    CHECK(!b.store->has_blob(amd.layers[0].digest));
    LONGS_EQUAL(0, b.ref_count());
}

TEST(OciDirSource, RefusesABlobWhoseContentDoesNotMatchItsDigest) {
    LayoutFiles l;
    BuiltImage img = l.single_image("amd64", 1);
    std::string& layer = l.files["blobs/sha256/" + img.layers[0].digest.hex()];
    layer[700] ^= 1;  // same size, other content
    auto r = b.pull_dir(l, "bad");
    CHECK(!r.ok());
    LONGS_EQUAL(EBADMSG, r.error().code);
    CHECK(!b.store->has_blob(img.layers[0].digest));
    CHECK(!b.store->has_blob(img.manifest.digest));
    LONGS_EQUAL(0, b.ref_count());
}

TEST(OciDirSource, RefusesAManifestThatDoesNotMatchItsDigest) {
    LayoutFiles l;
    BuiltImage img = l.single_image("amd64", 1);
    std::string& m = l.files["blobs/sha256/" + img.manifest.digest.hex()];
    m.replace(m.find("\"size\""), 6, "\"size\" ");  // same meaning, other bytes
    auto r = b.pull_dir(l, "badm");
    CHECK(!r.ok());
    LONGS_EQUAL(EBADMSG, r.error().code);
    CHECK(!b.store->has_blob(img.config.digest));
}

TEST(OciDirSource, RefusesAManifestReferencingAMissingBlob) {
    LayoutFiles l;
    BuiltImage img = l.single_image("amd64", 1);
    l.files.erase("blobs/sha256/" + img.layers[0].digest.hex());
    auto r = b.pull_dir(l, "hole");
    CHECK(!r.ok());
    LONGS_EQUAL(ENOENT, r.error().code);
    CHECK_TEXT(r.error().message.find(img.layers[0].digest.str()) != std::string::npos,
               r.error().message.c_str());
    CHECK(!b.store->has_blob(img.manifest.digest));
    LONGS_EQUAL(0, b.ref_count());
}

TEST(OciDirSource, RefusesADigestThatWouldBuildAPath) {
    LayoutFiles l;
    l.image("amd64", 1);
    l.finish_index(
        R"({"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:../../x","size":10}]})");
    l.write_dir(b.dir + "/path");
    write_path(b.dir + "/x", "{}");
    auto r = b.pull("oci:" + b.dir + "/path");
    CHECK(!r.ok());
    LONGS_EQUAL(EINVAL, r.error().code);
    LONGS_EQUAL(0, b.ref_count());
}

TEST(OciDirSource, RefusesAnArtifactBeforeFetchingLayers) {
    LayoutFiles l;
    Descriptor layer = l.blob("application/vnd.oci.image.layer.v1.tar", layer_tar(1));
    Descriptor cfg = l.blob("application/vnd.oci.empty.v1+json", "{}");
    std::string m =
        R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","artifactType":"application/vnd.example.sbom","config":)" +
        descriptor_json(cfg) + R"(,"layers":[)" + descriptor_json(layer) + "]}";
    l.entry(l.blob(media::oci_manifest, m));
    l.finish_index();
    auto r = b.pull_dir(l, "artifact");
    CHECK(!r.ok());
    LONGS_EQUAL(ENOTSUP, r.error().code);
    CHECK_TEXT(r.error().message.find("not a runnable image") != std::string::npos,
               r.error().message.c_str());
    CHECK(!b.store->has_blob(layer.digest));
    CHECK(!b.store->has_blob(cfg.digest));
}

TEST(OciDirSource, RefusesUnknownLayerTypesBeforeDownloading) {
    LayoutFiles l;
    Descriptor layer = l.blob("application/vnd.oci.image.layer.v1.tar+bzip2", layer_tar(1));
    Descriptor cfg = l.blob(media::oci_config, config_json("amd64", {layer.digest}));
    l.entry(l.blob(media::oci_manifest, manifest_json(cfg, {layer})));
    l.finish_index();
    auto r = b.pull_dir(l, "bz");
    CHECK(!r.ok());
    LONGS_EQUAL(ENOTSUP, r.error().code);
    CHECK(!b.store->has_blob(cfg.digest));
    CHECK(!b.store->has_blob(layer.digest));
}

TEST(OciDirSource, RefusesSymlinkedBlobsAndOtherLayoutVersions) {
    LayoutFiles l;
    BuiltImage img = l.single_image("amd64", 1);
    l.write_dir(b.dir + "/link");
    std::string layer = b.dir + "/link/blobs/sha256/" + img.layers[0].digest.hex();
    CHECK_EQUAL(0, rename(layer.c_str(), (b.dir + "/elsewhere").c_str()));
    CHECK_EQUAL(0, symlink((b.dir + "/elsewhere").c_str(), layer.c_str()));
    auto r = b.pull("oci:" + b.dir + "/link");
    CHECK(!r.ok());
    CHECK_TEXT(r.error().message.find("symlink") != std::string::npos, r.error().message.c_str());

    l.files["oci-layout"] = R"({"imageLayoutVersion":"2.0.0"})";
    auto v2 = b.pull_dir(l, "v2");
    CHECK(!v2.ok());
    LONGS_EQUAL(ENOTSUP, v2.error().code);
    LONGS_EQUAL(0, b.ref_count());
}

// ---------------------------------------------------------------------------------------------

TEST_GROUP_BASE(OciArchiveSource, LocalSourceTest){};

TEST(OciArchiveSource, PullsPlainDotSlashAndGzipArchives) {
    LayoutFiles l;
    BuiltImage img = l.single_image("amd64", 1, ref_annotation("v1"));
    auto r = b.pull_file("oci-archive", "plain.tar", l.tar().finish(), ":v1");
    CHECK_TEXT(r.ok(), r.ok() ? "" : r.error().message.c_str());
    STRCMP_EQUAL("localhost/plain:v1", r->ref_name.c_str());
    STRCMP_EQUAL(img.manifest.digest.str().c_str(), b.ref_digest("localhost/plain:v1").c_str());
    CHECK(b.store->has_blob(img.layers[0].digest));
    LONGS_EQUAL(2, r->blobs_fetched);

    auto dot = b.pull_file("oci-archive", "dot.tar", l.tar("./").dir("./").finish());
    CHECK_TEXT(dot.ok(), dot.ok() ? "" : dot.error().message.c_str());
    STRCMP_EQUAL("localhost/dot:v1", dot->ref_name.c_str());

    CHECK_EQUAL(
        0, system(("gzip -n -c " + b.dir + "/plain.tar > " + b.dir + "/zipped.tar.gz").c_str()));
    auto gz = b.pull("oci-archive:" + b.dir + "/zipped.tar.gz:v1");
    CHECK_TEXT(gz.ok(), gz.ok() ? "" : gz.error().message.c_str());
    STRCMP_EQUAL("localhost/zipped:v1", gz->ref_name.c_str());
}

TEST(OciArchiveSource, StreamsLargeLayersInASecondPass) {
    LayoutFiles l;
    Descriptor layer =
        l.blob(media::oci_layer_tar, TarBuilder().file("big", pattern_bytes(6 << 20, 9)).finish());
    Descriptor cfg = l.blob(media::oci_config, config_json("amd64", {layer.digest}));
    l.entry(l.blob(media::oci_manifest, manifest_json(cfg, {layer})));
    l.finish_index();
    auto r = b.pull_file("oci-archive", "big.tar", l.tar().finish());
    CHECK_TEXT(r.ok(), r.ok() ? "" : r.error().message.c_str());
    auto size = b.store->blob_size(layer.digest);
    CHECK(size.ok());
    LONGS_EQUAL(layer.size, *size);
}

TEST(OciArchiveSource, RefusesDotDotAndUnknownMembers) {
    LayoutFiles l;
    l.single_image("amd64", 1);
    const char* bad[] = {"../evil",          "blobs/../../evil", "/etc/passwd",     "etc/passwd",
                         "blobs/sha256/xyz", "blobs/md5/00",     "blobs/sha256/a/b"};
    for (const char* name : bad) {
        write_path(b.dir + "/bad.tar", l.tar().file(name, "x").finish());
        auto r = b.pull("oci-archive:" + b.dir + "/bad.tar");
        CHECK_TEXT(!r.ok(), name);
        LONGS_EQUAL_TEXT(EINVAL, r.error().code, name);
        CHECK_TEXT(r.error().message.find("refusing") != std::string::npos,
                   r.error().message.c_str());
    }
    LONGS_EQUAL(0, b.ref_count());
}

TEST(OciArchiveSource, RefusesLinksAndDuplicates) {
    LayoutFiles l;
    l.single_image("amd64", 1);
    auto link = b.pull_file(
        "oci-archive", "link.tar",
        l.tar().symlink("blobs/sha256/" + std::string(64, 'a'), "/etc/passwd").finish());
    CHECK(!link.ok());
    LONGS_EQUAL(EINVAL, link.error().code);

    auto dup =
        b.pull_file("oci-archive", "dup.tar",
                    l.tar().file("index.json", R"({"schemaVersion":2,"manifests":[]})").finish());
    CHECK(!dup.ok());
    CHECK_TEXT(dup.error().message.find("twice") != std::string::npos, dup.error().message.c_str());
    LONGS_EQUAL(0, b.ref_count());
}

TEST(OciArchiveSource, RefusesMissingAndWrongBlobs) {
    LayoutFiles l;
    BuiltImage img = l.single_image("amd64", 1);
    std::string layer_name = "blobs/sha256/" + img.layers[0].digest.hex();
    LayoutFiles hole = l;
    hole.files.erase(layer_name);
    auto r = b.pull_file("oci-archive", "hole.tar", hole.tar().finish());
    CHECK(!r.ok());
    LONGS_EQUAL(ENOENT, r.error().code);

    LayoutFiles wrong = l;
    wrong.files[layer_name][600] ^= 0x20;
    auto w = b.pull_file("oci-archive", "wrong.tar", wrong.tar().finish());
    CHECK(!w.ok());
    LONGS_EQUAL(EBADMSG, w.error().code);
    CHECK(!b.store->has_blob(img.layers[0].digest));
    LONGS_EQUAL(0, b.ref_count());
}

TEST(OciArchiveSource, RefusesDamagedArchives) {
    LayoutFiles l;
    l.single_image("amd64", 1);
    auto r = b.pull_file("oci-archive", "damaged.tar", l.tar().damage_header(3).finish());
    CHECK(!r.ok());
    std::string cut = l.tar().finish();
    auto c = b.pull_file("oci-archive", "cut.tar", cut.substr(0, cut.size() / 2));
    CHECK(!c.ok());
    LONGS_EQUAL(0, b.ref_count());
}
