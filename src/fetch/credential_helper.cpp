#include "fetch/credential_helper.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "base/fs.hpp"
#include "c/json.hpp"

namespace ocipod {

namespace {

bool valid_helper_name(std::string_view name) {
    if (name.empty() || name.size() > 128 || name[0] == '.') return false;
    for (char c : name) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '_' || c == '-';
        if (!ok) return false;
    }
    return true;
}

Result<std::string> find_in_path(const std::string& program) {
    const char* path = getenv("PATH");
    std::string search = path && *path ? path : "/usr/local/bin:/usr/bin:/bin";
    for (const std::string& dir : split(search, ':')) {
        // An empty entry would mean the current directory; never run programs from there.
        if (dir.empty() || dir[0] != '/') continue;
        std::string candidate = dir + "/" + program;
        struct stat st;
        if (stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
            access(candidate.c_str(), X_OK) == 0)
            return candidate;
    }
    return make_error(ENOENT, "credential helper '%s' not found in $PATH", program.c_str());
}

// A pipe whose ends are both above stdio, so the child's dup2 onto 0/1/2 cannot clobber one.
Status make_pipe(UniqueFd& read_end, UniqueFd& write_end) {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) < 0) return errno_error("creating a pipe");
    UniqueFd r(fds[0]), w(fds[1]);
    for (UniqueFd* fd : {&r, &w}) {
        if (fd->get() > 2) continue;
        int moved = fcntl(fd->get(), F_DUPFD_CLOEXEC, 3);
        if (moved < 0) return errno_error("duplicating a pipe");
        fd->reset(moved);
    }
    read_end = std::move(r);
    write_end = std::move(w);
    return {};
}

// The child side of the fork: only async-signal-safe calls, never returns.
[[noreturn]] void exec_helper(int in, int out, int err, const char* path, char* const argv[],
                              char* const envp[]) {
    if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0) _exit(127);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    signal(SIGPIPE, SIG_DFL);
    setpgid(0, 0);  // its own group, so a timeout kills whatever it started too
    close_range(3, ~0U, 0);
    execve(path, argv, envp);
    _exit(127);
}

