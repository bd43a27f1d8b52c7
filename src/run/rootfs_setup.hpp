// Building a pod's root file system inside its own mount namespace (runtime-spec config.md
// "Root", "Mounts", config-linux.md "Devices", "Default Devices", "Masked/Readonly Paths",
// "Rootfs Mount Propagation") and switching into it. Called by the pod's init process, as real
// root, after it has entered its new mount namespace and before anything of the pod runs.
//
// Every path inside the rootfs is image-controlled: each mount target is resolved in the root
// (openat2 RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS), created there when missing, and mounted onto
// through its fd (the new mount API, or /proc/self/fd/N); no mount ever follows a symlink out of
// the root (THREATS §2.3). /dev is always a fresh tmpfs whose nodes and symlinks are created
// fd-relative (THREATS §2.5, CVE-2026-41579); /proc must be mounted on a real directory; the
// /dev/null used for masks is verified as char 1:3 (CVE-2025-31133).
#pragma once

#include <functional>
#include <string>

#include "base/result.hpp"
#include "base/unique_fd.hpp"
#include "oci/runtime_spec.hpp"

namespace ocipod {

struct PodRootfs {
    std::string path;  // host path of the rootfs directory (bundle-relative root.path resolved)
    UniqueFd root;     // O_PATH fd of the pod's root once it is a mount point of its own
};

// Step 1, in the new mount namespace, still seeing the host's root:
//   - "/" made rslave (or linux.rootfsPropagation), so no mount leaks back to the host;
//   - the rootfs bind-mounted onto itself (so pivot_root has a mount point);
//   - spec mounts in order: bind (rbind, ro, nosuid, nodev, noexec, ...; propagation flags),
//     tmpfs, proc, sysfs, mqueue, devpts, cgroup (read-only), overlay; sources of binds are host
//     paths (relative ones to the bundle); a bind of a file onto a missing target creates a file;
//   - if no mount targets /dev: a tmpfs /dev (nosuid, mode 755) is mounted first; either way the
//     default devices (null zero full random urandom tty, ptmx -> pts/ptmx) and the standard
//     symlinks (fd stdin stdout stderr, core when /proc/kcore) are created fd-relative, then
//     linux.devices;
//   - /dev/pts is devpts newinstance (ptmxmode=0666) unless the spec mounts it.
Result<PodRootfs> prepare_rootfs(const RuntimeSpec& spec, const std::string& bundle_dir);

// The pod's console for process.terminal: a pty opened from the pod's own devpts instance
// (DIR/dev/pts/ptmx, verified to be on devpts), the slave bind-mounted over /dev/console through
// its fd (verified as a pty slave, CVE-2025-52565). Call between prepare_rootfs and enter_rootfs.
struct PodConsole {
    UniqueFd master;
    UniqueFd slave;
};
Result<PodConsole> open_pod_console(const PodRootfs& rootfs);
// Only the pty: a new one of the devpts at dev/pts below root_fd, master and verified slave
// (`oci-pod enter` from a terminal, after joining the pod's mount namespace).
Result<PodConsole> open_pod_pty(int root_fd);

// Step 2: pivot_root into the rootfs and detach the old root, chdir("/"), then after_pivot
// (when given: what must still write to /proc/sys, i.e. linux.sysctl, as runc orders it), then
// read-only paths (bind-remount ro, nosuid, nodev, noexec kept), masked paths (the verified
// /dev/null bound over files, an empty read-only tmpfs over directories), root.readonly
// (remount / ro), and linux.rootfsPropagation on the pod's root.
Status enter_rootfs(const RuntimeSpec& spec, PodRootfs& rootfs,
                    const std::function<Status()>& after_pivot = nullptr);

}  // namespace ocipod
