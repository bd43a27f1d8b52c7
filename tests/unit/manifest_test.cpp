// Project headers first: CppUTest redefines operator new for leak checks, which breaks
// standard headers (<map>) included after it.
#include "oci/manifest.hpp"
#include "oci/media_types.hpp"

#include <CppUTest/TestHarness.h>

using namespace ocipod;

namespace {

std::string sha(char c) {
    return "sha256:" + std::string(64, c);
}

std::string desc(std::string_view type, const std::string& digest, long size,
                 const std::string& extra = "") {
    return strf(R"({"mediaType":"%.*s","digest":"%s","size":%ld%s})", int(type.size()), type.data(),
                digest.c_str(), size, extra.c_str());
}

std::string platform(const char* os, const char* arch, const char* variant = nullptr) {
    std::string p = strf(R"(,"platform":{"architecture":"%s","os":"%s")", arch, os);
    if (variant) p += strf(R"(,"variant":"%s")", variant);
    return p + "}";
}

const std::string attestation_annotations =
    R"(,"annotations":{"vnd.docker.reference.digest":"sha256:)" + std::string(64, '1') +
    R"(","vnd.docker.reference.type":"attestation-manifest"})";

// A Docker v2 schema 2 manifest as Docker Hub serves it.
std::string docker_manifest() {
    return R"({
   "schemaVersion": 2,
   "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
   "config": )" +
           desc(media::docker_config, sha('c'), 1472) +
           R"(,
   "layers": [
      )" + desc(media::docker_layer_gzip, sha('d'), 3623807) +
           R"(
   ]
})";
}

// An OCI manifest as skopeo writes it: no mediaType field, two layers, an annotation.
std::string oci_manifest(const std::string& media_type_field = "") {
    return "{\"schemaVersion\":2," + media_type_field +
           "\"config\":" + desc(media::oci_config, sha('c'), 580) + ",\"layers\":[" +
           desc(media::oci_layer_gzip, sha('1'), 100) + "," +
           desc(media::oci_layer_zstd, sha('2'), 200) +
           "],\"annotations\":{\"org.opencontainers.image.created\":\"2024-05-01T00:00:00Z\"}}";
}

// A BuildKit-style index: two images and their two attestation manifests.
std::string buildkit_index() {
    return std::string(
               R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json",)") +
           R"("manifests":[)" +
           desc(media::oci_manifest, sha('a'), 1000, platform("linux", "amd64")) + "," +
           desc(media::oci_manifest, sha('b'), 1001, platform("linux", "arm64", "v8")) + "," +
           desc(media::oci_manifest, sha('e'), 566,
                platform("unknown", "unknown") + attestation_annotations) +
           "," +
           desc(media::oci_manifest, sha('f'), 566,
                platform("unknown", "unknown") + attestation_annotations) +
           "]}";
}

Result<ManifestDocument> parse(const std::string& doc, std::string_view ct = "",
                               std::string_view dt = "") {
    return parse_manifest_document(doc, ct, dt);
}

void check_error(const Result<ManifestDocument>& r, int code, const char* needle) {
    CHECK_TEXT(!r.ok(), needle);
    LONGS_EQUAL_TEXT(code, r.error().code, r.error().message.c_str());
    CHECK_TEXT(r.error().message.find(needle) != std::string::npos, r.error().message.c_str());
}

std::string with_layers(size_t n) {
    std::string layers;
    for (size_t i = 0; i < n; ++i)
        layers += (i ? "," : "") + desc(media::oci_layer_gzip, sha('1'), long(i));
    return "{\"schemaVersion\":2,\"config\":" + desc(media::oci_config, sha('c'), 2) +
           ",\"layers\":[" + layers + "]}";
}

}  // namespace

TEST_GROUP(ManifestDocument){};

TEST(ManifestDocument, ParsesDockerSchema2) {
    auto r = parse(docker_manifest(), media::docker_manifest);
    CHECK_TEXT(r.ok(), r.ok() ? "" : r.error().message.c_str());
    const Manifest& m = std::get<Manifest>(*r);
    STRCMP_EQUAL(media::docker_manifest.data(), m.media_type.c_str());
    STRCMP_EQUAL(media::docker_config.data(), m.config.media_type.c_str());
    STRCMP_EQUAL(sha('c').c_str(), m.config.digest.str().c_str());
    LONGS_EQUAL(1472, m.config.size);
    LONGS_EQUAL(1, m.layers.size());
    LONGS_EQUAL(3623807, m.layers[0].size);
    CHECK(m.artifact_type.empty());
}

