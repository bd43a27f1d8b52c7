// Image configs (image-spec config.md; Docker's image JSON has the same fields) and the check that
// a manifest describes a runnable image rather than an artifact.
#include "oci/manifest.hpp"
#include "oci/media_types.hpp"

namespace ocipod {

namespace {

Result<Platform> parse_config_platform(const json_t* doc) {
    Platform p = TRY(parse_platform_fields(doc));
    if (p.os.empty() || p.architecture.empty())
        return make_error(EBADMSG, "image config has an empty 'os' or 'architecture'");
    return normalize_platform(std::move(p));
}

Result<std::vector<Digest>> parse_rootfs(const json_t* doc) {
    const json_t* rootfs = TRY(json_req_object(doc, "rootfs"));
    std::string type = TRY(json_req_string(rootfs, "type"));
    if (type != "layers")
        return make_error(ENOTSUP, "image config rootfs type '%s' is not 'layers'",
                          printable(type).c_str());
    const json_t* ids = json_opt_member(rootfs, "diff_ids");
    if (!ids) return make_error(EBADMSG, "field 'diff_ids' is missing");
    if (!json_is_array(ids)) return make_error(EBADMSG, "field 'diff_ids' is not an array");
    if (json_array_size(ids) > max_layers)
        return make_error(EFBIG, "image config lists %zu diff_ids, more than the limit of %zu",
                          json_array_size(ids), max_layers);
    std::vector<Digest> out;
    size_t i;
    const json_t* item;
    json_array_foreach(ids, i, item) {
        if (!json_is_string(item))
            return make_error(EBADMSG, "diff_ids entry %zu is not a string", i);
        out.push_back(
            TRY_WRAP(Digest::parse(json_string_value(item)), strf("diff_ids entry %zu", i)));
    }
    return out;
}

}  // namespace

Result<ImageConfig> parse_image_config(std::string_view bytes) {
    // The bound also covers huge Env, Cmd or Labels values (THREATS 82).
    if (bytes.size() > max_config_bytes)
        return make_error(EFBIG,
                          "image config of %zu bytes is larger than the limit of %zu, refusing",
                          bytes.size(), max_config_bytes);
    JsonPtr doc = TRY(json_parse(bytes, "image config"));
    if (!json_is_object(doc.get())) return make_error(EBADMSG, "image config is not a JSON object");
    ImageConfig c;
    c.platform = TRY(parse_config_platform(doc.get()));
    c.diff_ids = TRY(parse_rootfs(doc.get()));
    c.created = TRY(json_opt_string(doc.get(), "created")).value_or("");
    return c;
}

Status check_runnable_manifest(const Manifest& manifest) {
    // image-spec manifest.md: artifactType is set for artifacts; an artifact may also be told
    // apart only by a config that is not an image config (the empty descriptor, signatures, ...).
    if (!manifest.artifact_type.empty() || !media::is_image_config(manifest.config.media_type)) {
        const std::string& kind =
            manifest.artifact_type.empty() ? manifest.config.media_type : manifest.artifact_type;
        return make_error(ENOTSUP, "not a runnable image (artifact of type '%s')",
                          printable(kind).c_str());
    }
    for (size_t i = 0; i < manifest.layers.size(); ++i) {
        const std::string& type = manifest.layers[i].media_type;
        if (!media::layer_compression(type, nullptr))
            return make_error(ENOTSUP, "layer %zu has unsupported media type '%s'", i,
                              printable(type).c_str());
    }
    return {};
}

Status check_runnable_image(const Manifest& manifest, const ImageConfig& config) {
    TRY(check_runnable_manifest(manifest));
    if (config.diff_ids.size() != manifest.layers.size())
        return make_error(EBADMSG,
                          "image config lists %zu diff_ids but the manifest has %zu layers",
                          config.diff_ids.size(), manifest.layers.size());
    return {};
}

}  // namespace ocipod
