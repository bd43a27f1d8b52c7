// A test body that changes the process for good (credentials, capabilities, seccomp, namespaces)
// runs in a forked child; its report comes back through a pipe and its end through the wait
// status, so the test process itself keeps root and no filter.
#pragma once

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <functional>
#include <string>

namespace ocipod::test {

struct ChildResult {
    int status = -1;     // from waitpid
    std::string report;  // what the body returned
};

// The body's returned text is written to the pipe in one write(2), then the child _exits with
// 0: a body that dies on a signal leaves an empty report and that signal in the status.
inline ChildResult run_in_child(const std::function<std::string()>& body) {
    ChildResult result;
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) < 0) return result;
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return result;
    }
    if (pid == 0) {
        close(fds[0]);
        std::string report = body();
        (void)!write(fds[1], report.data(), report.size());
        _exit(0);
    }
    close(fds[1]);
    char buf[4096];
    for (;;) {
        ssize_t n = read(fds[0], buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        result.report.append(buf, static_cast<size_t>(n));
    }
    close(fds[0]);
    while (waitpid(pid, &result.status, 0) < 0 && errno == EINTR) {
    }
    return result;
}

// The exit status of a child that ran f() and _exit'ed with its int result; -1 if it died
// otherwise. For bodies that report a number, not a text.
template <class F>
int exit_code_in_child(F f) {
    pid_t pid = fork();
    if (pid == 0) _exit(f());
    int st = 0;
    if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st)) return -1;
    return WEXITSTATUS(st);
}

// Skip a root-only test with a reason.
inline bool skip_unless_root(const char* why) {
    if (geteuid() == 0) return false;
    printf("\n  skipped: %s needs root\n", why);
    return true;
}

}  // namespace ocipod::test
