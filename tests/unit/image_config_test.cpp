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

// A config as `docker build` / buildah write it (abridged), with the given rootfs object.
std::string config_with(
    const std::string& rootfs,
    const std::string& platform = R"("architecture":"arm","os":"linux","variant":"v7")") {
    return R"({)" + platform +
           R"(,"created":"2024-05-01T12:00:00.123Z",)"
           R"("config":{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],)"
           R"("Cmd":["/bin/sh"],"Labels":{"maintainer":"x"}},)"
           R"("history":[{"created":"2024-05-01T12:00:00Z","created_by":"ADD file:x in /"}],)"
           R"("rootfs":)" +
           rootfs + "}";
}

std::string layers_rootfs(int n) {
    std::string ids;
    for (int i = 0; i < n; ++i) ids += (i ? "," : "") + ("\"" + sha(char('1' + i)) + "\"");
    return R"({"type":"layers","diff_ids":[)" + ids + "]}";
}

void check_error(const Result<ImageConfig>& r, int code, const char* needle) {
    CHECK_TEXT(!r.ok(), needle);
    LONGS_EQUAL_TEXT(code, r.error().code, r.error().message.c_str());
    CHECK_TEXT(r.error().message.find(needle) != std::string::npos, r.error().message.c_str());
}

Descriptor descriptor(std::string_view type) {
    Descriptor d;
    d.media_type = std::string(type);
    d.size = 1;
    return d;
}

Manifest image_manifest(std::initializer_list<std::string_view> layer_types) {
    Manifest m;
    m.media_type = std::string(media::oci_manifest);
    m.config = descriptor(media::oci_config);
    for (std::string_view t : layer_types) m.layers.push_back(descriptor(t));
    return m;
}

ImageConfig config_of(int layers) {
    auto r = parse_image_config(config_with(layers_rootfs(layers)));
    if (!r.ok()) FAIL(r.error().message.c_str());
    return r.take();
}

void check_status(const Status& s, int code, const char* needle) {
    CHECK_TEXT(!s.ok(), needle);
    LONGS_EQUAL_TEXT(code, s.error().code, s.error().message.c_str());
    CHECK_TEXT(s.error().message.find(needle) != std::string::npos, s.error().message.c_str());
}

}  // namespace

TEST_GROUP(ImageConfig){};

TEST(ImageConfig, ParsesPlatformDiffIdsAndCreated) {
    auto r = parse_image_config(config_with(layers_rootfs(2)));
    CHECK_TEXT(r.ok(), r.ok() ? "" : r.error().message.c_str());
    STRCMP_EQUAL("linux/arm/v7", r->platform.str().c_str());
    LONGS_EQUAL(2, r->diff_ids.size());
    STRCMP_EQUAL(sha('2').c_str(), r->diff_ids[1].str().c_str());
    STRCMP_EQUAL("2024-05-01T12:00:00.123Z", r->created.c_str());
}

TEST(ImageConfig, NormalisesPlatformAndAllowsMissingOptionalFields) {
    std::string minimal =
        R"({"architecture":"x86_64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}})";
    auto r = parse_image_config(minimal);
    CHECK_TEXT(r.ok(), r.ok() ? "" : r.error().message.c_str());
    STRCMP_EQUAL("linux/amd64", r->platform.str().c_str());
    CHECK(r->created.empty());
    CHECK(r->diff_ids.empty());
}

TEST(ImageConfig, RefusesBadRootfs) {
    check_error(parse_image_config(R"({"architecture":"amd64","os":"linux"})"), EBADMSG,
                "'rootfs' is missing");
    check_error(parse_image_config(config_with(R"({"type":"layered","diff_ids":[]})")), ENOTSUP,
                "rootfs type 'layered'");
    check_error(parse_image_config(config_with(R"({"diff_ids":[]})")), EBADMSG,
                "'type' is missing");
    check_error(parse_image_config(config_with(R"({"type":"layers"})")), EBADMSG,
                "'diff_ids' is missing");
    check_error(parse_image_config(config_with(R"({"type":"layers","diff_ids":"sha256:x"})")),
                EBADMSG, "'diff_ids' is not an array");
    check_error(parse_image_config(config_with(R"({"type":"layers","diff_ids":[1]})")), EBADMSG,
                "diff_ids entry 0 is not a string");
    check_error(parse_image_config(config_with(R"({"type":"layers","diff_ids":[")" + sha('1') +
                                               R"(","sha256:../../x"]})")),
                EINVAL, "diff_ids entry 1: invalid digest");
    check_error(parse_image_config(config_with("[]")), EBADMSG, "'rootfs' is not an object");
}

