#include "run/pod_process.hpp"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "base/fs.hpp"
#include "base/strings.hpp"
#include "base/unique_fd.hpp"
#include "render/user_db.hpp"
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

constexpr size_t passwd_cap = 4 << 20;

bool has_home(const std::vector<std::string>& env) {
    for (const auto& e : env)
        if (e.starts_with("HOME=")) return true;
    return false;
}

// Runs after pivot_root, while still root: "/" is the pod's root, so a plain open stays inside
// it. O_NOFOLLOW on the last component, O_NONBLOCK against a fifo, only a regular file, capped.
std::string pod_home(uid_t uid) {
    UniqueFd fd(open("/etc/passwd", O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
    struct stat st {};
    if (!fd || fstat(fd.get(), &st) < 0 || !S_ISREG(st.st_mode)) return "/";
    auto text = read_fd_capped(fd.get(), passwd_cap);
    if (!text) return "/";
    return passwd_home(*text, uid);
}

// Socket activation: LISTEN_PID names the process the fds are for, this one (its pid in the
// pod's namespace), replacing any value the caller passed.
void set_listen_pid(std::vector<std::string>& env) {
    bool activated = false;
    for (const std::string& e : env) activated |= starts_with(e, "LISTEN_FDS=");
    if (!activated) return;
    std::erase_if(env, [](const std::string& e) { return starts_with(e, "LISTEN_PID="); });
    env.push_back("LISTEN_PID=" + std::to_string(getpid()));
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

void exec_pod_process(const SpecProcess& process_in, SeccompFilter* filter, int preserve_fds) {
    SpecProcess process = process_in;
    if (!has_home(process.env)) process.env.push_back("HOME=" + pod_home(process.user.uid));
    if (preserve_fds > 0) set_listen_pid(process.env);
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
    // Nothing the runner, the init or their callers opened crosses into the application, but
    // the fds it was asked to keep, which must survive the exec.
    close_fds_from(3 + preserve_fds);
    for (int fd = 3; fd < 3 + preserve_fds; ++fd) fcntl(fd, F_SETFD, 0);
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
