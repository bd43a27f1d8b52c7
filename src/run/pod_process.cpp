#include "run/pod_process.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "run/exe_seal.hpp"
#include "run/privileges.hpp"

namespace ocipod {

namespace {

constexpr int setup_failed = 125;
constexpr int not_executable = 126;
constexpr int not_found = 127;

[[noreturn]] void fail(const Error& error) {
    std::fprintf(stderr, "oci-pod-runner: starting the pod's process: %s\n", error.message.c_str());
    std::fflush(stderr);
    _exit(setup_failed);
}

// With a terminal the application leads its own session on the pod's pty (stdin..stderr are its
// slave, set by the init), so job control and SIGHUP on hang-up work as on a login terminal.
Status take_terminal() {
    if (setsid() < 0) return errno_error("setsid");
    if (ioctl(0, TIOCSCTTY, 0) < 0) return errno_error("making the pty the controlling terminal");
    return {};
}

Status enter_cwd(const std::string& cwd) {
    if (chdir(cwd.c_str()) < 0)
        return errno_error("changing to the working directory '%s'", cwd.c_str());
    return verify_cwd_inside_root();
}

Status prepare(const SpecProcess& process) {
    if (process.terminal) TRY(take_terminal());
    TRY(apply_rlimits(process.rlimits));
    if (process.oom_score_adj) TRY(apply_oom_score_adj(*process.oom_score_adj));
    TRY(apply_identity_and_capabilities(process));
    TRY(enter_cwd(process.cwd));
    return {};
}

}  // namespace

void exec_pod_process(const SpecProcess& process, SeccompFilter* filter) {
    if (Status st = prepare(process); !st) fail(st.error());

    // The environment is exactly process.env: environ is replaced (not merged) so execvpe's PATH
    // search uses the pod's PATH, never the runner's.
    std::vector<char*> envp;
    for (const auto& e : process.env) envp.push_back(const_cast<char*>(e.c_str()));
    envp.push_back(nullptr);
    std::vector<char*> argv;
    for (const auto& a : process.args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    environ = envp.data();

    if (process.no_new_privileges) {
        if (Status st = set_no_new_privs(); !st) fail(st.error());
    }
    // Nothing the runner, the init or their callers opened crosses into the application.
    close_fds_from(3);
    if (filter) {
        if (Status st = filter->load(); !st) fail(st.error());
    }
    execvpe(argv[0], argv.data(), envp.data());
    int e = errno;
    std::fprintf(stderr, "oci-pod-runner: executing '%s': %s\n", argv[0], std::strerror(e));
    std::fflush(stderr);
    _exit(e == ENOENT || e == ENOTDIR ? not_found : not_executable);
}

}  // namespace ocipod
