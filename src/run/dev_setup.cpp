#include "run/dev_setup.hpp"

#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "render/in_root.hpp"
#include "run/fd_mount.hpp"
#include "run/mount_targets.hpp"
#include "run/rootfs_setup.hpp"

namespace ocipod {

namespace {

struct DefaultNode {
    const char* name;
    unsigned major, minor;
};

// config-linux.md "Default Devices".
const DefaultNode default_nodes[] = {
    {"null", 1, 3},   {"zero", 1, 5},    {"full", 1, 7},
    {"random", 1, 8}, {"urandom", 1, 9}, {"tty", 5, 0},
};

struct DefaultLink {
    const char* name;
    const char* target;
};

const DefaultLink default_links[] = {
    {"fd", "/proc/self/fd"},       {"stdin", "/proc/self/fd/0"}, {"stdout", "/proc/self/fd/1"},
    {"stderr", "/proc/self/fd/2"}, {"ptmx", "pts/ptmx"},
};

// Restores the umask, so node modes are exactly the ones asked for meanwhile.
class UmaskZero {
public:
    UmaskZero() : old_(umask(0)) {}
    ~UmaskZero() { umask(old_); }
    UmaskZero(const UmaskZero&) = delete;
    UmaskZero& operator=(const UmaskZero&) = delete;

private:
    mode_t old_;
};

// Where mknod is refused (a user namespace, a device cgroup without "m"), runc's answer: the
// host's own node bound over an empty file, through fds.
Status bind_host_node(int dev_fd, const char* name) {
    int fd = openat(dev_fd, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0666);
    if (fd < 0) return errno_error("creating '/dev/%s'", name);
    close(fd);
    UniqueFd target =
        TRY(openat2_fd(dev_fd, name, O_PATH | O_NOFOLLOW, RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS));
    std::string host = std::string("/dev/") + name;
    UniqueFd source = TRY(openat2_fd(AT_FDCWD, host, O_PATH, 0));
    UniqueFd tree = TRY(clone_tree(source.get(), false));
    return attach_mount(tree.get(), target.get());
}

Status make_node(int dir_fd, const std::string& name, mode_t mode, dev_t rdev) {
    if (mknodat(dir_fd, name.c_str(), mode, rdev) == 0) return {};
    if (errno != EEXIST) return errno_error("creating '%s'", printable(name).c_str());
    // Already there (a /dev the spec brought itself): keep it only if it is that very node.
    struct stat st;
    if (fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0)
        return errno_error("inspecting '%s'", printable(name).c_str());
    const bool is_device = S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode);
    if ((st.st_mode & S_IFMT) != (mode & S_IFMT) || (is_device && st.st_rdev != rdev))
        return make_error(EEXIST, "'%s' exists and is a different file, refusing",
                          printable(name).c_str());
    if (fchmodat(dir_fd, name.c_str(), mode & 07777, 0) < 0)
        return errno_error("changing the mode of '%s'", printable(name).c_str());
    return {};
}

Status create_default_nodes(int dev_fd) {
    for (const auto& n : default_nodes) {
        dev_t rdev = makedev(n.major, n.minor);
        if (mknodat(dev_fd, n.name, S_IFCHR | 0666, rdev) == 0) continue;
        if (errno == EPERM) {
            TRY_WRAP(bind_host_node(dev_fd, n.name), strf("binding '/dev/%s'", n.name));
            continue;
        }
        if (errno == EEXIST) continue;  // the spec's own /dev has it
        return errno_error("creating '/dev/%s'", n.name);
    }
    return {};
}

Status create_default_links(int dev_fd) {
    auto link = [&](const char* target, const char* name) -> Status {
        if (symlinkat(target, dev_fd, name) < 0 && errno != EEXIST)
            return errno_error("creating '/dev/%s'", name);
        return {};
    };
    for (const auto& l : default_links) TRY(link(l.target, l.name));
    if (access("/proc/kcore", F_OK) == 0) TRY(link("/proc/kcore", "core"));
    return {};
}

// The directory holding a linux.devices entry, below /dev, created as needed; no symlink may be
// on the way (a device path through /dev/fd would leave /dev).
Result<UniqueFd> device_dir(int dev_fd, const std::string& rel_dir) {
    UniqueFd dir = TRY(open_dir_beneath(dev_fd, ""));
    for (const std::string& part : split(rel_dir, '/')) {
        if (part.empty()) continue;
        if (mkdirat(dir.get(), part.c_str(), 0755) < 0 && errno != EEXIST)
            return errno_error("creating directory '%s'", printable(part).c_str());
        dir = TRY(open_dir_beneath(dir.get(), part));
    }
    return dir;
}

Status create_device(int dev_fd, const SpecDevice& d) {
    std::string path = clean_destination(d.path);
    if (!starts_with(path, "/dev/"))
        return make_error(EINVAL, "the device path is not under '/dev', refusing");
    auto [dir, name] = split_parent(path.substr(5));
    mode_t type;
    switch (d.type) {
        case 'c':
        case 'u':
            type = S_IFCHR;
            break;
        case 'b':
            type = S_IFBLK;
            break;
        case 'p':
            type = S_IFIFO;
            break;
        default:
            return make_error(EINVAL, "unknown device type '%c'", d.type);
    }
    if (d.major < 0 || d.minor < 0 || d.major > 0xfff || d.minor > 0xfffff)
        return make_error(EINVAL, "device number %lld:%lld out of range",
                          static_cast<long long>(d.major), static_cast<long long>(d.minor));
    UniqueFd parent = TRY(device_dir(dev_fd, dir));
    mode_t mode = type | (d.file_mode ? *d.file_mode & 07777 : 0666);
    dev_t rdev = type == S_IFIFO
                     ? 0
                     : makedev(static_cast<unsigned>(d.major), static_cast<unsigned>(d.minor));
    TRY(make_node(parent.get(), name, mode, rdev));
    if (fchownat(parent.get(), name.c_str(), d.uid ? *d.uid : 0, d.gid ? *d.gid : 0,
                 AT_SYMLINK_NOFOLLOW) < 0)
        return errno_error("changing the owner");
    return {};
}

Status mount_devpts(int root_fd) {
    UniqueFd target = TRY(open_target(root_fd, "/dev/pts", TargetKind::directory, true));
    UniqueFd mnt = TRY(make_fs_mount("devpts", "devpts",
                                     {"newinstance", "ptmxmode=0666", "mode=0620", "gid=5"},
                                     MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC));
    return attach_in_root(root_fd, "/dev/pts", mnt.get(), target.get());
}

}  // namespace

