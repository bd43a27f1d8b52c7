#include "run/fd_mount.hpp"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

namespace ocipod {

namespace {

// The file system's own explanation of a refused parameter, when it logged one ("e tmpfs: Bad
// value for 'mode'"); read(2) on an fsopen fd returns one logged message per call.
std::string fs_log(int fs_fd) {
    std::string out;
    char buf[512];
    for (int i = 0; i < 8; i++) {
        ssize_t n = read(fs_fd, buf, sizeof buf - 1);
        if (n <= 0) break;
        buf[n] = '\0';
        if (!out.empty()) out += "; ";
        out += printable(std::string_view(buf, static_cast<size_t>(n)));
    }
    return out.empty() ? out : " (" + out + ")";
}

Error fs_error(int fs_fd, const std::string& what) {
    int code = errno;
    std::string log = fs_log(fs_fd);
    return errno_error_code(code, "%s%s", what.c_str(), log.c_str());
}

}  // namespace

Result<UniqueFd> make_fs_mount(const std::string& type, const std::string& source,
                               const std::vector<std::string>& data, uint64_t attr_flags) {
    UniqueFd fs(fsopen(type.c_str(), FSOPEN_CLOEXEC));
    if (!fs) return errno_error("creating a '%s' file system", printable(type).c_str());
    if (!source.empty() && fsconfig(fs.get(), FSCONFIG_SET_STRING, "source", source.c_str(), 0) < 0)
        return fs_error(fs.get(), "setting source '" + printable(source) + "'");
    for (const std::string& opt : data) {
        size_t eq = opt.find('=');
        int rc = eq == std::string::npos
                     ? fsconfig(fs.get(), FSCONFIG_SET_FLAG, opt.c_str(), nullptr, 0)
                     : fsconfig(fs.get(), FSCONFIG_SET_STRING, opt.substr(0, eq).c_str(),
                                opt.c_str() + eq + 1, 0);
        if (rc < 0) return fs_error(fs.get(), "option '" + printable(opt) + "'");
    }
    if (fsconfig(fs.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) < 0)
        return fs_error(fs.get(), "creating the file system");
    int mnt = fsmount(fs.get(), FSMOUNT_CLOEXEC, static_cast<unsigned>(attr_flags));
    if (mnt < 0) return fs_error(fs.get(), "creating the mount");
    return UniqueFd(mnt);
}

Result<UniqueFd> clone_tree(int fd, bool recursive) {
    unsigned flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH;
    if (recursive) flags |= AT_RECURSIVE;
    int tree = open_tree(fd, "", flags);
    if (tree < 0) return errno_error("cloning the source mount");
    return UniqueFd(tree);
}

Status set_mount_attrs(int mount_fd, const MountAttrs& attrs, bool recursive) {
    if (attrs.set == 0 && attrs.clear == 0 && attrs.propagation == 0) return {};
    struct mount_attr attr = {};
    attr.attr_set = attrs.set;
    attr.attr_clr = attrs.clear;
    attr.propagation = attrs.propagation;
    unsigned flags = AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0);
    if (mount_setattr(mount_fd, "", flags, &attr, sizeof attr) < 0)
        return errno_error("setting mount attributes");
    return {};
}

Status attach_mount(int mount_fd, int target_fd) {
    if (move_mount(mount_fd, "", target_fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) <
        0)
        return errno_error("attaching the mount");
    return {};
}

Result<uint64_t> mount_id(int fd) {
    struct statx stx = {};
    if (statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_MNT_ID, &stx) < 0)
        return errno_error("inspecting a mount");
    if (!(stx.stx_mask & STATX_MNT_ID)) return make_error(ENOTSUP, "no mount id from statx");
    return static_cast<uint64_t>(stx.stx_mnt_id);
}

}  // namespace ocipod
