#include "cli/local_image.hpp"

#include "c/json.hpp"
#include "oci/media_types.hpp"
#include "oci/reference.hpp"

namespace ocipod {

namespace {

Result<std::string> created_of(std::string_view config_bytes) {
    JsonPtr doc = TRY(json_parse(config_bytes, "image config"));
    auto created = TRY(json_opt_string(doc.get(), "created"));
    return created.value_or("");
}

}  // namespace

Result<LocalImage> load_local_image(const Store& store, const RefEntry& ref) {
    LocalImage img;
    img.ref = ref;
    img.target_bytes = TRY(store.read_blob(ref.target.digest, max_manifest_bytes));
    auto doc = TRY(parse_manifest_document(img.target_bytes, "", ref.target.media_type));
    if (auto* index = std::get_if<Index>(&doc)) {
        Descriptor chosen = TRY(choose_manifest(*index, host_platform()));
        img.manifest_bytes = TRY(store.read_blob(chosen.digest, max_manifest_bytes));
        auto inner = TRY(parse_manifest_document(img.manifest_bytes, "", chosen.media_type));
        if (!std::holds_alternative<Manifest>(inner))
            return make_error(EBADMSG, "index entry %s is not an image manifest",
                              chosen.digest.str().c_str());
        img.manifest = std::get<Manifest>(std::move(inner));
        img.chosen = std::move(chosen);
    } else {
        img.manifest_bytes = img.target_bytes;
        img.manifest = std::get<Manifest>(std::move(doc));
    }
    img.size = img.manifest.config.size;
    for (const Descriptor& l : img.manifest.layers) img.size += l.size;
    img.config_bytes = TRY(store.read_blob(img.manifest.config.digest, max_config_bytes));
    img.created = TRY(created_of(img.config_bytes));
    return img;
}

Result<std::optional<RefEntry>> resolve_local_ref(const Store& store, std::string_view text) {
    Reference want =
        TRY_WRAP(parse_reference(text), strf("invalid image name '%s'", printable(text).c_str()));
    auto exact = TRY(store.find_ref(want.str()));
    if (exact || !want.short_name) return exact;

    std::vector<RefEntry> matches;
    for (RefEntry& e : TRY(store.list_refs())) {
        auto stored = parse_reference(e.name);
        if (stored && with_registry(want, stored->registry).str() == e.name)
            matches.push_back(std::move(e));
    }
    if (matches.empty()) return std::optional<RefEntry>();
    if (matches.size() > 1) {
        std::string names;
        for (const RefEntry& m : matches) names += (names.empty() ? "" : ", ") + m.name;
        return make_error(EINVAL, "'%s' names several images (%s): give the full name",
                          printable(text).c_str(), names.c_str());
    }
    return std::optional<RefEntry>(std::move(matches.front()));
}

const char* manifest_kind(std::string_view media_type) {
    return media::is_docker(media_type) ? "docker" : "oci";
}

}  // namespace ocipod