TEST(ManifestDocument, ParsesOciManifestWithCharsetParameter) {
    auto r = parse(oci_manifest(), "application/vnd.oci.image.manifest.v1+json; charset=utf-8");
    CHECK_TEXT(r.ok(), r.ok() ? "" : r.error().message.c_str());
    const Manifest& m = std::get<Manifest>(*r);
    STRCMP_EQUAL(media::oci_manifest.data(), m.media_type.c_str());
    LONGS_EQUAL(2, m.layers.size());
    STRCMP_EQUAL(media::oci_layer_zstd.data(), m.layers[1].media_type.c_str());
    STRCMP_EQUAL("2024-05-01T00:00:00Z", m.annotations.at(annotation_created).c_str());
}

TEST(ManifestDocument, StripsParametersFromContentType) {
    STRCMP_EQUAL("application/x", media_type_essence("application/x; charset=utf-8").c_str());
    STRCMP_EQUAL("application/x", media_type_essence("  Application/X ;q=1").c_str());
    STRCMP_EQUAL("", media_type_essence("").c_str());
}

TEST(ManifestDocument, TakesTypeFromDescriptorOrShapeWhenUnlabelled) {
    auto by_desc = parse(oci_manifest(), "application/octet-stream", media::oci_manifest);
    CHECK(by_desc.ok());
    STRCMP_EQUAL(media::oci_manifest.data(), std::get<Manifest>(*by_desc).media_type.c_str());

    auto by_shape = parse(oci_manifest(), "text/plain");
    CHECK(by_shape.ok());
    STRCMP_EQUAL(media::oci_manifest.data(), std::get<Manifest>(*by_shape).media_type.c_str());

    std::string index = R"({"schemaVersion":2,"manifests":[)" +
                        desc(media::oci_manifest, sha('a'), 10, platform("linux", "amd64")) + "]}";
    auto idx = parse(index);
    CHECK(idx.ok());
    STRCMP_EQUAL(media::oci_index.data(), std::get<Index>(*idx).media_type.c_str());

    // The field alone is enough too (Docker-era documents always carry it).
    auto by_field = parse(docker_manifest(), "application/json");
    CHECK(by_field.ok());
    STRCMP_EQUAL(media::docker_manifest.data(), std::get<Manifest>(*by_field).media_type.c_str());
}

TEST(ManifestDocument, RefusesDisagreeingTypes) {
    std::string with_field =
        oci_manifest(R"("mediaType":"application/vnd.oci.image.manifest.v1+json",)");
    check_error(parse(with_field, media::docker_manifest), EBADMSG,
                "'application/vnd.docker.distribution.manifest.v2+json'");
    check_error(parse(with_field, media::docker_manifest), EBADMSG,
                "'application/vnd.oci.image.manifest.v1+json'");
    check_error(parse(with_field, "", media::oci_index), EBADMSG, "mismatch");
    check_error(parse(oci_manifest(), media::oci_manifest, media::docker_manifest), EBADMSG,
                "mismatch");
    // A manifest served as an index: the shape does not match the declared type.
    check_error(parse(oci_manifest(), media::oci_index), EBADMSG, "'manifests' is missing");
    check_error(parse(buildkit_index(), media::oci_manifest), EBADMSG, "mismatch");
}

TEST(ManifestDocument, RefusesAmbiguousDocuments) {
    std::string both =
        R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json",)"
        R"("manifests":[],"layers":[]})";
    check_error(parse(both, media::oci_index), EBADMSG, "ambiguous");
    std::string index_with_config = R"({"schemaVersion":2,"manifests":[],"config":)" +
                                    desc(media::oci_config, sha('c'), 1) + "}";
    check_error(parse(index_with_config, "application/octet-stream"), EBADMSG, "ambiguous");
    std::string manifest_with_manifests = oci_manifest(R"("manifests":[],)");
    check_error(parse(manifest_with_manifests, media::oci_manifest, media::oci_manifest), EBADMSG,
                "ambiguous");
    std::string shapeless = R"({"schemaVersion":2,"layers":[]})";
    check_error(parse(shapeless), EBADMSG, "cannot tell");
}

