#include "run/hooks.hpp"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <optional>
#include <string>
#include <vector>

#include "run/exe_seal.hpp"

namespace ocipod {

namespace {

// In the hook: 0 is the state pipe, 1 and 2 are the runner's, 3 reports a failed execve.
constexpr int report_fd = 3;
// The status of a hook whose execve failed; the parent reports the errno it sent instead.
constexpr int exec_failed = 127;

struct Pipe {
    UniqueFd read, write;
};

// Both ends close-on-exec and above 2: if the runner was started with a standard fd closed, a
// pipe end landing on 1 or 2 would otherwise become the hook's stdout or stderr.
Result<Pipe> make_pipe() {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) return errno_error("pipe2");
    Pipe p{UniqueFd(fds[0]), UniqueFd(fds[1])};
    for (UniqueFd* end : {&p.read, &p.write}) {
        if (end->get() > STDERR_FILENO) continue;
        UniqueFd moved(fcntl(end->get(), F_DUPFD_CLOEXEC, STDERR_FILENO + 1));
        if (!moved) return errno_error("fcntl(F_DUPFD_CLOEXEC)");
        *end = std::move(moved);
    }
    return p;
}

// argv and envp as execve wants them, built before fork: the child of a possibly threaded
// runner may only make async-signal-safe calls, so no allocation after fork.
struct ExecVectors {
    std::vector<char*> argv, envp;
    explicit ExecVectors(const SpecHook& hook) {
        // config.md: args has the same semantics as execv's argv, so args[0] is passed as given.
        if (hook.args.empty())
            argv.push_back(const_cast<char*>(hook.path.c_str()));
        else
            for (const std::string& a : hook.args) argv.push_back(const_cast<char*>(a.c_str()));
        argv.push_back(nullptr);
        for (const std::string& e : hook.env) envp.push_back(const_cast<char*>(e.c_str()));
        envp.push_back(nullptr);
    }
};

// The hook's side of the fork: a clean signal state (SIG_IGN and blocked signals survive execve
// and would leak the runner's choices into the hook), the state pipe as stdin, nothing of the
// runner's beyond stdout and stderr, then execve. Never returns into the caller's frames.
[[noreturn]] void become_hook(const char* path, const ExecVectors& v, int state_fd, int report) {
    struct sigaction dfl = {};
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    for (int sig = 1; sig < NSIG; ++sig) (void)sigaction(sig, &dfl, nullptr);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);

    // Moved above 3 first, so that neither dup below overwrites the other's source.
    int in = fcntl(state_fd, F_DUPFD_CLOEXEC, report_fd + 1);
    int rep = fcntl(report, F_DUPFD_CLOEXEC, report_fd + 1);
    if (rep < 0) rep = report;
    if (in < 0 || dup2(in, STDIN_FILENO) < 0 || dup3(rep, report_fd, O_CLOEXEC) < 0) {
        int err = errno;
        (void)!write(rep, &err, sizeof err);
        _exit(exec_failed);
    }
    close_fds_from(report_fd + 1);
    execve(path, v.argv.data(), v.envp.data());
    int err = errno;
    (void)!write(report_fd, &err, sizeof err);
    _exit(exec_failed);
}

// write(2) that cannot kill the runner with SIGPIPE when the hook closed its stdin: SIGPIPE is
// blocked in this thread for the call, and the one the write raised (if it was not already
// pending from elsewhere) is consumed before the mask is restored.
ssize_t write_without_sigpipe(int fd, const char* data, size_t size) {
    sigset_t pipe_set, old;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
    sigset_t pending;
    sigpending(&pending);
    bool was_pending = sigismember(&pending, SIGPIPE) == 1;
    ssize_t n = write(fd, data, size);
    int saved = errno;
    if (n < 0 && saved == EPIPE && !was_pending) {
        struct timespec zero = {0, 0};
        while (sigtimedwait(&pipe_set, nullptr, &zero) < 0 && errno == EINTR) {
        }
    }
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
    errno = saved;
    return n;
}

