// The fixed Linux part of a generated config.json: what a careful runtime gives every container
// when the image says nothing (runtime-spec v1.0.2 config.md and config-linux.md field names).
// Each builder returns a fresh JSON value for the caller to attach.
#pragma once

#include <string>
#include <vector>

#include "c/json.hpp"

namespace ocipod {

// process.capabilities: the default set in bounding, effective and permitted; inheritable and
// ambient empty (THREATS §2.4, CVE-2022-29162).
JsonPtr default_capabilities();
// The default set's names ("CAP_CHOWN", ...); oci/runtime_spec.hpp's capability_names() has every
// one the runtime knows (for --cap-add ALL).
std::vector<std::string> default_capability_names();
// process.capabilities with names in bounding, effective and permitted.
JsonPtr capabilities_from_names(const std::vector<std::string>& names);
// process.rlimits: RLIMIT_NOFILE 1024:1024.
JsonPtr default_rlimits();
// mounts: /proc, /dev, /dev/pts, /dev/shm, /dev/mqueue, /sys, /sys/fs/cgroup.
JsonPtr default_mounts();
// linux: namespaces, a deny-all device cgroup, maskedPaths and readonlyPaths.
JsonPtr default_linux();

}  // namespace ocipod