Status populate_dev(int root_fd, const std::vector<SpecDevice>& devices, bool mount_pts) {
    UniqueFd dev = TRY(open_target(root_fd, "/dev", TargetKind::existing, true)
                           .wrap("opening '/dev' in the rootfs"));
    UmaskZero umask_zero;
    TRY(create_default_nodes(dev.get()));
    TRY(create_default_links(dev.get()));
    if (mount_pts) TRY_WRAP(mount_devpts(root_fd), "mounting 'devpts' on '/dev/pts'");
    for (const SpecDevice& d : devices)
        TRY_WRAP(create_device(dev.get(), d),
                 strf("creating device '%s'", printable(d.path).c_str()));
    return {};
}

Result<PodConsole> open_pod_pty(int root_fd) {
    PodConsole console;
    // The pod's own devpts instance, reached without following any symlink (CVE-2025-52565).
    console.master = TRY(openat2_fd(root_fd, "dev/pts/ptmx", O_RDWR | O_NOCTTY,
                                    RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS)
                             .wrap("opening '/dev/pts/ptmx' in the rootfs"));
    struct statfs sfs;
    if (fstatfs(console.master.get(), &sfs) < 0) return errno_error("inspecting '/dev/pts/ptmx'");
    if (sfs.f_type != DEVPTS_SUPER_MAGIC)
        return make_error(EXDEV, "'/dev/pts/ptmx' in the rootfs is not on devpts, refusing");
    int unlock = 0;
    if (ioctl(console.master.get(), TIOCSPTLCK, &unlock) < 0)
        return errno_error("unlocking the pod's pty");
    int slave = ioctl(console.master.get(), TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (slave < 0) return errno_error("opening the pod's pty slave");
    console.slave = UniqueFd(slave);
    struct stat st;
    if (fstat(slave, &st) < 0) return errno_error("inspecting the pod's pty slave");
    // Unix98 pty slaves: char majors 136..143.
    if (!S_ISCHR(st.st_mode) || major(st.st_rdev) < 136 || major(st.st_rdev) > 143)
        return make_error(EXDEV, "the pod's pty slave is not a pty, refusing");
    return console;
}

Result<PodConsole> open_pod_console(const PodRootfs& rootfs) {
    PodConsole console = TRY(open_pod_pty(rootfs.root.get()));
    const int slave = console.slave.get();
    struct stat st;
    UniqueFd dev = TRY(open_target(rootfs.root.get(), "/dev", TargetKind::existing, true)
                           .wrap("opening '/dev' in the rootfs"));
    int fd =
        openat(dev.get(), "console", O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0 && errno != EEXIST) return errno_error("creating '/dev/console'");
    if (fd >= 0) close(fd);
    UniqueFd target = TRY(
        openat2_fd(dev.get(), "console", O_PATH | O_NOFOLLOW, RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS)
            .wrap("opening '/dev/console'"));
    if (fstat(target.get(), &st) < 0) return errno_error("inspecting '/dev/console'");
    if (!S_ISREG(st.st_mode) && !S_ISCHR(st.st_mode))
        return make_error(EEXIST, "'/dev/console' in the rootfs is not a file, refusing");
    UniqueFd tree = TRY(clone_tree(slave, false));
    TRY_WRAP(attach_in_root(rootfs.root.get(), "/dev/console", tree.get(), target.get()),
             "binding the pty slave on '/dev/console'");
    return console;
}

}  // namespace ocipod
