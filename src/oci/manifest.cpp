// Manifest and index documents: type resolution, shape checks and the choice of one manifest from
// an index. Image configs are in image_config.cpp.
#include "oci/manifest.hpp"

#include <algorithm>
#include <climits>

#include "oci/media_types.hpp"

namespace ocipod {

namespace {

constexpr const char* schema1_refusal = "Docker schema 1 manifests are not supported";

// Content types that say nothing about the document: registries and file servers send these for
// any JSON. text/plain is also how old registries label schema 1 (containerd maps it so).
bool is_uninformative(std::string_view essence) {
    return essence.empty() || essence == "application/octet-stream" || essence == "text/plain" ||
           essence == "application/json";
}

bool has_key(const json_t* obj, const char* key) {
    return json_object_get(obj, key) != nullptr;
}

// One source of the document's type, named for error messages.
struct TypeClaim {
    const char* source;
    std::string type;
};

// Decide the document's media type. Every source that names a type must name the same one;
// without any, the shape decides (OCI documents may omit "mediaType").
Result<std::string> resolve_type(const json_t* doc, std::string_view content_type,
                                 std::string_view descriptor_type) {
    std::optional<std::string> field = TRY(json_opt_string(doc, "mediaType"));
    std::vector<TypeClaim> claims;
    if (!is_uninformative(content_type))
        claims.push_back({"the Content-Type", std::string(content_type)});
    if (!descriptor_type.empty())
        claims.push_back({"the referring descriptor", std::string(descriptor_type)});
    if (field) claims.push_back({"the document's mediaType", *field});

    for (const TypeClaim& c : claims)
        if (media::is_schema1(c.type)) return make_error(ENOTSUP, "%s", schema1_refusal);
    for (const TypeClaim& c : claims)
        if (c.type != claims.front().type)
            return make_error(EBADMSG, "manifest type mismatch: %s says '%s' but %s says '%s'",
                              claims.front().source, printable(claims.front().type).c_str(),
                              c.source, printable(c.type).c_str());
    if (!claims.empty()) {
        const std::string& t = claims.front().type;
        if (!media::is_manifest(t) && !media::is_index(t))
            return make_error(ENOTSUP, "unsupported manifest media type '%s'",
                              printable(t).c_str());
        return t;
    }
    if (has_key(doc, "manifests")) return std::string(media::oci_index);
    if (has_key(doc, "layers") && has_key(doc, "config")) return std::string(media::oci_manifest);
    return make_error(EBADMSG,
                      "cannot tell the manifest type: no mediaType and no "
                      "'manifests' or 'config' and 'layers'");
}

// A required array of descriptors, at most max entries; what names one entry in errors.
Result<std::vector<Descriptor>> parse_descriptor_array(const json_t* doc, const char* key,
                                                       size_t max, const char* what) {
    const json_t* arr = json_opt_member(doc, key);
    if (!arr) return make_error(EBADMSG, "field '%s' is missing", key);
    if (!json_is_array(arr)) return make_error(EBADMSG, "field '%s' is not an array", key);
    if (json_array_size(arr) > max)
        return make_error(EFBIG, "'%s' has %zu entries, more than the limit of %zu, refusing", key,
                          json_array_size(arr), max);
    std::vector<Descriptor> out;
    out.reserve(json_array_size(arr));
    size_t i;
    const json_t* item;
    json_array_foreach(arr, i, item) {
        out.push_back(TRY_WRAP(parse_descriptor(item), strf("%s %zu", what, i)));
    }
    return out;
}

Result<Manifest> parse_manifest(const json_t* doc, std::string type) {
    Manifest m;
    m.media_type = std::move(type);
    const json_t* config = TRY(json_req_object(doc, "config"));
    m.config = TRY_WRAP(parse_descriptor(config), "config");
    m.layers = TRY(parse_descriptor_array(doc, "layers", max_layers, "layer"));
    m.annotations = TRY(json_opt_string_map(doc, "annotations"));
    m.artifact_type = TRY(json_opt_string(doc, "artifactType")).value_or("");
    return m;
}

Result<Index> parse_index(const json_t* doc, std::string type) {
    Index idx;
    idx.media_type = std::move(type);
    idx.manifests = TRY(parse_descriptor_array(doc, "manifests", max_index_entries, "manifest"));
    idx.annotations = TRY(json_opt_string_map(doc, "annotations"));
    return idx;
}

// Entries that are never a candidate: no platform, unknown/unknown (BuildKit attestations and
// other non-images), an attestation by annotation, or something that is not a manifest at all.
bool is_candidate(const Descriptor& d) {
    if (!d.platform || d.platform->os == "unknown" || d.platform->architecture == "unknown")
        return false;
    auto it = d.annotations.find("vnd.docker.reference.type");
    if (it != d.annotations.end() && it->second == "attestation-manifest") return false;
    return media::is_manifest(d.media_type) || media::is_index(d.media_type);
}

}  // namespace

std::string media_type_essence(std::string_view content_type) {
    size_t semi = content_type.find(';');
    return to_lower(trim(content_type.substr(0, semi)));
}

Result<ManifestDocument> parse_manifest_document(std::string_view bytes,
                                                 std::string_view content_type,
                                                 std::string_view descriptor_type) {
    if (bytes.size() > max_manifest_bytes)
        return make_error(EFBIG, "manifest of %zu bytes is larger than the limit of %zu, refusing",
                          bytes.size(), max_manifest_bytes);
    std::string essence = media_type_essence(content_type);
    if (media::is_schema1(essence) || media::is_schema1(descriptor_type))
        return make_error(ENOTSUP, "%s", schema1_refusal);

    JsonPtr doc = TRY(json_parse(bytes, "manifest"));
    if (!json_is_object(doc.get())) return make_error(EBADMSG, "manifest is not a JSON object");
    std::optional<int64_t> version = TRY(json_opt_int(doc.get(), "schemaVersion"));
    if (version == 1) return make_error(ENOTSUP, "%s", schema1_refusal);
    if (!version) return make_error(EBADMSG, "manifest has no schemaVersion");
    if (*version != 2)
        return make_error(EBADMSG, "unsupported manifest schemaVersion %lld",
                          static_cast<long long>(*version));
    // CVE-2021-41190: a document readable both as an index and as a manifest could be verified
    // as one and used as the other.
    if (has_key(doc.get(), "manifests") &&
        (has_key(doc.get(), "layers") || has_key(doc.get(), "config")))
        return make_error(EBADMSG,
                          "ambiguous manifest: it has both 'manifests' and 'layers' or 'config', "
                          "refusing");

    std::string type = TRY(resolve_type(doc.get(), essence, descriptor_type));
    if (media::is_index(type))
        return ManifestDocument(TRY(parse_index(doc.get(), std::move(type))));
    return ManifestDocument(TRY(parse_manifest(doc.get(), std::move(type))));
}

Result<Descriptor> choose_manifest(const Index& index, const Platform& wanted) {
    const Descriptor* best = nullptr;
    int best_rank = INT_MAX;
    std::vector<std::string> available;
    for (const Descriptor& d : index.manifests) {
        if (!is_candidate(d)) continue;
        std::string name = normalize_platform(*d.platform).str();
        if (std::find(available.begin(), available.end(), name) == available.end())
            available.push_back(std::move(name));
        int rank = platform_rank(wanted, *d.platform);
        if (rank < best_rank) {  // strict: the first of equals wins
            best = &d;
            best_rank = rank;
        }
    }
    if (best) return *best;
    std::string list;
    for (const std::string& name : available) list += (list.empty() ? "" : ", ") + name;
    return make_error(ENOENT, "no image for platform '%s' in the index (available: %s)",
                      normalize_platform(wanted).str().c_str(),
                      list.empty() ? "none" : printable(list, 1000).c_str());
}

}  // namespace ocipod
