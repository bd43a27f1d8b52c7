// The pod's /dev (runtime-spec config-linux.md "Default Devices", "Devices"; THREATS §2.5,
// CVE-2026-41579): /dev must be a real directory of the root (a symlink there is refused), and
// everything in it (the default nodes, the standard symlinks, /dev/pts, linux.devices) is created
// relative to its fd, never through a path an image symlink could redirect. Also the console:
// open_pod_console (rootfs_setup.hpp) is implemented beside it.
#pragma once

#include <vector>

#include "base/result.hpp"
#include "oci/runtime_spec.hpp"

namespace ocipod {

// Populate the mounted /dev of the root root_fd: null zero full random urandom tty (mknod as
// real root; where mknod is not permitted, the host's node bound onto an empty file), fd stdin
// stdout stderr ptmx (and core when the host has /proc/kcore) as symlinks, a devpts instance on
// /dev/pts unless mount_pts is false (the spec mounts it itself), then devices.
Status populate_dev(int root_fd, const std::vector<SpecDevice>& devices, bool mount_pts);

}  // namespace ocipod
