// Starting a pod's init (runtime.hpp "Process model"): a child cloned into the new namespaces the
// config lists (config-linux.md "Namespaces"), joining those given by path, which immediately
// re-executes the sealed memfd copy of the runner in init mode, so that no process in the pod
// ever has the host binary as /proc/self/exe (THREATS §2.1). Until that exec the child is not
// dumpable, has no fd but stdio, the sync channel and the memfd (THREATS §2.2, §2.6), and no
// blocked signal.
//
// The cgroup namespace is not made here: the init unshares it once the runner has placed it in
// its systemd scope or unit, so that the namespace's root is the pod's own cgroup.
#pragma once

#include <sys/types.h>

#include "base/result.hpp"
#include "base/unique_fd.hpp"
#include "oci/runtime_spec.hpp"

namespace ocipod {

struct SpawnedInit {
    pid_t pid = 0;
    UniqueFd pidfd;
};

// The argv[0] of a pod's init; argv[1] is the number of its sync channel fd.
constexpr const char* pod_init_argv0 = "oci-pod-init";

// What the runner cannot do with linux.namespaces, refused naming the field: no new mount
// namespace (a mount namespace by path included), user and time namespaces (the parser refuses
// them already), a type listed twice.
Status check_namespaces(const SpecLinux& linux_config);

// Whether the config asks for a new namespace of this type ("network", "cgroup", ...).
bool wants_new_namespace(const SpecLinux& linux_config, const char* type);

// preserve_fds: fds 3 .. 3+N-1 pass into the init (CreateRequest::preserve_fds).
Result<SpawnedInit> spawn_pod_init(const SpecLinux& linux_config, int exe_fd, int sync_fd,
                                   int preserve_fds = 0);

}  // namespace ocipod
