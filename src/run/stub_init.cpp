#include "run/stub_init.hpp"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

namespace ocipod {

namespace {

// The init could not set itself up (no signalfd, no fork): the application never ran. 125 is
// what container runtimes report when the runtime itself failed, distinct from the 126/127 of a
// command that could not be run.
constexpr int init_failed = 125;
// start_app returned (or threw) instead of exec'ing: the shell's "command not found" status.
constexpr int app_not_started = 127;

constexpr int forwarded_signals[] = {SIGTERM, SIGINT,  SIGHUP,   SIGQUIT,
                                     SIGUSR1, SIGUSR2, SIGWINCH, SIGCONT};

// Default dispositions for every handled signal, set before fork so both sides have them: the
// application starts with no handler or SIG_IGN it did not ask for (SIG_IGN survives exec), and
// the init never has SIGCHLD ignored, which would make the kernel reap children on its own and
// hide the application's status from waitpid.
void reset_dispositions() {
    struct sigaction sa = {};
    sa.sa_handler = SIG_DFL;
    sigemptyset(&sa.sa_mask);
    for (int sig : forwarded_signals) sigaction(sig, &sa, nullptr);
    sigaction(SIGCHLD, &sa, nullptr);
}

// The child side of the fork: only async-signal-safe calls until start_app execs, and never a
// return into the caller's frames (an exception from start_app ends here too).
[[noreturn]] void become_app(const std::function<void()>& start_app, const sigset_t& original,
                             int sfd) {
    close(sfd);
    sigprocmask(SIG_SETMASK, &original, nullptr);
    try {
        start_app();
    } catch (...) {
    }
    _exit(app_not_started);
}

// The application gets the signal itself, or its whole process group when it made itself a
// group leader (a shell, a supervisor that spawns workers): that is how a terminal would have
// delivered it. The application is forked into the init's own group, so signalling "the group
// of the application" otherwise would hit the init and every other process in it as well.
// getpgid cannot race with pid reuse: the application is not reaped before this loop sees it.
void forward(pid_t app, int sig) {
    if (getpgid(app) == app)
        kill(-app, sig);
    else
        kill(app, sig);
}

// Reap every child that has exited; leave (with its status) once the application is among them.
void reap(pid_t app) {
    for (;;) {
        int status = 0;
        pid_t pid = waitpid(-1, &status, WNOHANG);
        if (pid < 0 && errno == EINTR) continue;
        if (pid <= 0) return;
        if (pid == app) _exit(exit_status_of(status));
    }
}

}  // namespace

sigset_t stub_init_signals() {
    sigset_t set;
    sigemptyset(&set);
    for (int sig : forwarded_signals) sigaddset(&set, sig);
    sigaddset(&set, SIGCHLD);
    return set;
}

int exit_status_of(int wait_status) {
    if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
    if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
    return 255;
}

void run_stub_init(const std::function<void()>& start_app) {
    // As PID 1 of a pid namespace the init already inherits every orphan; outside one (tests, a
    // runner without CLONE_NEWPID) this makes orphans of the application ours to reap as well.
    prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);

    // Block before fork: a signal sent between fork and the first read stays pending for the
    // signalfd instead of taking its default action (or being dropped, as PID 1) in the init.
    sigset_t handled = stub_init_signals();
    if (sigprocmask(SIG_BLOCK, &handled, nullptr) != 0) _exit(init_failed);
    // The application starts with no signal blocked, whatever the init had blocked before.
    sigset_t original;
    sigemptyset(&original);
    reset_dispositions();
    int sfd = signalfd(-1, &handled, SFD_CLOEXEC);
    if (sfd < 0) _exit(init_failed);

    pid_t app = fork();
    if (app < 0) _exit(init_failed);
    if (app == 0) become_app(start_app, original, sfd);

    // The application may have exited before the first SIGCHLD is read; reap() catches up.
    for (;;) {
        struct signalfd_siginfo si;
        ssize_t n = read(sfd, &si, sizeof si);
        if (n < 0 && errno == EINTR) continue;
        if (n != static_cast<ssize_t>(sizeof si)) {
            // Cannot happen with a valid signalfd; without it the init can still wait for the
            // application and keep its status, forwarding nothing more.
            int status = 0;
            pid_t done;
            while ((done = waitpid(app, &status, 0)) < 0 && errno == EINTR) {
            }
            _exit(done == app ? exit_status_of(status) : init_failed);
        }
        if (si.ssi_signo == SIGCHLD)
            reap(app);
        else
            forward(app, static_cast<int>(si.ssi_signo));
    }
}

}  // namespace ocipod
