#include "render/apply_entry.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/sendfile.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "base/fs.hpp"
#include "render/apply_meta.hpp"
#include "render/in_root.hpp"
#include "render/lower_view.hpp"
#include "render/overlay_form.hpp"

namespace ocipod {

Result<Cleared> clear_name(int dir_fd, const std::string& name, bool keep_dir) {
    Cleared c;
    struct stat st;
    if (!TRY(stat_at(dir_fd, name, &st))) return c;
    c.existed = true;
    c.was_whiteout = is_whiteout_device(st);
    if (S_ISDIR(st.st_mode)) {
        if (keep_dir) return c;
        TRY(remove_tree(dir_fd, name));
    } else if (unlinkat(dir_fd, name.c_str(), 0) < 0) {
        return errno_error("removing the previous '%s'", printable(name).c_str());
    }
    return c;
}

Result<UniqueFd> make_entry_dir(int dir_fd, const std::string& name) {
    Cleared c = TRY(clear_name(dir_fd, name, true));
    struct stat st;
    bool is_dir = c.existed && TRY(stat_at(dir_fd, name, &st)) && S_ISDIR(st.st_mode);
    if (!is_dir && mkdirat(dir_fd, name.c_str(), 0700) < 0)
        return errno_error("creating the directory");
    UniqueFd fd = TRY(openat2_fd(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW,
                                 RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS));
    if (c.was_whiteout) TRY(set_opaque_marker(fd.get()));
    return fd;
}

Status whiteout_at(int dir_fd, const std::string& name) {
    struct stat st;
    if (TRY(stat_at(dir_fd, name, &st))) {
        if (S_ISDIR(st.st_mode)) {
            UniqueFd fd = TRY(openat2_fd(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW,
                                         RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS));
            return set_opaque_marker(fd.get());
        }
        return {};
    }
    if (mknodat(dir_fd, name.c_str(), S_IFCHR | 0, makedev(0, 0)) < 0)
        return errno_error("creating the whiteout of '%s'", printable(name).c_str());
    return {};
}

Result<LinkTarget> find_link_target(ApplyState& s, const std::string& parent,
                                    const std::string& name) {
    LinkTarget t;
    UniqueFd dir;
    auto fast = open_dir_in_root(s.diff, parent);
    if (fast) {
        dir = fast.take();
    } else {
        if (fast.error().code != ENOENT && fast.error().code != ENOTDIR)
            return std::move(fast).error();
        if (!s.lowers) return t;
        ResolvedDir r = TRY(resolve_dir(s, parent, ResolveMode::lookup));
        if (!r.found || !r.fd) return t;
        dir = std::move(r.fd);
    }
    if (!TRY(stat_at(dir.get(), name, &t.st))) return t;
    if (is_whiteout_device(t.st)) {
        t.whiteout = true;
        return t;
    }
    t.parent = std::move(dir);
    return t;
}

namespace {

Status copy_data(int src, int dst) {
    for (;;) {
        ssize_t n = copy_file_range(src, nullptr, dst, nullptr, 1 << 30, 0);
        if (n == 0) return {};
        if (n > 0) continue;
        if (errno != EXDEV && errno != ENOSYS && errno != EINVAL && errno != EOPNOTSUPP)
            return errno_error("copying file data");
        break;
    }
    char buf[64 * 1024];
    for (;;) {
        ssize_t n = read(src, buf, sizeof buf);
        if (n < 0) return errno_error("reading a lower file");
        if (n == 0) return {};
        TRY(write_all(dst, std::string_view(buf, static_cast<size_t>(n))));
    }
}

}  // namespace

Status copy_lower_link(ApplyState& s, const std::string& target, int dir_fd,
                       const std::string& name) {
    auto [tparent, tname] = split_parent(target);
    ResolvedDir r;
    if (s.lowers) r = TRY(resolve_dir(s, tparent, ResolveMode::lookup));
    LowerEntry le;
    std::string full = join_path(r.path, tname);
    if (r.found && !r.hidden) le = TRY(LowerView(*s.lowers).lookup(full));
    if (le.depth != path_components(full).size() || le.kind != LowerEntry::Kind::other ||
        !S_ISREG(le.st.st_mode))
        return make_error(ENOENT, "hard link to '%s', which is no file of a lower layer, refusing",
                          printable(target).c_str());
    int raw = openat(le.parent.get(), le.name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (raw < 0) return errno_error("opening the lower file '%s'", printable(target).c_str());
    UniqueFd src(raw);
    raw = openat(dir_fd, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (raw < 0) return errno_error("creating the copy of '%s'", printable(target).c_str());
    UniqueFd dst(raw);
    TRY(copy_data(src.get(), dst.get()));
    return copy_meta_fd(src.get(), dst.get(), true);
}

Status apply_dir_times(int diff, const std::vector<DirTime>& times) {
    for (const DirTime& t : times) {
        auto fd = openat2_fd(diff, t.path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW,
                             RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
        if (!fd) {
            int code = fd.error().code;
            if (code == ENOENT || code == ENOTDIR || code == ELOOP) continue;
            return std::move(fd).error();
        }
        struct stat st;
        if (fstat(fd->get(), &st) < 0) return errno_error("inspecting a directory");
        if (st.st_ino != t.ino) continue;
        TRY_WRAP(set_times_fd(fd->get(), t.atime, t.mtime), printable(t.path));
    }
    return {};
}

}  // namespace ocipod