int64_t now_ms() {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return int64_t(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

int wait_for(pid_t pid) {
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return status;
}

std::string signal_name(int sig) {
    const char* abbrev = sigabbrev_np(sig);
    return abbrev ? std::string("SIG") + abbrev : std::to_string(sig);
}

// Feeds the state to the hook while waiting for it to exit. The pipe is non-blocking and polled
// with the hook's pidfd, so a hook that reads nothing and never exits still meets its timeout
// instead of leaving the runner blocked on a full pipe. Returns false when the timeout passed.
Result<bool> feed_and_wait(int pidfd, UniqueFd state, const std::string& json,
                           std::optional<int> timeout) {
    size_t off = 0;
    if (json.empty()) state.reset();
    if (state && fcntl(state.get(), F_SETFL, O_NONBLOCK) != 0)
        return errno_error("setting the state pipe non-blocking");
    int64_t deadline = timeout ? now_ms() + int64_t(*timeout) * 1000 : 0;
    for (;;) {
        int wait_ms = -1;
        if (timeout) {
            int64_t left = deadline - now_ms();
            if (left <= 0) return false;
            wait_ms = int(std::min<int64_t>(left, INT_MAX));
        }
        struct pollfd p[2] = {{pidfd, POLLIN, 0}, {state ? state.get() : -1, POLLOUT, 0}};
        int r = poll(p, 2, wait_ms);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) return errno_error("poll");
        if (p[0].revents) return true;
        if (!p[1].revents) continue;
        ssize_t n = write_without_sigpipe(state.get(), json.data() + off, json.size() - off);
        if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
        // A hook may ignore its stdin and exit (EPIPE): that is its business, not a failure.
        if (n < 0) {
            state.reset();
            continue;
        }
        off += size_t(n);
        if (off == json.size()) state.reset();  // EOF for the hook
    }
}

Status run_hook(const SpecHook& hook, const std::string& state_json, const char* phase) {
    const char* path = hook.path.c_str();
    if (hook.path.empty() || hook.path[0] != '/')
        return make_error(EINVAL, "%s hook '%s': path is not absolute, refusing.", phase, path);
    ExecVectors vectors(hook);
    Pipe state = TRY(make_pipe());
    Pipe report = TRY(make_pipe());

    pid_t pid = fork();
    if (pid < 0) return errno_error("%s hook '%s': fork", phase, path);
    if (pid == 0) become_hook(path, vectors, state.read.get(), report.write.get());
    state.read.reset();
    report.write.reset();

    // The child is ours and unreaped, so its pid cannot be reused before the pidfd is taken.
    UniqueFd pidfd(int(syscall(SYS_pidfd_open, pid, 0)));
    if (!pidfd) {
        Error e = errno_error("%s hook '%s': pidfd_open", phase, path);
        kill(pid, SIGKILL);
        wait_for(pid);
        return e;
    }
    auto exited = feed_and_wait(pidfd.get(), std::move(state.write), state_json, hook.timeout);
    if (!exited.ok() || !*exited) kill(pid, SIGKILL);
    int status = wait_for(pid);
    if (!exited.ok()) return std::move(exited).error().wrap(strf("%s hook '%s'", phase, path));
    if (!*exited)
        return make_error(ETIMEDOUT, "%s hook '%s' timed out after %d s", phase, path,
                          *hook.timeout);

    int child_errno = 0;
    ssize_t n;
    while ((n = read(report.read.get(), &child_errno, sizeof child_errno)) < 0 && errno == EINTR) {
    }
    if (n == sizeof child_errno)
        return errno_error_code(child_errno, "%s hook '%s' cannot be run", phase, path);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return {};
    if (WIFEXITED(status))
        return make_error(EIO, "%s hook '%s' exited with status %d", phase, path,
                          WEXITSTATUS(status));
    if (WIFSIGNALED(status))
        return make_error(EIO, "%s hook '%s' was killed by signal %s", phase, path,
                          signal_name(WTERMSIG(status)).c_str());
    return make_error(EIO, "%s hook '%s' ended with wait status %#x", phase, path, status);
}

}  // namespace

Status run_hooks(const std::vector<SpecHook>& hooks, const std::string& state_json,
                 const char* phase) {
    for (const SpecHook& hook : hooks) TRY(run_hook(hook, state_json, phase));
    return {};
}

}  // namespace ocipod
