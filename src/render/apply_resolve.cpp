#include "render/apply_resolve.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <deque>

#include "render/apply_meta.hpp"
#include "render/in_root.hpp"
#include "render/lower_view.hpp"
#include "render/overlay_form.hpp"

namespace ocipod {

namespace {

Result<UniqueFd> open_child_dir(int dir_fd, const std::string& name) {
    return openat2_fd(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW,
                      RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS);
}

// mkdir with an exact mode whatever the umask.
Result<UniqueFd> make_dir(int dir_fd, const std::string& name, mode_t mode) {
    if (mkdirat(dir_fd, name.c_str(), 0700) < 0)
        return errno_error("creating the directory '%s'", printable(name).c_str());
    UniqueFd fd = TRY(open_child_dir(dir_fd, name));
    if (fchmod(fd.get(), mode) < 0) return errno_error("changing the mode");
    return fd;
}

ino_t ino_of(int fd) {
    struct stat st;
    return fstat(fd, &st) == 0 ? st.st_ino : 0;
}

}  // namespace

Result<ResolvedDir> resolve_dir(ApplyState& s, const std::string& path, ResolveMode mode) {
    const bool create = mode == ResolveMode::create;
    std::deque<std::string> todo;
    for (auto& c : path_components(path)) todo.push_back(std::move(c));
    ResolvedDir r;
    r.fd = TRY(openat2_fd(s.diff, ".", O_RDONLY | O_DIRECTORY, 0));
    int hops = 0;
    auto restart = [&](const std::string& from) -> Status {
        std::vector<std::string> parts = path_components(from);
        todo.insert(todo.begin(), parts.begin(), parts.end());
        r.fd = TRY(openat2_fd(s.diff, ".", O_RDONLY | O_DIRECTORY, 0));
        r.path.clear();
        r.hidden = false;
        return {};
    };
    auto follow = [&](const std::string& target) -> Status {
        if (++hops > max_symlink_hops)
            return make_error(ELOOP, "too many levels of symbolic links under '%s'",
                              printable(path).c_str());
        std::vector<std::string> parts = path_components(target);
        if (!target.empty() && target[0] == '/') {
            TRY(restart(""));
        }
        todo.insert(todo.begin(), parts.begin(), parts.end());
        return {};
    };
    while (!todo.empty()) {
        std::string name = std::move(todo.front());
        todo.pop_front();
        if (name == ".") continue;
        if (name == "..") {
            // Clamp at the root; re-walk the (symlink-free) parent so hidden is recomputed.
            std::string up = split_parent(r.path).first;
            TRY(restart(up));
            continue;
        }
        std::string full = join_path(r.path, name);
        if (r.fd) {
            struct stat st;
            if (TRY(stat_at(r.fd.get(), name, &st))) {
                if (S_ISDIR(st.st_mode)) {
                    r.fd = TRY(open_child_dir(r.fd.get(), name));
                    r.path = std::move(full);
                    if (!r.hidden && TRY(has_opaque_marker(r.fd.get()))) r.hidden = true;
                    continue;
                }
                if (S_ISLNK(st.st_mode)) {
                    TRY(follow(TRY(read_link_at(r.fd.get(), name))));
                    continue;
                }
                if (!create) return ResolvedDir{};
                if (!is_whiteout_device(st))
                    return make_error(ENOTDIR, "'%s' is not a directory, refusing",
                                      printable(full).c_str());
                // Removed earlier in this layer, now a directory again: an opaque one, so
                // the lower layers' children stay removed (THREATS 40).
                if (unlinkat(r.fd.get(), name.c_str(), 0) < 0)
                    return errno_error("removing '%s'", printable(full).c_str());
                r.fd = TRY(make_dir(r.fd.get(), name, 0755));
                TRY(set_opaque_marker(r.fd.get()));
                r.path = std::move(full);
                r.hidden = true;
                continue;
            }
        }
        if (s.lowers && !r.hidden) {
            LowerEntry le = TRY(LowerView(*s.lowers).lookup(full));
            bool here = le.depth == path_components(full).size();
            if (here && le.kind == LowerEntry::Kind::symlink) {
                TRY(follow(TRY(read_link_at(le.parent.get(), le.name))));
                continue;
            }
            if (here && le.kind == LowerEntry::Kind::dir) {
                if (create) {
                    // Copy-up: the directory keeps the lower one's owner, mode, xattrs and
                    // (once its children exist) mtime.
                    UniqueFd lower = TRY(open_child_dir(le.parent.get(), le.name));
                    UniqueFd fd = TRY(make_dir(r.fd.get(), name, 0755));
                    TRY(copy_meta_fd(lower.get(), fd.get(), false));
                    s.dir_times.push_back({full, ino_of(fd.get()), le.st.st_atim, le.st.st_mtim});
                    r.fd = std::move(fd);
                } else {
                    r.fd.reset();
                }
                r.path = std::move(full);
                continue;
            }
            // Missing, or a non-directory that a directory of this layer hides.
            if (!create) return ResolvedDir{};
            r.fd = TRY(make_dir(r.fd.get(), name, 0755));
            r.path = std::move(full);
            continue;
        }
        if (!create) return ResolvedDir{};
        UniqueFd fd = TRY(make_dir(r.fd.get(), name, 0755));
        if (!s.lowers && !r.hidden) s.fixups.dirs.push_back({full, ino_of(fd.get())});
        r.fd = std::move(fd);
        r.path = std::move(full);
    }
    r.found = true;
    return r;
}

}  // namespace ocipod
