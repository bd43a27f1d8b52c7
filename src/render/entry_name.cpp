#include "render/entry_name.hpp"

#include <vector>

namespace ocipod {

namespace {

constexpr std::string_view wh_prefix = ".wh.";
constexpr std::string_view opaque_name = ".wh..wh..opq";
constexpr std::string_view meta_prefix = ".wh..wh.";

Error refuse(std::string_view name, const char* why) {
    return make_error(EINVAL, "layer entry '%s': %s, refusing", printable(name).c_str(), why);
}

std::string join(const std::vector<std::string_view>& parts, size_t count) {
    std::string out;
    for (size_t i = 0; i < count; ++i) {
        if (i) out += '/';
        out += parts[i];
    }
    return out;
}

}  // namespace

Result<EntryName> classify_entry_name(std::string_view name, bool is_dir) {
    if (name.find('\0') != std::string_view::npos) return refuse(name, "the name contains NUL");
    std::vector<std::string_view> parts;
    size_t start = 0;
    while (start <= name.size()) {
        size_t end = name.find('/', start);
        if (end == std::string_view::npos) end = name.size();
        std::string_view part = name.substr(start, end - start);
        if (part == "..") return refuse(name, "'..' leaves the root");
        if (!part.empty() && part != ".") parts.push_back(part);
        start = end + 1;
    }
    if (parts.empty()) {
        if (!is_dir) return refuse(name, "only a directory may name the root");
        return EntryName{EntryKind::root, ""};
    }
    for (size_t i = 0; i + 1 < parts.size(); ++i) {
        // AUFS keeps hard-link targets under ".wh..wh.plnk/" (THREATS 45): the whole subtree is
        // metadata and is not extracted. Any other ".wh." directory cannot exist in an image.
        if (parts[i].starts_with(meta_prefix) && parts[i] != opaque_name)
            return EntryName{EntryKind::skip, ""};
        if (parts[i].starts_with(wh_prefix))
            return refuse(name, "a whiteout name cannot be a directory");
    }
    std::string_view base = parts.back();
    if (!base.starts_with(wh_prefix))
        return EntryName{EntryKind::regular, join(parts, parts.size())};
    std::string parent = join(parts, parts.size() - 1);
    if (base == opaque_name) return EntryName{EntryKind::opaque, parent};
    if (base.starts_with(meta_prefix)) return EntryName{EntryKind::skip, ""};
    std::string_view target = base.substr(wh_prefix.size());
    if (target.empty() || target == "." || target == "..")
        return refuse(name, "the whiteout names no entry");
    return EntryName{EntryKind::whiteout,
                     parent.empty() ? std::string(target) : parent + "/" + std::string(target)};
}

}  // namespace ocipod
