#include "fetch/source.hpp"

#include <sys/stat.h>

namespace ocipod {

namespace {

constexpr size_t max_basename_length = 64;

bool names_kind(const std::string& path, bool want_dir) {
    struct stat st;
    if (path.empty() || stat(path.c_str(), &st) < 0) return false;
    return want_dir ? S_ISDIR(st.st_mode) : S_ISREG(st.st_mode);
}

// Split "PATH[:REF]" by the rule in the header.
void split_path_ref(std::string_view rest, bool want_dir, Source* out) {
    if (names_kind(std::string(rest), want_dir)) {
        out->path = std::string(rest);
        return;
    }
    for (size_t colon = rest.find(':'); colon != std::string_view::npos;
         colon = rest.find(':', colon + 1)) {
        std::string prefix(rest.substr(0, colon));
        if (names_kind(prefix, want_dir)) {
            out->path = std::move(prefix);
            out->local_ref = std::string(rest.substr(colon + 1));
            return;
        }
    }
    size_t colon = rest.find(':');
    out->path = std::string(rest.substr(0, colon));
    if (colon != std::string_view::npos) out->local_ref = std::string(rest.substr(colon + 1));
}

bool is_lower_alnum(char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

bool is_reference_like(std::string_view v) {
    return v.find_first_of("/:@") != std::string_view::npos;
}

}  // namespace

Result<Source> parse_source(std::string_view s) {
    struct Prefix {
        std::string_view text;
        SourceKind kind;
    };
    static constexpr Prefix local[] = {{"oci:", SourceKind::oci_dir},
                                       {"oci-archive:", SourceKind::oci_archive},
                                       {"docker-archive:", SourceKind::docker_archive}};
    for (const Prefix& p : local) {
        if (!starts_with(s, p.text)) continue;
        Source src;
        src.kind = p.kind;
        split_path_ref(s.substr(p.text.size()), p.kind == SourceKind::oci_dir, &src);
        if (src.path.empty())
            return make_error(EINVAL, "source '%s' names no path", printable(s).c_str());
        if (!src.local_ref.empty() && src.local_ref.size() > 512)
            return make_error(EINVAL, "reference in source '%s' is too long", printable(s).c_str());
        return src;
    }
    // Other containers-image transports would otherwise parse as "name:tag" and pull something
    // else from Docker Hub ("containers-storage:alpine" is a valid reference).
    for (std::string_view t :
         {"containers-storage:", "docker-daemon:", "dir:", "ostree:", "sif:", "tarball:"})
        if (starts_with(s, t))
            return make_error(ENOTSUP, "transport '%.*s' is not supported",
                              static_cast<int>(t.size() - 1), t.data());
    std::string_view ref = s;
    if (starts_with(ref, "docker://")) ref.remove_prefix(9);
    Source src;
    src.kind = SourceKind::registry;
    src.ref = TRY(parse_reference(ref));
    return src;
}

std::string local_image_basename(std::string_view path) {
    while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
    if (size_t slash = path.rfind('/'); slash != std::string_view::npos)
        path.remove_prefix(slash + 1);
    std::string base = to_lower(path);
    for (bool stripped = true; stripped;) {
        stripped = false;
        for (std::string_view ext : {".tar", ".tgz", ".gz", ".zst", ".oci"}) {
            if (base.size() > ext.size() && ends_with(base, ext)) {
                base.resize(base.size() - ext.size());
                stripped = true;
            }
        }
    }
    // Rebuild as [a-z0-9]+ ((. | _ | __ | -+) [a-z0-9]+)*: keep a separator run that the grammar
    // allows, turn any other run of non-alnum characters into one '-'.
    std::string out;
    size_t i = 0;
    while (i < base.size()) {
        if (is_lower_alnum(base[i])) {
            out += base[i++];
            continue;
        }
        size_t j = i;
        while (j < base.size() && !is_lower_alnum(base[j])) ++j;
        std::string_view run(base.data() + i, j - i);
        bool dashes = run.find_first_not_of('-') == std::string_view::npos;
        std::string sep = (run == "." || run == "_" || run == "__" || dashes) ? std::string(run)
                                                                              : std::string("-");
        if (!out.empty() && j < base.size()) out += sep;  // trims separators at both ends
        i = j;
    }
    if (out.size() > max_basename_length) {
        out.resize(max_basename_length);
        while (!out.empty() && !is_lower_alnum(out.back())) out.pop_back();
    }
    return out.empty() ? std::string("image") : out;
}

Result<Reference> local_image_name(std::string_view value, std::string_view path) {
    if (is_reference_like(value)) {
        Reference ref = TRY(parse_reference(value));
        ref.short_name = false;  // a name, not something to search registries for
        return ref;
    }
    std::string tag = value.empty() ? std::string("latest") : std::string(value);
    std::string name = "localhost/" + local_image_basename(path) + ":" + tag;
    auto ref = parse_reference(name);
    if (!ref)
        return make_error(EINVAL, "'%s' is not a valid tag for the image from '%s'",
                          printable(value).c_str(), printable(path).c_str());
    return ref;
}

}  // namespace ocipod