TEST(ImageConfig, RequiresOsAndArchitecture) {
    check_error(parse_image_config(config_with(layers_rootfs(1), R"("os":"linux")")), EBADMSG,
                "'architecture' is missing");
    check_error(parse_image_config(config_with(layers_rootfs(1), R"("architecture":"arm64")")),
                EBADMSG, "'os' is missing");
    check_error(
        parse_image_config(config_with(layers_rootfs(1), R"("os":"linux","architecture":64)")),
        EBADMSG, "'architecture' is not a string");
    check_error(
        parse_image_config(config_with(layers_rootfs(1), R"("os":"","architecture":"arm64")")),
        EBADMSG, "empty");
    check_error(parse_image_config(config_with(
                    layers_rootfs(1), R"("os":"linux","os":"windows","architecture":"a")")),
                EBADMSG, "duplicate");
    check_error(parse_image_config("[]"), EBADMSG, "not a JSON object");
}

TEST(ImageConfig, BoundsHugeConfigs) {
    // A 4 MiB Env value: the size limit is what bounds it.
    std::string huge = config_with(layers_rootfs(1));
    huge.insert(huge.find("PATH="), std::string(max_config_bytes, 'x'));
    check_error(parse_image_config(huge), EFBIG, "larger than the limit");
    std::string ok = config_with(layers_rootfs(1));
    ok += std::string(max_config_bytes - ok.size(), '\n');
    CHECK(parse_image_config(ok).ok());
}

TEST_GROUP(RunnableImage){};

TEST(RunnableImage, AcceptsEveryApplicableLayerType) {
    Manifest m = image_manifest({media::oci_layer_tar, media::oci_layer_gzip, media::oci_layer_zstd,
                                 media::oci_layer_nondist_tar, media::oci_layer_nondist_gzip,
                                 media::oci_layer_nondist_zstd, media::docker_layer_gzip,
                                 media::docker_layer_foreign_gzip});
    CHECK(check_runnable_image(m, config_of(8)).ok());
    m.config.media_type = std::string(media::docker_config);
    CHECK(check_runnable_image(m, config_of(8)).ok());
}

TEST(RunnableImage, RefusesArtifacts) {
    Manifest m = image_manifest({media::oci_layer_gzip});
    m.config.media_type = std::string(media::oci_empty);
    check_status(check_runnable_image(m, config_of(1)), ENOTSUP,
                 "not a runnable image (artifact of type 'application/vnd.oci.empty.v1+json')");
    m.artifact_type = "application/vnd.dev.sigstore.bundle.v0.3+json";
    check_status(check_runnable_image(m, config_of(1)), ENOTSUP,
                 "not a runnable image (artifact of type "
                 "'application/vnd.dev.sigstore.bundle.v0.3+json')");
    // artifactType alone marks an artifact, even with an image config.
    Manifest n = image_manifest({media::oci_layer_gzip});
    n.artifact_type = "application/vnd.cncf.helm.config.v1+json";
    check_status(check_runnable_image(n, config_of(1)), ENOTSUP, "helm");
}

TEST(RunnableImage, RefusesLayersWeCannotApply) {
    const char* bad[] = {
        "application/vnd.oci.image.layer.v1.tar+bzip2", "application/vnd.in-toto+json",
        "application/vnd.docker.image.rootfs.diff.tar", "application/octet-stream", ""};
    for (const char* t : bad) {
        Manifest m = image_manifest({media::oci_layer_gzip, t});
        check_status(check_runnable_image(m, config_of(2)), ENOTSUP,
                     strf("layer 1 has unsupported media type '%s'", t).c_str());
    }
}

TEST(RunnableImage, RefusesDiffIdCountMismatch) {
    Manifest m = image_manifest({media::oci_layer_gzip, media::oci_layer_gzip});
    check_status(check_runnable_image(m, config_of(1)), EBADMSG,
                 "image config lists 1 diff_ids but the manifest has 2 layers");
    check_status(check_runnable_image(m, config_of(3)), EBADMSG, "lists 3 diff_ids");
}
