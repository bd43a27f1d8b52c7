// The seccomp filter a rendered pod gets unless the user asks for none (--seccomp unconfined).
// A deny list: everything is allowed except calls that reach kernel state no namespace isolates
// (keyrings), large attack surfaces a container has no use for (io_uring, eBPF, perf events,
// userfaultfd), module and kexec loading, and, unless the pod holds CAP_SYS_ADMIN, every way to
// make namespaces or mounts (unshare, setns, clone with a CLONE_NEW* flag, the mount calls):
// unprivileged user namespaces would otherwise hand the pod a CAP_SYS_ADMIN of its own. clone3
// fails with ENOSYS, so libc falls back to clone, whose flags a filter can see. Refusals are
// EPERM, as podman's and Docker's default profiles answer for these calls. A deny list keeps
// working for calls newer than the profile; the capability set (moby's 14) is the first wall.
#pragma once

#include <string>
#include <vector>

#include "c/json.hpp"

namespace ocipod {

// linux.seccomp for a pod whose bounding set holds these capabilities ("CAP_SYS_ADMIN", ...).
JsonPtr default_seccomp_profile(const std::vector<std::string>& capabilities);

}  // namespace ocipod
