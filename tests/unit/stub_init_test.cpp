// run_stub_init: the application's status passes through, signals sent to the init reach the
// application (or its group when it leads one), orphans are reaped, and inside a new pid
// namespace the application runs under the init as PID 1. Each init runs in a forked child, since
// it never returns.
#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <functional>
#include <string>

#include "forked_child.hpp"
#include "run/stub_init.hpp"

// Last: CppUTest redefines new, which the standard headers above must not see.
#include <CppUTest/TestHarness.h>

using namespace ocipod;
using namespace ocipod::test;

namespace {

// One pipe; the test closes its write end after forking, so a reader sees end-of-file rather
// than hanging once every process that could still write has died.
struct Pipe {
    int r = -1;
    int w = -1;
    Pipe() {
        int fds[2];
        if (pipe2(fds, O_CLOEXEC) == 0) r = fds[0], w = fds[1];
    }
    ~Pipe() {
        close_write();
        if (r >= 0) close(r);
    }
    void close_write() {
        if (w >= 0) close(w);
        w = -1;
    }
};

int read_byte(int fd) {
    unsigned char c;
    ssize_t n;
    while ((n = read(fd, &c, 1)) < 0 && errno == EINTR) {
    }
    return n == 1 ? c : -1;
}

void write_byte(int fd, int c) {
    unsigned char b = static_cast<unsigned char>(c);
    (void)!write(fd, &b, 1);
}

pid_t start_init(const std::function<void()>& app) {
    pid_t pid = fork();
    if (pid == 0) run_stub_init(app);
    return pid;
}

int wait_status(pid_t pid) {
    int status = -1;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return status;
}

// The handlers of the applications below report the signal they got on this fd.
int report_fd = -1;

void report_signal(int sig) {
    write_byte(report_fd, sig);
}

// A process that waits for something only a broken init would withhold dies of SIGALRM (which
// is not forwarded) instead, so the test fails rather than hangs.
constexpr unsigned hang_guard_seconds = 30;

// Block sig, then handle it by reporting it; the caller waits for it with sigsuspend(&waiting).
void catch_signal(int sig, int fd, sigset_t* waiting) {
    alarm(hang_guard_seconds);
    sigset_t block;
    sigemptyset(&block);
    sigaddset(&block, sig);
    sigprocmask(SIG_BLOCK, &block, waiting);
    sigdelset(waiting, sig);
    report_fd = fd;
    struct sigaction sa = {};
    sa.sa_handler = report_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(sig, &sa, nullptr);
}

// "State" and "ppid" of /proc/PID/stat; false when the process is gone.
bool proc_state(pid_t pid, char* state, pid_t* ppid) {
    std::string path = "/proc/" + std::to_string(pid) + "/stat";
    FILE* f = fopen(path.c_str(), "re");
    if (!f) return false;
    char buf[512];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    // The command name may hold spaces and parentheses: the fields follow its last ')'.
    std::string s(buf);
    size_t close_paren = s.rfind(')');
    if (close_paren == std::string::npos) return false;
    int parent = 0;
    if (sscanf(s.c_str() + close_paren + 1, " %c %d", state, &parent) != 2) return false;
    *ppid = parent;
    return true;
}

bool has_zombie_child(pid_t parent) {
    DIR* d = opendir("/proc");
    if (!d) return false;
    bool found = false;
    while (struct dirent* de = readdir(d)) {
        pid_t pid = atoi(de->d_name);
        char state;
        pid_t ppid;
        if (pid > 0 && proc_state(pid, &state, &ppid) && state == 'Z' && ppid == parent)
            found = true;
    }
    closedir(d);
    return found;
}

}  // namespace

TEST_GROUP(StubInit){};

TEST(StubInit, ExitCodePassesThrough) {
    pid_t init = start_init([] { _exit(7); });
    int status = wait_status(init);
    CHECK(WIFEXITED(status));
    LONGS_EQUAL(7, WEXITSTATUS(status));
}

TEST(StubInit, DeathBySignalIs128PlusTheSignal) {
    for (int sig : {SIGKILL, SIGTERM}) {
        pid_t init = start_init([sig] {
            kill(getpid(), sig);
            _exit(0);
        });
        int status = wait_status(init);
        CHECK(WIFEXITED(status));
        LONGS_EQUAL(128 + sig, WEXITSTATUS(status));
    }
}

TEST(StubInit, ExitStatusOfMapsCodesAndSignals) {
    LONGS_EQUAL(0, exit_status_of(0));
    pid_t child = fork();
    if (child == 0) _exit(3);
    LONGS_EQUAL(3, exit_status_of(wait_status(child)));
    child = fork();
    if (child == 0) {
        kill(getpid(), SIGKILL);
        _exit(0);
    }
    LONGS_EQUAL(128 + SIGKILL, exit_status_of(wait_status(child)));
}

