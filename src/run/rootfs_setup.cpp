// The order follows runc's prepareRootfs and pivotRoot (THREATS §2.6 "Mount-namespace
// hygiene"): "/" made a slave first so nothing mounted here reaches the host; the rootfs bound
// onto itself; /dev; the spec's mounts in order; the /dev contents; then, after pivot_root, the
// read-only and masked paths and the read-only root. linux.rootfsPropagation is applied to the
// pod's root last: applied to the host's "/" at the start, "shared" would send every mount made
// here back to the host.
#include "run/rootfs_setup.hpp"

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>

#include "render/in_root.hpp"
#include "run/cgroup_mount.hpp"
#include "run/dev_setup.hpp"
#include "run/fd_mount.hpp"
#include "run/mount_options.hpp"
#include "run/mount_targets.hpp"
#include "run/path_masks.hpp"

namespace ocipod {

namespace {

// Files below /proc that lxcfs-style setups bind over (runc's checkProcMount allow-list); any
// other destination in /proc could hide or replace what the masks protect.
const char* const proc_file_binds[] = {
    "/proc/cpuinfo", "/proc/diskstats", "/proc/meminfo", "/proc/stat",
    "/proc/swaps",   "/proc/uptime",    "/proc/loadavg", "/proc/slabinfo",
};

bool is_under(const std::string& path, const std::string& dir) {
    return path == dir || starts_with(path, dir + "/");
}

bool proc_file_bind_allowed(const std::string& dest, bool bind) {
    return bind && std::any_of(std::begin(proc_file_binds), std::end(proc_file_binds),
                               [&](const char* p) { return dest == p; });
}

std::string host_path(const std::string& bundle_dir, const std::string& path) {
    return !path.empty() && path[0] == '/' ? path : bundle_dir + "/" + path;
}

// /proc and /dev must be real directories of the root: a symlink there is refused.
bool needs_real_dir(const std::string& dest, const std::string& type) {
    return dest == "/proc" || dest == "/dev" || type == "proc";
}

Result<UniqueFd> open_mount_target(int root_fd, const std::string& dest, const std::string& type,
                                   TargetKind kind) {
    const bool strict = needs_real_dir(dest, type);
    auto fd = open_target(root_fd, dest, kind, strict);
    if (!fd && strict && fd.error().code == ELOOP)
        return make_error(ELOOP, "'%s' in the rootfs is a symlink, refusing", dest.c_str());
    if (!fd && strict && fd.error().code == ENOTDIR)
        return make_error(ENOTDIR, "'%s' in the rootfs is not a directory, refusing", dest.c_str());
    return fd;
}

// A destination under /proc, lexically or through an image symlink into the pod's procfs.
Status check_proc_target(const std::string& dest, const std::string& type, bool bind,
                         int target_fd) {
    if (type == "proc" && !bind) return {};
    if (proc_file_bind_allowed(dest, bind)) return {};
    bool in_proc = is_under(dest, "/proc");
    struct statfs sfs;
    if (!in_proc && fstatfs(target_fd, &sfs) == 0 && sfs.f_type == PROC_SUPER_MAGIC) in_proc = true;
    if (in_proc) return make_error(EPERM, "a mount destination in '/proc', refusing");
    return {};
}

Status mount_bind(int root_fd, const std::string& bundle_dir, const SpecMount& m,
                  const std::string& dest, const MountOptions& opts) {
    std::string source = host_path(bundle_dir, m.source);
    UniqueFd src = TRY(openat2_fd(AT_FDCWD, source, O_PATH, 0)
                           .wrap(strf("opening source '%s'", printable(m.source).c_str())));
    struct stat st;
    if (fstat(src.get(), &st) < 0) return errno_error("inspecting the source");
    UniqueFd target = TRY(open_mount_target(
        root_fd, dest, m.type, S_ISDIR(st.st_mode) ? TargetKind::directory : TargetKind::file));
    TRY(check_proc_target(dest, m.type, true, target.get()));
    UniqueFd tree = TRY(clone_tree(src.get(), opts.recursive_bind));
    TRY(set_mount_attrs(tree.get(), opts.recursive_attrs, true));
    TRY(set_mount_attrs(tree.get(), opts.attrs, false));
    TRY(attach_in_root(root_fd, dest, tree.get(), target.get()));
    MountAttrs prop;
    prop.propagation = opts.propagation;
    return set_mount_attrs(tree.get(), prop, opts.recursive_propagation);
}

Status mount_fs(int root_fd, const SpecMount& m, const std::string& dest,
                const MountOptions& opts) {
    if (m.type.empty() || m.type == "none")
        return make_error(EINVAL, "no file system type and no 'bind' option");
    if (m.type == "cgroup") return mount_cgroups(root_fd, dest, opts.attrs.set);
    UniqueFd target = TRY(open_mount_target(root_fd, dest, m.type, TargetKind::directory));
    TRY(check_proc_target(dest, m.type, false, target.get()));
    uint64_t attrs = opts.attrs.set;
    if (m.type == "cgroup2") attrs |= MOUNT_ATTR_RDONLY;  // CVE-2023-25809
    UniqueFd mnt = TRY(make_fs_mount(m.type, m.source, opts.data, attrs));
    TRY(attach_in_root(root_fd, dest, mnt.get(), target.get()));
    MountAttrs prop;
    prop.propagation = opts.propagation;
    return set_mount_attrs(mnt.get(), prop, opts.recursive_propagation);
}

Status mount_one(int root_fd, const std::string& bundle_dir, const SpecMount& m) {
    std::string dest = clean_destination(m.destination);
    std::string what =
        strf("mounting '%s' on '%s'", printable(m.type.empty() ? "bind" : m.type).c_str(),
             printable(m.destination).c_str());
    if (dest == "/")
        return make_error(EINVAL, "%s: the destination is the root, refusing", what.c_str());
    MountOptions opts = TRY_WRAP(parse_mount_options(m.options, m.type == "bind"), what);
    if (opts.bind) return mount_bind(root_fd, bundle_dir, m, dest, opts).wrap(what);
    return mount_fs(root_fd, m, dest, opts).wrap(what);
}

// runtime-spec "Default Filesystems" leaves /dev to the runtime; moby's options.
Status mount_default_dev(int root_fd) {
    UniqueFd target = TRY(open_mount_target(root_fd, "/dev", "tmpfs", TargetKind::directory));
    UniqueFd mnt = TRY(make_fs_mount("tmpfs", "tmpfs", {"mode=755", "size=65536k"},
                                     MOUNT_ATTR_NOSUID | MOUNT_ATTR_STRICTATIME));
    return attach_in_root(root_fd, "/dev", mnt.get(), target.get());
}

bool spec_mounts(const RuntimeSpec& spec, const std::string& dest) {
    return std::any_of(spec.mounts.begin(), spec.mounts.end(), [&](const SpecMount& m) {
        return clean_destination(m.destination) == dest;
    });
}

}  // namespace

Result<PodRootfs> prepare_rootfs(const RuntimeSpec& spec, const std::string& bundle_dir) {
    uint64_t host_propagation = MS_SLAVE;
    if (!spec.linux_config.rootfs_propagation.empty()) {
        auto prop = TRY_WRAP(parse_propagation(spec.linux_config.rootfs_propagation),
                             "linux.rootfsPropagation");
        if (prop.first == MS_PRIVATE) host_propagation = MS_PRIVATE;
    }
    if (mount(nullptr, "/", nullptr, MS_REC | host_propagation, nullptr) < 0)
        return errno_error("making '/' %s", host_propagation == MS_PRIVATE ? "private" : "a slave");

    // Paths in the config relative to the bundle (overlay's lowerdir=, ...) are resolved by
    // the kernel against the working directory, as runc leaves it.
    if (chdir(bundle_dir.c_str()) < 0)
        return errno_error("entering the bundle '%s'", printable(bundle_dir).c_str());

    PodRootfs rootfs;
    rootfs.path = host_path(bundle_dir, spec.root_path);
    UniqueFd dir = TRY(openat2_fd(AT_FDCWD, rootfs.path, O_PATH | O_DIRECTORY, 0)
                           .wrap(strf("opening the rootfs '%s'", printable(rootfs.path).c_str())));
    // Bound onto itself, so it is a mount point pivot_root accepts; the bind's fd is the root
    // from now on, and everything below is resolved in it.
    rootfs.root = TRY(clone_tree(dir.get(), true).wrap("binding the rootfs onto itself"));
    TRY_WRAP(attach_mount(rootfs.root.get(), dir.get()), "binding the rootfs onto itself");
    const int root = rootfs.root.get();

    if (!spec_mounts(spec, "/dev")) TRY_WRAP(mount_default_dev(root), "mounting 'tmpfs' on '/dev'");
    for (const SpecMount& m : spec.mounts) TRY(mount_one(root, bundle_dir, m));
    TRY(populate_dev(root, spec.linux_config.devices, !spec_mounts(spec, "/dev/pts")));
    return rootfs;
}

Status enter_rootfs(const RuntimeSpec& spec, PodRootfs& rootfs,
                    const std::function<Status()>& after_pivot) {
    if (fchdir(rootfs.root.get()) < 0) return errno_error("entering the rootfs");
    // pivot_root(".", "."): the old root ends up stacked on the new one, then is detached; no
    // directory for it is needed in the image. Slave first, so the unmount stays here.
    if (syscall(SYS_pivot_root, ".", ".") < 0) return errno_error("pivot_root into the rootfs");
    if (mount(nullptr, ".", nullptr, MS_SLAVE | MS_REC, nullptr) < 0)
        return errno_error("making the old root a slave");
    if (umount2(".", MNT_DETACH) < 0) return errno_error("detaching the old root");
    if (chdir("/") < 0) return errno_error("changing to '/'");
    rootfs.root = TRY(openat2_fd(AT_FDCWD, "/", O_PATH | O_DIRECTORY, 0).wrap("opening '/'"));
    const int root = rootfs.root.get();
    if (after_pivot) TRY(after_pivot());

    TRY(make_paths_readonly(root, spec.linux_config.readonly_paths));
    TRY(mask_paths(root, spec.linux_config.masked_paths));
    if (spec.root_readonly) {
        MountAttrs ro;
        ro.set = MOUNT_ATTR_RDONLY;
        TRY_WRAP(set_mount_attrs(root, ro, false), "making '/' read-only");
    }
    if (!spec.linux_config.rootfs_propagation.empty()) {
        auto prop = TRY_WRAP(parse_propagation(spec.linux_config.rootfs_propagation),
                             "linux.rootfsPropagation");
        MountAttrs attrs;
        attrs.propagation = prop.first;
        TRY_WRAP(set_mount_attrs(root, attrs, prop.second), "linux.rootfsPropagation");
    }
    return {};
}

}  // namespace ocipod
