#include "cli/pod_runner.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <vector>

#include "base/fs.hpp"
#include "base/log.hpp"
#include "render/render.hpp"

namespace ocipod {

namespace {

constexpr size_t max_runtime_config_bytes = 4 << 20;

void ignore_signal(int) {}

// The runner shares the pod's unit or scope, so `machinectl kill` and `systemctl kill` (all
// processes by default) deliver the application's signals to it as well: one whose default action
// ends a process would end the runner, which takes the pod's init with it and leaves no exit
// record. A handler that does nothing (not SIG_IGN, which the pod's processes would inherit
// through exec) keeps the runner alive; the stop signals (SIGTERM, SIGINT, SIGHUP) stay the
// runtime's, which turns them into an orderly stop.
class RunnerSignals {
public:
    RunnerSignals() {
        struct sigaction sa = {};
        sa.sa_handler = ignore_signal;
        sa.sa_flags = SA_RESTART;
        sigemptyset(&sa.sa_mask);
        for (int sig : signals()) sigaction(sig, &sa, &saved_[sig]);
    }
    ~RunnerSignals() {
        for (int sig : signals()) sigaction(sig, &saved_[sig], nullptr);
    }
    RunnerSignals(const RunnerSignals&) = delete;
    RunnerSignals& operator=(const RunnerSignals&) = delete;

private:
    static std::vector<int> signals() {
        std::vector<int> v = {SIGQUIT,   SIGUSR1, SIGUSR2, SIGPIPE, SIGALRM,
                              SIGSTKFLT, SIGIO,   SIGPROF, SIGPWR,  SIGVTALRM};
        for (int sig = SIGRTMIN; sig <= SIGRTMAX; ++sig) v.push_back(sig);
        return v;
    }
    struct sigaction saved_[NSIG] = {};
};

}  // namespace

RuntimeOptions pod_runtime_options(const PodDirs& dirs) {
    RuntimeOptions o;
    o.state_root = dirs.runtime_root();
    return o;
}

Result<RuntimeSpec> read_pod_spec(const PodDirs& dirs, const std::string& name) {
    std::string text = TRY(read_file_capped(AT_FDCWD, dirs.bundle_dir(name) + "/config.json",
                                            max_runtime_config_bytes));
    return parse_runtime_spec(text);
}

int run_pod_locked(const PodDirs& dirs, const PodRecord& record,
                   const PodPassthrough& passthrough) {
    RuntimeOptions options = pod_runtime_options(dirs);
    const std::string& name = record.name;
    // A runtime state left by a runner that died (the lock says nobody runs the pod now).
    (void)runtime_delete(options, name, true);
    if (Status s = clear_pod_exit(dirs, name); !s) {
        log_error("%s", s.error().message.c_str());
        return 125;
    }
    RunRequest request;
    request.id = name;
    request.bundle = dirs.bundle_dir(name);
    request.status_file = dirs.exit_file(name);
    request.stop_signal = record.stop_signal;
    request.stop_timeout_sec = record.stop_timeout_sec;
    request.preserve_fds = passthrough.preserve_fds;
    request.notify_fd = passthrough.notify_fd;
    request.forward_hangup = passthrough.forward_hangup;
    RunnerSignals runner_signals;
    Warnings warnings{
        [&name](const std::string& w) { log_warning("pod '%s': %s", name.c_str(), w.c_str()); }};
    auto status = runtime_run(options, request, &warnings);
    (void)runtime_delete(options, name, true);
    const Sync exit_sync = record.remove ? Sync::atomic_only : Sync::durable;
    if (!status) {
        log_error("pod '%s': %s", name.c_str(), status.error().message.c_str());
        PodExit e;
        e.exit_code = 125;
        e.finished_at = now_rfc3339();
        e.error = status.error().message;
        (void)write_pod_exit(dirs, name, e, exit_sync);
        return 125;
    }
    // The runtime writes exit.json; one that did not (it failed before the pod ran) still ends
    // with a record.
    auto recorded = read_pod_exit(dirs, name);
    if (!recorded || !*recorded) {
        PodExit e;
        e.exit_code = *status;
        e.finished_at = now_rfc3339();
        if (*status > 128 && *status < 128 + 65) {
            const char* abbrev = sigabbrev_np(*status - 128);
            if (abbrev) e.signal = std::string("SIG") + abbrev;
        }
        (void)write_pod_exit(dirs, name, e, exit_sync);
    }
    return *status;
}

Status remove_pod(const PodDirs& dirs, const std::string& name) {
    std::string bundle = dirs.bundle_dir(name);
    struct stat st;
    if (lstat(bundle.c_str(), &st) == 0) {
        // A bundle whose render failed half-way has no bundle.json: remove_bundle refuses it,
        // and then the directory (still ours: it is inside the pod's) goes with the rest.
        if (Status s = remove_bundle(bundle); !s && s.error().code != ENOENT) {
            struct stat meta;
            if (lstat((bundle + "/.oci-pod/bundle.json").c_str(), &meta) == 0)
                return s.error().wrap(strf("removing pod '%s'", name.c_str()));
        }
    }
    (void)runtime_delete(pod_runtime_options(dirs), name, true);
    return remove_pod_dirs(dirs, name);
}

Result<PodView> view_pod(const PodDirs& dirs, const std::string& name) {
    PodView v;
    v.record = TRY(read_pod(dirs, name));
    PodRunner runner = pod_runner(dirs, name);
    v.running = runner.running;
    v.runner_pid = runner.pid;
    v.started = runner.started;
    v.unit = v.record.unit;
    if (runner.running) {
        auto state = runtime_state(pod_runtime_options(dirs), name);
        if (state) {
            v.state = state->status == "stopped" ? "stopping" : state->status;
            v.pid = state->pid;
            v.machine = state->machine;
            if (!state->unit.empty()) v.unit = state->unit;
        } else {
            v.state = "creating";
        }
    } else {
        v.exit = TRY(read_pod_exit(dirs, name));
        v.state = v.exit ? "exited" : "created";
    }
    return v;
}

bool wait_pod_ended(const PodDirs& dirs, const std::string& name, int timeout_ms) {
    timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        if (!pod_runner(dirs, name).running) return true;
        timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        int64_t elapsed =
            (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
        if (timeout_ms >= 0 && elapsed >= timeout_ms) return false;
        poll(nullptr, 0, 50);
    }
}

}  // namespace ocipod
