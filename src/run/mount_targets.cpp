#include "run/mount_targets.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>

#include <vector>

#include "render/in_root.hpp"
#include "run/fd_mount.hpp"

namespace ocipod {

namespace {

std::vector<std::string> components(const std::string& dest) {
    std::vector<std::string> out;
    for (const std::string& part : split(dest, '/')) {
        if (part.empty() || part == ".") continue;
        if (part == "..") {
            if (!out.empty()) out.pop_back();
            continue;
        }
        out.push_back(part);
    }
    return out;
}

uint64_t resolve_flags(bool no_symlinks) {
    return RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | (no_symlinks ? RESOLVE_NO_SYMLINKS : 0);
}

// Create name in the directory dir_fd (an fd, so the creation cannot be redirected); an entry
// that is already there is fine (the caller opens it again, in the root).
Status create_at(int dir_fd, const std::string& name, bool directory) {
    if (directory) {
        if (mkdirat(dir_fd, name.c_str(), 0755) < 0 && errno != EEXIST)
            return errno_error("creating directory '%s'", printable(name).c_str());
        return {};
    }
    int fd =
        openat(dir_fd, name.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0 && errno != EEXIST) return errno_error("creating '%s'", printable(name).c_str());
    if (fd >= 0) close(fd);
    return {};
}

}  // namespace

std::string clean_destination(const std::string& dest) {
    std::string out;
    for (const std::string& part : components(dest)) out += "/" + part;
    return out.empty() ? "/" : out;
}

Result<UniqueFd> open_target(int root_fd, const std::string& dest, TargetKind kind,
                             bool no_symlinks) {
    const uint64_t resolve = resolve_flags(no_symlinks);
    std::vector<std::string> parts = components(dest);
    std::string rel;
    for (const std::string& part : parts) rel = join_path(rel, part);
    auto direct = openat2_fd(root_fd, rel, O_PATH, resolve);
    if (direct || direct.error().code != ENOENT || kind == TargetKind::existing) return direct;

    // Walk down, creating each missing component in the directory its parent resolved to.
    UniqueFd dir = TRY(openat2_fd(root_fd, "", O_PATH | O_DIRECTORY, resolve));
    std::string prefix;
    for (size_t i = 0; i < parts.size(); i++) {
        const bool last = i + 1 == parts.size();
        std::string path = join_path(prefix, parts[i]);
        auto next = openat2_fd(root_fd, path, O_PATH, resolve);
        if (!next && next.error().code == ENOENT) {
            TRY(create_at(dir.get(), parts[i], !last || kind == TargetKind::directory));
            next = openat2_fd(root_fd, path, O_PATH, resolve);
            // Still missing after creating it: a dangling symlink is in the way.
            if (!next && next.error().code == ENOENT)
                return make_error(ENOENT, "'/%s' is a dangling symlink", printable(path).c_str());
        }
        if (!next) return std::move(next).error();
        dir = next.take();
        prefix = path;
    }
    return dir;
}

Status attach_in_root(int root_fd, const std::string& dest, int mount_fd, int target_fd) {
    TRY(attach_mount(mount_fd, target_fd));
    uint64_t want = TRY(mount_id(mount_fd));
    UniqueFd again = TRY(open_target(root_fd, dest, TargetKind::existing));
    uint64_t got = TRY(mount_id(again.get()));
    if (got != want)
        return make_error(EXDEV, "the mount is not at '%s' in the root after attaching it",
                          printable(dest).c_str());
    return {};
}

}  // namespace ocipod
