#include "oci/descriptor.hpp"

namespace ocipod {

Result<Platform> parse_platform_fields(const json_t* obj) {
    Platform p;
    p.os = TRY(json_req_string(obj, "os"));
    p.architecture = TRY(json_req_string(obj, "architecture"));
    p.variant = TRY(json_opt_string(obj, "variant")).value_or("");
    p.os_version = TRY(json_opt_string(obj, "os.version")).value_or("");
    p.os_features = TRY(json_opt_string_array(obj, "os.features"));
    return p;
}

Result<Descriptor> parse_descriptor(const json_t* obj) {
    if (!json_is_object(obj)) return make_error(EBADMSG, "descriptor is not an object");
    Descriptor d;
    d.media_type = TRY(json_req_string(obj, "mediaType"));
    std::string digest = TRY(json_req_string(obj, "digest"));
    d.digest = TRY(Digest::parse(digest));
    d.size = TRY(json_req_int(obj, "size"));
    if (d.size < 0 || d.size > max_descriptor_size)
        return make_error(EBADMSG, "descriptor '%s' has invalid size %lld", digest.c_str(),
                          static_cast<long long>(d.size));
    d.urls = TRY(json_opt_string_array(obj, "urls"));
    d.annotations = TRY(json_opt_string_map(obj, "annotations"));
    d.artifact_type = TRY(json_opt_string(obj, "artifactType")).value_or("");
    if (const json_t* p = json_opt_member(obj, "platform")) {
        if (!json_is_object(p)) return make_error(EBADMSG, "field 'platform' is not an object");
        d.platform = TRY(parse_platform_fields(p).wrap("platform"));
    }
    return d;
}

JsonPtr descriptor_to_json(const Descriptor& d) {
    JsonPtr o(json_object());
    json_object_set_new(o.get(), "mediaType", json_string(d.media_type.c_str()));
    json_object_set_new(o.get(), "digest", json_string(d.digest.str().c_str()));
    json_object_set_new(o.get(), "size", json_integer(d.size));
    if (!d.urls.empty())
        json_object_set_new(o.get(), "urls", json_from_string_array(d.urls).release());
    if (!d.artifact_type.empty())
        json_object_set_new(o.get(), "artifactType", json_string(d.artifact_type.c_str()));
    if (!d.annotations.empty())
        json_object_set_new(o.get(), "annotations", json_from_string_map(d.annotations).release());
    if (d.platform) {
        JsonPtr p(json_object());
        json_object_set_new(p.get(), "architecture", json_string(d.platform->architecture.c_str()));
        json_object_set_new(p.get(), "os", json_string(d.platform->os.c_str()));
        if (!d.platform->os_version.empty())
            json_object_set_new(p.get(), "os.version", json_string(d.platform->os_version.c_str()));
        if (!d.platform->os_features.empty())
            json_object_set_new(p.get(), "os.features",
                                json_from_string_array(d.platform->os_features).release());
        if (!d.platform->variant.empty())
            json_object_set_new(p.get(), "variant", json_string(d.platform->variant.c_str()));
        json_object_set_new(o.get(), "platform", p.release());
    }
    return o;
}

}  // namespace ocipod
