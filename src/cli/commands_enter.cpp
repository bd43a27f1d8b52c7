// oci-pod enter: run a command inside a running pod, as nsenter -a plus the pod's process
// settings. This process joins the init's cgroup (from the host's view of cgroupfs), then all of
// its namespaces at once with setns(pidfd) (one by one through /proc/PID/ns on kernels without
// it), which also moves our root and cwd to the pod's root (the mount namespace's root after the
// runtime's pivot_root). A child forked there is in the pod's pid namespace; it takes the pod's
// rlimits, env, cwd, identity and capabilities, no_new_privs and seccomp (last), closes every fd
// above 2 and execs the command directly, so the oci-pod binary is never a process the pod can
// see (THREATS §2.1), and PR_SET_DUMPABLE stays 0 until that exec (§2.6 CVE-2016-9962).
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <optional>

#include "base/fs.hpp"
#include "base/log.hpp"
#include "cli/commands.hpp"
#include "cli/pod_runner.hpp"
#include "oci/runtime_spec.hpp"
#include "run/console.hpp"
#include "run/privileges.hpp"
#include "run/rootfs_setup.hpp"
#include "run/seccomp_filter.hpp"

extern char** environ;

namespace ocipod {

namespace {

constexpr int join_flags =
    CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWPID | CLONE_NEWCGROUP;

int fail(const Error& e) {
    log_error("%s", e.message.c_str());
    return exit_failure;
}

// Best effort, as nsenter does: a hierarchy we cannot write (no delegation, a read-only view)
// leaves the command in ours.
void join_cgroups(pid_t pid) {
    std::ifstream in(strf("/proc/%d/cgroup", pid));
    std::string line;
    struct stat st;
    bool hybrid = stat("/sys/fs/cgroup/unified", &st) == 0;
    std::string me = strf("%d", getpid());
    while (std::getline(in, line)) {
        auto parts = split(line, ':');
        if (parts.size() < 3) continue;
        std::string path = line.substr(parts[0].size() + parts[1].size() + 2);
        if (path.find("..") != std::string::npos) continue;
        std::string mount;
        if (parts[1].empty()) {
            mount = hybrid ? "/sys/fs/cgroup/unified" : "/sys/fs/cgroup";
        } else {
            std::string controllers = parts[1];
            if (starts_with(controllers, "name=")) controllers.erase(0, 5);
            mount = "/sys/fs/cgroup/" + controllers;
        }
        int fd = open((mount + path + "/cgroup.procs").c_str(), O_WRONLY | O_CLOEXEC);
        if (fd < 0) continue;
        (void)!write(fd, me.data(), me.size());
        close(fd);
    }
}

Status join_namespaces(pid_t pid) {
    UniqueFd pidfd(static_cast<int>(syscall(SYS_pidfd_open, pid, 0)));
    if (pidfd && setns(pidfd.get(), join_flags) == 0) return {};
    // Older kernels: one namespace at a time, the mount namespace last (it changes our root, and
    // the other /proc/PID/ns paths are opened first).
    const char* names[] = {"cgroup", "ipc", "uts", "net", "pid", "mnt"};
    std::vector<UniqueFd> fds;
    for (const char* n : names) {
        UniqueFd fd(open(strf("/proc/%d/ns/%s", pid, n).c_str(), O_RDONLY | O_CLOEXEC));
        if (!fd) return errno_error("opening the pod's %s namespace", n);
        fds.push_back(std::move(fd));
    }
    for (size_t i = 0; i < fds.size(); ++i)
        if (setns(fds[i].get(), 0) != 0)
            return errno_error("joining the pod's %s namespace", names[i]);
    return {};
}

std::vector<char*> c_strings(std::vector<std::string>& words) {
    std::vector<char*> out;
    for (auto& w : words) out.push_back(w.data());
    out.push_back(nullptr);
    return out;
}

[[noreturn]] void child_fail(const char* what, const Error& e) {
    fprintf(stderr, "oci-pod: %s: %s\n", what, e.message.c_str());
    _exit(126);
}

[[noreturn]] void exec_in_pod(const RuntimeSpec& spec, std::vector<std::string> command) {
    std::vector<std::string> env = spec.process.env;
    std::vector<char*> envp = c_strings(env);
    std::vector<char*> argv = c_strings(command);
    if (chdir(spec.process.cwd.c_str()) != 0 && chdir("/") != 0)
        child_fail("changing directory", errno_error("'%s'", spec.process.cwd.c_str()));
    if (Status s = apply_rlimits(spec.process.rlimits); !s) child_fail("rlimits", s.error());
    if (Status s = apply_identity_and_capabilities(spec.process); !s)
        child_fail("identity", s.error());
    if (spec.process.no_new_privileges)
        if (Status s = set_no_new_privs(); !s) child_fail("no_new_privs", s.error());
    if (spec.linux_config.seccomp) {
        auto filter = compile_seccomp(*spec.linux_config.seccomp);
        if (!filter) child_fail("seccomp", filter.error());
        if (Status s = filter->load(); !s) child_fail("seccomp", s.error());
    }
    // No fd of ours reaches the command (THREATS §2.2).
    syscall(SYS_close_range, 3u, ~0u, 0u);
    // PATH lookup with the pod's own PATH.
    environ = envp.data();
    execvp(argv[0], argv.data());
    int err = errno;
    fprintf(stderr, "oci-pod: executing '%s' in the pod: %s\n", argv[0], strerror(err));
    _exit(err == ENOENT ? 127 : 126);
}

}  // namespace

int cmd_enter(const GlobalOptions& global, const PodArgs& args) {
    // Nobody in the pod may ptrace or open /proc/PID/{fd,mem,exe} of this process.
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    PodDirs dirs(global.root);
    auto v = view_pod(dirs, args.name);
    if (!v) return fail(v.error());
    if (!v->running || v->pid <= 0 || v->state != "running")
        return fail(make_error(ESRCH, "pod '%s' is not running", args.name.c_str()));
    auto spec = read_pod_spec(dirs, args.name);
    if (!spec) return fail(spec.error().wrap(strf("pod '%s'", args.name.c_str())));

    join_cgroups(v->pid);
    if (Status s = join_namespaces(v->pid); !s) return fail(s.error());
    if (chdir("/") != 0) return fail(errno_error("changing to the pod's root"));

    std::vector<std::string> command = args.command;
    if (command.empty()) {
        if (access("/bin/sh", X_OK) != 0)
            return fail(
                make_error(ENOENT, "pod '%s' has no /bin/sh; give a command", args.name.c_str()));
        command = {"/bin/sh"};
    }
    // From a terminal the command gets a new pty of the pod's own devpts, proxied to ours, as
    // `podman exec -t` does: the caller's terminal never becomes a tty of a pod process, which
    // could otherwise push input into it (TIOCSTI) or outlive the command on it.
    std::optional<PodConsole> pty;
    if (isatty(STDIN_FILENO)) {
        UniqueFd root(open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
        if (!root) return fail(errno_error("opening the pod's root"));
        auto opened = open_pod_pty(root.get());
        if (!opened) return fail(opened.error().wrap(strf("pod '%s'", args.name.c_str())));
        pty = std::move(*opened);
        copy_window_size(STDIN_FILENO, pty->master.get());
    }
    fflush(stdout);
    fflush(stderr);
    // Without a pty, the terminal's signals reach the command (same process group); we only
    // wait. With one, they travel through the pty as the raw bytes of ^C and ^\.
    signal(SIGINT, SIG_IGN);
    signal(SIGQUIT, SIG_IGN);
    pid_t child = fork();
    if (child < 0) return fail(errno_error("fork"));
    if (child == 0) {
        signal(SIGINT, SIG_DFL);
        signal(SIGQUIT, SIG_DFL);
        if (pty) {
            int slave = pty->slave.get();
            if (setsid() < 0 || ioctl(slave, TIOCSCTTY, 0) < 0 || dup2(slave, 0) < 0 ||
                dup2(slave, 1) < 0 || dup2(slave, 2) < 0)
                child_fail("the pod's terminal", errno_error("attaching"));
        }
        exec_in_pod(*spec, std::move(command));
    }
    if (pty) {
        pty->slave.reset();
        Status proxied = proxy_terminal(pty->master.get(), STDIN_FILENO, STDOUT_FILENO, -1);
        if (!proxied) log_error("pod '%s': %s", args.name.c_str(), proxied.error().message.c_str());
    }
    int status = 0;
    while (waitpid(child, &status, 0) < 0) {
        if (errno != EINTR) return fail(errno_error("waiting for the command"));
    }
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return WEXITSTATUS(status);
}

}  // namespace ocipod
