#include "run/path_masks.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "render/in_root.hpp"
#include "run/fd_mount.hpp"
#include "run/mount_targets.hpp"

namespace ocipod {

namespace {

Result<UniqueFd> open_dev_null(int root_fd) {
    UniqueFd null = TRY(
        openat2_fd(root_fd, "dev/null", O_PATH | O_NOFOLLOW, RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS)
            .wrap("opening '/dev/null' in the rootfs"));
    struct stat st;
    if (fstat(null.get(), &st) < 0) return errno_error("inspecting '/dev/null'");
    if (!S_ISCHR(st.st_mode) || major(st.st_rdev) != 1 || minor(st.st_rdev) != 3)
        return make_error(EXDEV, "'/dev/null' in the rootfs is not the null device, refusing");
    return null;
}

// The target of a mask or read-only path; a missing one is skipped (std::nullopt-like empty fd).
Result<UniqueFd> open_existing(int root_fd, const std::string& path) {
    auto fd = open_target(root_fd, path, TargetKind::existing);
    if (!fd && fd.error().code == ENOENT) return UniqueFd();
    return fd;
}

Status mask_one(int root_fd, const std::string& path, int null_fd) {
    UniqueFd target = TRY(open_existing(root_fd, path));
    if (!target) return {};
    struct stat st;
    if (fstat(target.get(), &st) < 0) return errno_error("inspecting");
    UniqueFd mnt;
    if (S_ISDIR(st.st_mode)) {
        mnt = TRY(make_fs_mount(
            "tmpfs", "tmpfs", {"nr_blocks=1", "nr_inodes=1", "mode=0755"},
            MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC));
    } else {
        mnt = TRY(clone_tree(null_fd, false));
    }
    return attach_in_root(root_fd, path, mnt.get(), target.get());
}

Status readonly_one(int root_fd, const std::string& path) {
    UniqueFd target = TRY(open_existing(root_fd, path));
    if (!target) return {};
    UniqueFd tree = TRY(clone_tree(target.get(), true));
    MountAttrs ro;
    ro.set = MOUNT_ATTR_RDONLY;
    TRY(set_mount_attrs(tree.get(), ro, true));
    return attach_in_root(root_fd, path, tree.get(), target.get());
}

}  // namespace

Status mask_paths(int root_fd, const std::vector<std::string>& paths) {
    if (paths.empty()) return {};
    UniqueFd null = TRY(open_dev_null(root_fd).wrap("masking paths"));
    for (const std::string& p : paths)
        TRY_WRAP(mask_one(root_fd, clean_destination(p), null.get()),
                 strf("masking '%s'", printable(p).c_str()));
    return {};
}

Status make_paths_readonly(int root_fd, const std::vector<std::string>& paths) {
    for (const std::string& p : paths)
        TRY_WRAP(readonly_one(root_fd, clean_destination(p)),
                 strf("making '%s' read-only", printable(p).c_str()));
    return {};
}

}  // namespace ocipod
