#include "run/pod_spawn.hpp"

#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>
#include <set>
#include <string>
#include <vector>

#include "run/exe_seal.hpp"
#include "run/stub_init.hpp"
#include "run/sync_channel.hpp"

namespace ocipod {

namespace {

struct NamespaceType {
    const char* name;
    int flag;
};

constexpr NamespaceType namespace_types[] = {
    {"pid", CLONE_NEWPID}, {"network", CLONE_NEWNET}, {"mount", CLONE_NEWNS},
    {"ipc", CLONE_NEWIPC}, {"uts", CLONE_NEWUTS},     {"cgroup", CLONE_NEWCGROUP},
};

int flag_of(const std::string& type) {
    for (const auto& t : namespace_types)
        if (type == t.name) return t.flag;
    return 0;
}

struct Join {
    int flag;
    UniqueFd fd;
};

// The child between clone and exec: a copy of the runner's memory, single-threaded; it only
// makes system calls and never returns into the runner's frames.
[[noreturn]] void exec_init(std::vector<Join>& joins, int exe_fd, int sync_fd, int preserve_fds,
                            char** argv) {
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    for (auto& j : joins) {
        if (setns(j.fd.get(), j.flag) < 0) {
            send_error_raw(sync_fd, errno, "joining a namespace given by path");
            _exit(125);
        }
    }
    sigset_t held = stub_init_signals();
    sigprocmask(SIG_SETMASK, &held, nullptr);
    // Whatever the runner's caller leaked stays behind, but the fds it asked to pass on; the memfd
    // is close-on-exec already.
    cloexec_fds_from(3 + preserve_fds);
    for (int fd = 3; fd < 3 + preserve_fds; ++fd) fcntl(fd, F_SETFD, 0);
    int flags = fcntl(sync_fd, F_GETFD);
    fcntl(sync_fd, F_SETFD, flags & ~FD_CLOEXEC);
    char* envp[] = {nullptr};
    syscall(SYS_execveat, exe_fd, "", argv, envp, AT_EMPTY_PATH);
    send_error_raw(sync_fd, errno, "executing the sealed copy of the runner");
    _exit(125);
}

}  // namespace

bool wants_new_namespace(const SpecLinux& linux_config, const char* type) {
    for (const auto& ns : linux_config.namespaces)
        if (ns.type == type && ns.path.empty()) return true;
    return false;
}

Status check_namespaces(const SpecLinux& linux_config) {
    std::set<std::string> seen;
    bool new_mount = false;
    for (const auto& ns : linux_config.namespaces) {
        if (!flag_of(ns.type))
            return make_error(ENOTSUP,
                              "config.json: 'linux.namespaces' type '%s' is not supported, "
                              "refusing",
                              ns.type.c_str());
        if (!seen.insert(ns.type).second)
            return make_error(EINVAL, "config.json: 'linux.namespaces' lists '%s' twice, refusing",
                              ns.type.c_str());
        if (ns.type == "mount") {
            if (!ns.path.empty())
                return make_error(ENOTSUP,
                                  "config.json: 'linux.namespaces' mount namespace by path is "
                                  "not supported (the pod needs a new one), refusing");
            new_mount = true;
        }
    }
    if (!new_mount)
        return make_error(ENOTSUP,
                          "config.json: 'linux.namespaces' has no mount namespace; the runner "
                          "needs a new one, refusing");
    return {};
}

Result<SpawnedInit> spawn_pod_init(const SpecLinux& linux_config, int exe_fd, int sync_fd,
                                   int preserve_fds) {
    uint64_t flags = 0;
    std::vector<Join> joins;
    UniqueFd pid_join;
    for (const auto& ns : linux_config.namespaces) {
        int flag = flag_of(ns.type);
        if (ns.path.empty()) {
            if (flag != CLONE_NEWCGROUP) flags |= uint64_t(flag);
            continue;
        }
        UniqueFd fd(open(ns.path.c_str(), O_RDONLY | O_CLOEXEC));
        if (!fd)
            return errno_error("opening the %s namespace '%s'", ns.type.c_str(), ns.path.c_str());
        if (flag == CLONE_NEWPID)
            pid_join = std::move(fd);
        else
            joins.push_back(Join{flag, std::move(fd)});
    }

    // Joining a pid namespace only changes where the caller's future children go; the runner
    // does it for the clone alone and goes back to its own (allowed: it is the runner's active
    // one).
    UniqueFd own_pid_ns;
    if (pid_join) {
        own_pid_ns.reset(open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC));
        if (!own_pid_ns) return errno_error("opening '/proc/self/ns/pid'");
        if (setns(pid_join.get(), CLONE_NEWPID) < 0)
            return errno_error("joining the pid namespace");
    }

    std::string sync_arg = std::to_string(sync_fd);
    char* argv[] = {const_cast<char*>(pod_init_argv0), sync_arg.data(), nullptr};

    int pidfd = -1;
    struct clone_args args {};
    args.flags = flags | CLONE_PIDFD;
    args.pidfd = uint64_t(uintptr_t(&pidfd));
    args.exit_signal = SIGCHLD;
    long pid = syscall(SYS_clone3, &args, sizeof args);
    int clone_errno = errno;
    if (pid == 0) exec_init(joins, exe_fd, sync_fd, preserve_fds, argv);

    if (own_pid_ns && setns(own_pid_ns.get(), CLONE_NEWPID) < 0) {
        // The runner would put later children in the pod's namespace; it cannot go on.
        if (pid > 0) {
            kill(pid_t(pid), SIGKILL);
            close(pidfd);
        }
        return errno_error("returning to the runner's pid namespace");
    }
    if (pid < 0) return errno_error_code(clone_errno, "cloning the pod's init");
    return SpawnedInit{pid_t(pid), UniqueFd(pidfd)};
}

}  // namespace ocipod
