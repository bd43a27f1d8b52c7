// What the pod application runs as (runtime-spec config.md "User", "Capabilities", "rlimits",
// "oomScoreAdj", config-linux.md "Sysctl"), applied in the kernel's required order. Each function
// runs in the process about to exec the application (after fork from the stub init) unless said
// otherwise; each returns an error naming what failed ("setting RLIMIT_NOFILE: ...").
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "oci/runtime_spec.hpp"

namespace ocipod {

// setrlimit for each entry (raising a hard limit needs CAP_SYS_RESOURCE: call while still root).
Status apply_rlimits(const std::vector<SpecRlimit>& rlimits);

// Writes /proc/self/oom_score_adj (lowering needs CAP_SYS_RESOURCE: call while still root).
Status apply_oom_score_adj(int value);

// The identity and privileges, in this order: bounding set reduced to capabilities.bounding;
// PR_SET_KEEPCAPS; setgroups(additionalGids), setresgid, setresuid; effective, permitted and
// inheritable set with capset; ambient raised one by one (each must be permitted and
// inheritable, else an error); PR_SET_KEEPCAPS cleared; umask when given. A process without a
// "capabilities" object ends with every set empty. Inheritable and ambient stay empty unless the
// spec lists them (THREATS §2.4).
Status apply_identity_and_capabilities(const SpecProcess& process);

// prctl(PR_SET_NO_NEW_PRIVS) — before the seccomp filter, which needs it without CAP_SYS_ADMIN.
Status set_no_new_privs();

// linux.sysctl, written in the pod's init after enter_rootfs: each key ("net.ipv4.ip_forward")
// becomes /proc/sys/net/ipv4/ip_forward opened beneath a /proc/sys fd that is verified to be on
// procfs (statfs PROC_SUPER_MAGIC, CVE-2025-52881), no symlinks, no "..". Only namespaced
// sysctls are accepted (kernel.{hostname,domainname,msg*,sem,shm*}, fs.mqueue.*, net.* when the
// pod has its own network namespace); others are refused by name.
Status apply_sysctls(const std::map<std::string, std::string>& sysctls, bool own_network_namespace,
                     bool own_ipc_namespace, bool own_uts_namespace);

}  // namespace ocipod