TEST(ManifestDocument, RefusesSchema1) {
    const char* msg = "Docker schema 1 manifests are not supported";
    std::string s1 = R"({"schemaVersion":1,"name":"library/x","tag":"latest","fsLayers":[]})";
    check_error(parse(s1, media::docker_schema1_signed), ENOTSUP, msg);
    check_error(parse(s1, media::docker_schema1), ENOTSUP, msg);
    check_error(parse(s1, "text/plain; charset=utf-8"), ENOTSUP, msg);
    check_error(parse(s1), ENOTSUP, msg);
    check_error(parse(oci_manifest(), "", media::docker_schema1_signed), ENOTSUP, msg);
    check_error(parse(oci_manifest(
                    R"("mediaType":"application/vnd.docker.distribution.manifest.v1+json",)")),
                ENOTSUP, msg);
}

TEST(ManifestDocument, RequiresSchemaVersion2) {
    std::string m = docker_manifest();
    std::string v3 = m, none = m, str = m;
    v3.replace(v3.find("\"schemaVersion\": 2"), 18, "\"schemaVersion\": 3");
    none.replace(none.find("\"schemaVersion\": 2,"), 19, "");
    str.replace(str.find("\"schemaVersion\": 2"), 18, "\"schemaVersion\":\"2\"");
    check_error(parse(v3), EBADMSG, "schemaVersion 3");
    check_error(parse(none), EBADMSG, "no schemaVersion");
    check_error(parse(str), EBADMSG, "'schemaVersion' is not an integer");
    check_error(parse("[1,2]"), EBADMSG, "not a JSON object");
    check_error(parse("{\"schemaVersion\":2"), EBADMSG, "malformed");
}

TEST(ManifestDocument, RefusesOversizeDocuments) {
    std::string m = oci_manifest();
    std::string at_limit = m + std::string(max_manifest_bytes - m.size(), ' ');
    CHECK(parse(at_limit, media::oci_manifest).ok());
    check_error(parse(at_limit + " ", media::oci_manifest), EFBIG, "4194305 bytes");
    CHECK(parse(with_layers(max_layers)).ok());
    check_error(parse(with_layers(max_layers + 1)), EFBIG, "'layers' has 501 entries");

    std::string entries;
    for (size_t i = 0; i <= max_index_entries; ++i)
        entries +=
            (i ? "," : "") + desc(media::oci_manifest, sha('a'), 1, platform("linux", "amd64"));
    check_error(parse(R"({"schemaVersion":2,"manifests":[)" + entries + "]}"), EFBIG,
                "'manifests' has 1001 entries");
}

TEST(ManifestDocument, RefusesBadDescriptors) {
    std::string m = oci_manifest();
    std::string bad_digest = m, upper = m, neg = m, huge = m;
    bad_digest.replace(bad_digest.find(sha('2')), 71, "sha256:../../etc/passwd");
    check_error(parse(bad_digest), EINVAL, "layer 1: invalid digest 'sha256:../../etc/passwd'");
    upper.replace(upper.find(sha('c')), 71, "sha256:" + std::string(64, 'C'));
    check_error(parse(upper), EINVAL, "config: invalid digest");
    neg.replace(neg.find("\"size\":100"), 10, "\"size\":-1");
    check_error(parse(neg), EBADMSG, "invalid size -1");
    huge.replace(huge.find("\"size\":200"), 10, "\"size\":68719476737");
    check_error(parse(huge), EBADMSG, "invalid size 68719476737");
}