TEST(StubInit, ForwardsEachSignalToTheApplication) {
    for (int sig : {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH, SIGCONT}) {
        Pipe ready, report;
        pid_t init = start_init([&] {
            sigset_t waiting;
            catch_signal(sig, report.w, &waiting);
            write_byte(ready.w, 'r');
            sigsuspend(&waiting);
            _exit(0);
        });
        ready.close_write();
        report.close_write();
        LONGS_EQUAL_TEXT('r', read_byte(ready.r), strsignal(sig));
        kill(init, sig);
        LONGS_EQUAL_TEXT(sig, read_byte(report.r), strsignal(sig));
        int status = wait_status(init);
        CHECK_TEXT(WIFEXITED(status), strsignal(sig));
        LONGS_EQUAL_TEXT(0, WEXITSTATUS(status), strsignal(sig));
    }
}

// The application forks a worker that keeps the signal blocked; once the application has seen the
// signal, the worker reports whether it is pending for it too. kill() marks every member of a
// group before it returns, so the answer is settled by then.
TEST(StubInit, SignalsTheGroupOnlyWhenTheApplicationLeadsIt) {
    for (bool leader : {true, false}) {
        Pipe ready, report, check;
        pid_t init = start_init([&] {
            if (leader) setpgid(0, 0);
            sigset_t waiting;
            catch_signal(SIGUSR2, report.w, &waiting);
            pid_t worker = fork();
            if (worker == 0) {
                close(check.w);
                alarm(hang_guard_seconds);
                read_byte(check.r);
                sigset_t pending;
                sigpending(&pending);
                write_byte(report.w, sigismember(&pending, SIGUSR2) ? 'w' : 'n');
                _exit(0);
            }
            write_byte(ready.w, 'r');
            sigsuspend(&waiting);
            write_byte(check.w, 'c');
            _exit(wait_status(worker) == 0 ? 0 : 1);
        });
        ready.close_write();
        report.close_write();
        check.close_write();
        LONGS_EQUAL('r', read_byte(ready.r));
        kill(init, SIGUSR2);
        LONGS_EQUAL(SIGUSR2, read_byte(report.r));
        LONGS_EQUAL_TEXT(leader ? 'w' : 'n', read_byte(report.r),
                         leader ? "group leader" : "not a leader");
        int status = wait_status(init);
        CHECK(WIFEXITED(status));
        LONGS_EQUAL(0, WEXITSTATUS(status));
    }
}

// The application double-forks an orphan, which the init inherits (as PID 1, or as the
// subreaper it makes itself outside a pid namespace) and must reap: the application waits until
// the orphan is no longer a zombie child of the init, then checks the init has no zombie at all.
TEST(StubInit, ReapsOrphans) {
    Pipe go, report;
    pid_t init = start_init([&] {
        alarm(hang_guard_seconds);
        pid_t middle = fork();
        if (middle == 0) {
            if (fork() == 0) {
                close(go.w);
                read_byte(go.r);
                pid_t ids[2] = {getpid(), getppid()};
                (void)!write(report.w, ids, sizeof ids);
                _exit(0);
            }
            _exit(0);
        }
        wait_status(middle);
        write_byte(go.w, 'g');
        pid_t ids[2];
        if (read(report.r, ids, sizeof ids) != static_cast<ssize_t>(sizeof ids)) _exit(10);
        if (ids[1] != getppid()) _exit(11);  // the orphan was not handed to the init
        // Until the init reaps it, the orphan stays its child (as a zombie once it exited); a
        // broken init leaves it there and the hang guard ends the wait.
        char state;
        pid_t ppid;
        while (proc_state(ids[0], &state, &ppid) && ppid == getppid()) usleep(1000);
        _exit(has_zombie_child(getppid()) ? 12 : 0);
    });
    go.close_write();
    report.close_write();
    int status = wait_status(init);
    CHECK(WIFEXITED(status));
    LONGS_EQUAL(0, WEXITSTATUS(status));
}

// The production shape: the init is PID 1 of a new pid namespace, SIGTERM comes from outside
// (systemctl stop, machinectl terminate) and must reach the application.
TEST(StubInit, RunsAsPid1OfANewPidNamespace) {
    if (skip_unless_root("creating a pid namespace")) return;
    Pipe init_pid, ready, report;
    pid_t outer = fork();
    if (outer == 0) {
        if (unshare(CLONE_NEWPID) != 0) _exit(100);
        pid_t init = start_init([&] {
            sigset_t waiting;
            catch_signal(SIGTERM, report.w, &waiting);
            write_byte(ready.w, getppid() == 1 && getpid() == 2 ? 'p' : 'x');
            sigsuspend(&waiting);
            _exit(42);
        });
        (void)!write(init_pid.w, &init, sizeof init);
        _exit(exit_status_of(wait_status(init)));
    }
    init_pid.close_write();
    ready.close_write();
    report.close_write();
    pid_t init = -1;
    LONGS_EQUAL(sizeof init, read(init_pid.r, &init, sizeof init));
    LONGS_EQUAL('p', read_byte(ready.r));
    kill(init, SIGTERM);
    LONGS_EQUAL(SIGTERM, read_byte(report.r));
    int status = wait_status(outer);
    CHECK(WIFEXITED(status));
    LONGS_EQUAL(42, WEXITSTATUS(status));
}
