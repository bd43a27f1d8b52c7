// The pod's application process: forked by the stub init, it becomes what process.* describes and
// execs process.args. Order matters (runtime-spec config.md "Process", THREATS §2.2, §2.4, §2.6):
// session and controlling terminal; rlimits and oom_score_adj while still root; identity and
// capabilities; chdir to process.cwd and the check that it is inside the root; the environment
// exactly process.env; no_new_privs; every fd above stdio closed; seccomp loaded last; execvpe
// with PATH taken from process.env. Never returns: a setup failure prints one line on stderr and
// exits 125; an exec failure exits 127 (not found) or 126 (found, not executable), as shells do.
//
// Without HOME in process.env the application gets HOME from the pod's /etc/passwd entry of
// process.user.uid, "/" when there is none (what runc does; images rely on it).
#pragma once

#include "oci/runtime_spec.hpp"
#include "run/seccomp_filter.hpp"

namespace ocipod {

// filter: compiled by the init before start, or null for none. preserve_fds: fds 3 .. 3+N-1 stay
// open (CreateRequest::preserve_fds); with them, LISTEN_PID in the env becomes this process's pid
// when the env has LISTEN_FDS (sd_listen_fds(3) checks it).
[[noreturn]] void exec_pod_process(const SpecProcess& process, SeccompFilter* filter,
                                   int preserve_fds = 0);

}  // namespace ocipod