TEST(ManifestDocument, RefusesWrongFieldTypes) {
    std::string base =
        R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",)";
    std::string config = "\"config\":" + desc(media::oci_config, sha('c'), 2);
    check_error(parse(base + config + R"(,"layers":{}})"), EBADMSG, "'layers' is not an array");
    check_error(parse(base + R"("config":[],"layers":[]})"), EBADMSG, "'config' is not an object");
    check_error(parse(base + R"("layers":[]})"), EBADMSG, "'config' is missing");
    check_error(parse(base + config + "}"), EBADMSG, "'layers' is missing");
    check_error(parse(base + config + R"(,"layers":["sha256:x"]})"), EBADMSG,
                "layer 0: descriptor is not an object");
    check_error(parse(base + config + R"(,"layers":[],"annotations":{"a":1}})"), EBADMSG,
                "'annotations' is not an object of strings");
    check_error(parse(R"({"schemaVersion":2,"mediaType":7,"manifests":[]})"), EBADMSG,
                "'mediaType' is not a string");
    std::string size_str = desc(media::oci_config, sha('c'), 2);
    size_str.replace(size_str.find("\"size\":2"), 8, "\"size\":\"2\"");
    check_error(parse(base + "\"config\":" + size_str + R"(,"layers":[]})"), EBADMSG,
                "config: field 'size' is not an integer");
    check_error(
        parse(R"({"schemaVersion":2,"manifests":[)" +
              desc(media::oci_manifest, sha('a'), 1, R"(,"platform":"linux/amd64")") + "]}"),
        EBADMSG, "manifest 0: field 'platform' is not an object");
}

TEST(ManifestDocument, RefusesDuplicateKeys) {
    std::string dup = oci_manifest(R"("mediaType":"application/vnd.oci.image.index.v1+json",)"
                                   R"("mediaType":"application/vnd.oci.image.manifest.v1+json",)");
    check_error(parse(dup), EBADMSG, "duplicate");
}

TEST(ManifestDocument, RefusesNonManifestTypes) {
    check_error(parse(oci_manifest(), media::oci_config), ENOTSUP,
                "unsupported manifest media type 'application/vnd.oci.image.config.v1+json'");
    check_error(parse(oci_manifest(), "", "application/vnd.oci.artifact.manifest.v1+json"), ENOTSUP,
                "unsupported manifest media type");
}

TEST(ManifestDocument, KeepsArtifactFieldsForTheRunnableCheck) {
    std::string art =
        R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",)"
        R"("artifactType":"application/vnd.example.sbom+json","config":)" +
        desc(media::oci_empty, sha('4'), 2) + R"(,"layers":[)" +
        desc("application/vnd.example.sbom+json", sha('5'), 99) + "]}";
    auto r = parse(art);
    CHECK_TEXT(r.ok(), r.ok() ? "" : r.error().message.c_str());
    const Manifest& m = std::get<Manifest>(*r);
    STRCMP_EQUAL("application/vnd.example.sbom+json", m.artifact_type.c_str());
    STRCMP_EQUAL(media::oci_empty.data(), m.config.media_type.c_str());
}

TEST(ManifestDocument, AcceptsNestedIndexEntries) {
    std::string nested =
        R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json",)"
        R"("manifests":[)" +
        desc(media::oci_index, sha('9'), 300, platform("linux", "amd64")) + "]}";
    auto r = parse(nested, media::oci_index);
    CHECK(r.ok());
    const Index& idx = std::get<Index>(*r);
    LONGS_EQUAL(1, idx.manifests.size());
    STRCMP_EQUAL(media::oci_index.data(), idx.manifests[0].media_type.c_str());
}

TEST_GROUP(ChooseManifest){};

namespace {

Index index_of(const std::string& doc) {
    auto r = parse_manifest_document(doc, media::oci_index, "");
    if (!r.ok()) FAIL(r.error().message.c_str());
    return std::get<Index>(r.take());
}

Platform plat(const char* s) {
    return parse_platform(s).take();
}

}  // namespace

TEST(ChooseManifest, PicksHostImageAndNeverAttestations) {
    Index idx = index_of(buildkit_index());
    LONGS_EQUAL(4, idx.manifests.size());
    auto amd = choose_manifest(idx, plat("linux/amd64"));
    CHECK(amd.ok());
    STRCMP_EQUAL(sha('a').c_str(), amd->digest.str().c_str());
    auto arm = choose_manifest(idx, plat("linux/arm64"));
    CHECK(arm.ok());
    STRCMP_EQUAL(sha('b').c_str(), arm->digest.str().c_str());
    auto none = choose_manifest(idx, plat("linux/arm/v7"));
    LONGS_EQUAL(ENOENT, none.error().code);
    STRCMP_EQUAL(
        "no image for platform 'linux/arm/v7' in the index (available: linux/amd64, "
        "linux/arm64)",
        none.error().message.c_str());
}

