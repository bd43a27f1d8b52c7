#include "render/lower_view.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "render/in_root.hpp"
#include "render/overlay_form.hpp"

namespace ocipod {

namespace {}  // namespace

std::vector<std::string> path_components(const std::string& path) {
    std::vector<std::string> out;
    size_t start = 0;
    while (start <= path.size()) {
        size_t slash = path.find('/', start);
        if (slash == std::string::npos) slash = path.size();
        if (slash > start) out.push_back(path.substr(start, slash - start));
        start = slash + 1;
    }
    return out;
}

Result<std::string> read_link_at(int dir_fd, const std::string& name) {
    char buf[4096];
    ssize_t n = readlinkat(dir_fd, name.c_str(), buf, sizeof buf);
    if (n < 0) return errno_error("reading the symlink '%s'", printable(name).c_str());
    if (static_cast<size_t>(n) >= sizeof buf)
        return make_error(ENAMETOOLONG, "symlink '%s' is too long", printable(name).c_str());
    return std::string(buf, static_cast<size_t>(n));
}

Result<LowerEntry> LowerView::lookup(const std::string& path) const {
    std::vector<std::string> parts = path_components(path);
    LowerEntry out;
    for (int layer : lowers_) {
        UniqueFd dir = TRY(openat2_fd(layer, ".", O_RDONLY | O_DIRECTORY, 0));
        bool hides_below = false;
        bool found_all = true;
        if (parts.empty()) {
            out.kind = LowerEntry::Kind::dir;
            if (fstat(dir.get(), &out.st) < 0) return errno_error("inspecting a lower layer");
            out.parent = std::move(dir);
            out.name = std::string(1, '.');
            return out;
        }
        for (size_t i = 0; i < parts.size(); ++i) {
            struct stat st;
            if (!TRY(stat_at(dir.get(), parts[i], &st))) {
                found_all = false;
                break;
            }
            bool last = i + 1 == parts.size();
            if (!last && S_ISDIR(st.st_mode)) {
                dir = TRY(openat2_fd(dir.get(), parts[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW,
                                     RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS));
                if (TRY(has_opaque_marker(dir.get()))) hides_below = true;
                continue;
            }
            // The entry itself, or a non-directory ancestor that hides it in this layer and
            // in every layer below.
            out.depth = i + 1;
            if (is_whiteout_device(st)) return LowerEntry{};
            out.kind = S_ISDIR(st.st_mode)   ? LowerEntry::Kind::dir
                       : S_ISLNK(st.st_mode) ? LowerEntry::Kind::symlink
                                             : LowerEntry::Kind::other;
            out.parent = std::move(dir);
            out.name = parts[i];
            out.st = st;
            return out;
        }
        if (!found_all && hides_below) return LowerEntry{};
    }
    return LowerEntry{};
}

}  // namespace ocipod
