// A "cgroup" mount of the runtime spec (config.md "Mounts", THREATS §2.6 CVE-2023-25809): always
// read-only, and fresh file system instances rather than binds of the host's mounts, so in a
// cgroup namespace the pod sees its namespace's root and nothing above it, as runc does.
//   - unified host (only "0::" in /proc/self/cgroup): one cgroup2 mount on the destination;
//   - v1 or hybrid host: a tmpfs on the destination holding one directory per hierarchy listed
//     in /proc/self/cgroup ("cpu", "systemd" for name=systemd, "unified" for the v2 hierarchy of
//     a hybrid host), each a fresh mount of that hierarchy; a co-mounted hierarchy ("cpu,cpuacct")
//     also gets one symlink per controller; the tmpfs is made read-only last.
#pragma once

#include <string>

#include "base/result.hpp"

namespace ocipod {

// Mount the pod's cgroup view on dest (already cleaned) in the root root_fd; attr_flags are
// MOUNT_ATTR_* from the spec's options, MOUNT_ATTR_RDONLY always added.
Status mount_cgroups(int root_fd, const std::string& dest, uint64_t attr_flags);

}  // namespace ocipod