TEST(ChooseManifest, SkipsAnnotatedAttestationsEvenWithAPlatform) {
    // An attestation listed first with a real platform must still lose to the image.
    Index idx =
        index_of(R"({"schemaVersion":2,"manifests":[)" +
                 desc(media::oci_manifest, sha('e'), 5,
                      platform("linux", "amd64") + attestation_annotations) +
                 "," + desc(media::oci_layer_gzip, sha('7'), 5, platform("linux", "amd64")) + "," +
                 desc(media::oci_manifest, sha('8'), 5) + "," +
                 desc(media::docker_manifest, sha('a'), 5, platform("linux", "amd64")) + "]}");
    auto r = choose_manifest(idx, plat("linux/amd64"));
    CHECK_TEXT(r.ok(), r.ok() ? "" : r.error().message.c_str());
    STRCMP_EQUAL(sha('a').c_str(), r->digest.str().c_str());
}

TEST(ChooseManifest, PrefersBestVariantThenFirstEntry) {
    Index idx =
        index_of(R"({"schemaVersion":2,"manifests":[)" +
                 desc(media::oci_manifest, sha('5'), 1, platform("linux", "arm", "v5")) + "," +
                 desc(media::oci_manifest, sha('6'), 1, platform("linux", "arm", "v6")) + "," +
                 desc(media::oci_manifest, sha('7'), 1, platform("linux", "arm", "v7")) + "," +
                 desc(media::oci_manifest, sha('8'), 1, platform("linux", "arm", "v7")) + "," +
                 desc(media::oci_manifest, sha('a'), 1, platform("linux", "amd64", "v2")) + "]}");
    STRCMP_EQUAL(sha('7').c_str(),
                 choose_manifest(idx, plat("linux/arm/v7"))->digest.str().c_str());
    STRCMP_EQUAL(sha('7').c_str(), choose_manifest(idx, plat("linux/arm"))->digest.str().c_str());
    STRCMP_EQUAL(sha('6').c_str(),
                 choose_manifest(idx, plat("linux/arm/v6"))->digest.str().c_str());
    auto amd = choose_manifest(idx, plat("linux/amd64"));
    CHECK_FALSE(amd.ok());
    STRCMP_EQUAL(
        "no image for platform 'linux/amd64' in the index (available: linux/arm/v5, "
        "linux/arm/v6, linux/arm/v7, linux/amd64/v2)",
        amd.error().message.c_str());
    STRCMP_EQUAL(sha('a').c_str(),
                 choose_manifest(idx, plat("linux/amd64/v3"))->digest.str().c_str());
}

TEST(ChooseManifest, WindowsOnlyIndexListsWhatItHas) {
    std::string win = platform("windows", "amd64");
    win.insert(win.size() - 1, R"(,"os.version":"10.0.20348.2461")");
    Index idx = index_of(R"({"schemaVersion":2,"manifests":[)" +
                         desc(media::docker_manifest, sha('a'), 1, win) + "," +
                         desc(media::docker_manifest, sha('b'), 1, win) + "]}");
    STRCMP_EQUAL("10.0.20348.2461", idx.manifests[0].platform->os_version.c_str());
    auto r = choose_manifest(idx, plat("linux/amd64"));
    LONGS_EQUAL(ENOENT, r.error().code);
    STRCMP_EQUAL("no image for platform 'linux/amd64' in the index (available: windows/amd64)",
                 r.error().message.c_str());
}

TEST(ChooseManifest, FollowsNestedIndexEntry) {
    Index idx = index_of(R"({"schemaVersion":2,"manifests":[)" +
                         desc(media::oci_index, sha('9'), 1, platform("linux", "arm64")) + "]}");
    auto r = choose_manifest(idx, plat("linux/aarch64"));
    CHECK(r.ok());
    STRCMP_EQUAL(media::oci_index.data(), r->media_type.c_str());
}

TEST(ChooseManifest, EmptyIndexSaysNone) {
    Index idx = index_of(R"({"schemaVersion":2,"manifests":[]})");
    auto r = choose_manifest(idx, plat("linux/amd64"));
    STRCMP_EQUAL("no image for platform 'linux/amd64' in the index (available: none)",
                 r.error().message.c_str());
}