int64_t now_ms() {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return int64_t(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

struct HelperRun {
    std::string out, err;
    int status = 0;
};

// Run program with input on stdin; collect stdout/stderr up to the limits.
Result<HelperRun> run(const std::string& program, const std::string& path, std::string_view input,
                      const CredentialHelperLimits& limits) {
    UniqueFd in_r, in_w, out_r, out_w, err_r, err_w;
    TRY(make_pipe(in_r, in_w));
    TRY(make_pipe(out_r, out_w));
    TRY(make_pipe(err_r, err_w));
    // The input is tiny (a host name); writing it all before the fork means no SIGPIPE and no
    // deadlock whatever the helper does with its stdin.
    if (input.size() >= 4096) return make_error(EINVAL, "credential helper input too long");
    TRY_WRAP(write_all(in_w.get(), input), "writing to a pipe");
    in_w.reset();

    std::string env_path = std::string("PATH=") + (getenv("PATH") ? getenv("PATH") : "");
    std::string env_home = std::string("HOME=") + (getenv("HOME") ? getenv("HOME") : "/");
    std::vector<char*> envp{env_path.data(), env_home.data(), nullptr};
    std::string arg0 = program, arg1 = "get";
    std::vector<char*> argv{arg0.data(), arg1.data(), nullptr};

    pid_t pid = fork();
    if (pid < 0) return errno_error("fork for credential helper '%s'", program.c_str());
    if (pid == 0)
        exec_helper(in_r.get(), out_w.get(), err_w.get(), path.c_str(), argv.data(), envp.data());
    setpgid(pid, pid);  // also here, so a kill(-pid) right away cannot miss the group
    in_r.reset();
    out_w.reset();
    err_w.reset();

    const int64_t deadline = now_ms() + limits.timeout_ms;
    auto kill_and_reap = [&] {
        kill(-pid, SIGKILL);
        kill(pid, SIGKILL);
        while (waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
        }
    };

    HelperRun res;
    struct pollfd fds[2] = {{out_r.get(), POLLIN, 0}, {err_r.get(), POLLIN, 0}};
    std::string* bufs[2] = {&res.out, &res.err};
    int open_fds = 2;
    while (open_fds > 0) {
        int64_t left = deadline - now_ms();
        int n = left > 0 ? poll(fds, 2, static_cast<int>(left)) : 0;
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            int e = errno;
            kill_and_reap();
            return errno_error_code(e, "waiting for credential helper '%s'", program.c_str());
        }
        if (n == 0) {
            kill_and_reap();
            return make_error(ETIMEDOUT, "credential helper '%s' did not finish within %d ms",
                              program.c_str(), limits.timeout_ms);
        }
        for (int i = 0; i < 2; ++i) {
            if (fds[i].fd < 0 || !fds[i].revents) continue;
            char buf[16384];
            ssize_t r = read(fds[i].fd, buf, sizeof buf);
            if (r < 0 && (errno == EINTR || errno == EAGAIN)) continue;
            if (r <= 0) {
                fds[i].fd = -1;
                --open_fds;
                continue;
            }
            if (bufs[i]->size() + static_cast<size_t>(r) > limits.output_cap) {
                kill_and_reap();
                return make_error(EFBIG, "credential helper '%s' printed more than %zu bytes",
                                  program.c_str(), limits.output_cap);
            }
            bufs[i]->append(buf, static_cast<size_t>(r));
        }
    }
    // Both pipes are closed; the helper should be gone or about to be. It may have handed its
    // pipes to nothing and kept running, so the deadline still applies.
    for (;;) {
        pid_t w = waitpid(pid, &res.status, WNOHANG);
        if (w == pid) return res;
        if (w < 0 && errno != EINTR)
            return errno_error("waiting for credential helper '%s'", program.c_str());
        if (now_ms() >= deadline) {
            kill_and_reap();
            return make_error(ETIMEDOUT, "credential helper '%s' did not finish within %d ms",
                              program.c_str(), limits.timeout_ms);
        }
        struct timespec ts = {0, 2 * 1000 * 1000};
        nanosleep(&ts, nullptr);
    }
}

}  // namespace

Result<std::optional<Credentials>> run_credential_helper(std::string_view name,
                                                         std::string_view server,
                                                         CredentialHelperLimits limits) {
    if (!valid_helper_name(name))
        return make_error(EINVAL, "invalid credential helper name '%s'", printable(name).c_str());
    const std::string program = "docker-credential-" + std::string(name);
    const std::string path = TRY(find_in_path(program));
    HelperRun r = TRY(run(program, path, server, limits));

    if (!WIFEXITED(r.status) || WEXITSTATUS(r.status) != 0) {
        // docker-credential-helpers report a missing entry on stdout with a failing exit.
        if (r.out.find("credentials not found") != std::string::npos)
            return std::optional<Credentials>();
        std::string why = std::string(trim(r.err.empty() ? r.out : r.err));
        if (WIFSIGNALED(r.status))
            return make_error(EIO, "credential helper '%s' was killed by signal %d",
                              program.c_str(), WTERMSIG(r.status));
        return make_error(EIO, "credential helper '%s' failed with exit status %d: %s",
                          program.c_str(), WEXITSTATUS(r.status), printable(why).c_str());
    }
    JsonPtr doc = TRY_WRAP(json_parse(r.out, "credential helper output"),
                           strf("credential helper '%s'", program.c_str()));
    auto user = TRY_WRAP(json_opt_string(doc.get(), "Username"),
                         strf("credential helper '%s'", program.c_str()));
    auto secret = TRY_WRAP(json_opt_string(doc.get(), "Secret"),
                           strf("credential helper '%s'", program.c_str()));
    if (!secret || secret->empty()) return std::optional<Credentials>();
    Credentials c;
    // "<token>" is the helpers' marker for an identity (refresh) token instead of a password.
    if (user && *user == "<token>") {
        c.identity_token = *secret;
    } else {
        c.username = user ? *user : "";
        c.password = *secret;
    }
    return std::optional<Credentials>(std::move(c));
}

}  // namespace ocipod
