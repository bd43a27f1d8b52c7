#include "run/runtime.hpp"

#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include "base/fs.hpp"
#include "base/signal_names.hpp"
#include "c/json.hpp"
#include "run/pod_init.hpp"
#include "run/pod_launch.hpp"
#include "run/pod_monitor.hpp"

namespace ocipod {

namespace {

constexpr const char* stop_signal_annotation = "org.opencontainers.image.stopSignal";

Status write_status_file(const std::string& path, int status) {
    JsonPtr obj(json_object());
    json_object_set_new(obj.get(), "exitCode", json_integer(status));
    const char* abbrev = status > 128 && status < 128 + NSIG ? sigabbrev_np(status - 128) : nullptr;
    json_object_set_new(obj.get(), "signal",
                        abbrev ? json_string(strf("SIG%s", abbrev).c_str()) : json_null());
    json_object_set_new(obj.get(), "finishedAt", json_string(rfc3339_now().c_str()));
    return write_file_at_path(path, json_dump(obj.get()) + "\n", "status file");
}

// Blocks the stop-request signals for the whole run (restored on scope exit), so one that
// arrives while the pod is being set up ends in an orderly teardown.
class BlockedSignals {
public:
    BlockedSignals() {
        sigset_t set = stop_request_signals();
        sigprocmask(SIG_BLOCK, &set, &saved_);
    }
    ~BlockedSignals() { sigprocmask(SIG_SETMASK, &saved_, nullptr); }

private:
    sigset_t saved_;
};

// After the pod: poststop hooks (failures only warnings, runtime-spec config.md), the machine
// unregistered, the state directory removed.
void finish_pod(PodLaunch& l, const Warnings* warnings) {
    (void)l.dir->lock();
    run_hooks_warning(l.spec.hooks.poststop, l.state_json("stopped"), "poststop", warnings);
    l.init.pid = 0;  // reaped by the monitor
    l.abandon();
}

}  // namespace

Status runtime_create(const RuntimeOptions& options, const CreateRequest& request,
                      const Warnings* warnings) {
    auto launch = TRY(launch_pod(options, request, StartBy::exec_fifo, warnings));
    launch->keep();
    return {};
}

Result<int> runtime_run(const RuntimeOptions& options, const RunRequest& request,
                        const Warnings* warnings) {
    BlockedSignals blocked;
    auto l = TRY(launch_pod(options, request, StartBy::channel, warnings));

    int stop_signal = SIGTERM;
    if (request.stop_signal) {
        stop_signal = *request.stop_signal;
    } else if (auto a = l->spec.annotations.find(stop_signal_annotation);
               a != l->spec.annotations.end()) {
        auto sig = signal_number(a->second);
        if (!sig)
            return make_error(EINVAL, "annotation '%s' has an unknown signal '%s', refusing",
                              stop_signal_annotation, printable(a->second).c_str());
        stop_signal = *sig;
    }

    TRY(l->channel.send(SyncType::start));
    l->channel.close();
    l->stored.state.status = "running";
    TRY(l->dir->commit(l->stored));
    l->dir->unlock();
    run_hooks_warning(l->spec.hooks.poststart, l->state_json("running"), "poststart", warnings);
    // Under a Type=notify unit the runner itself stays the main process (MAINPID unchanged).
    if (getenv("NOTIFY_SOCKET") && request.notify_fd < 0) sd_notify(0, "READY=1");

    MonitorRequest m;
    m.pid = l->init.pid;
    m.pidfd = l->init.pidfd.get();
    m.stop_signal = stop_signal;
    m.stop_timeout_sec = request.stop_timeout_sec;
    m.console_master = l->console_master ? l->console_master.get() : -1;
    m.notify_fd = request.notify_fd;
    m.forward_hangup = request.forward_hangup;
    auto status = monitor_pod(m);
    if (!status) return std::move(status).error();
    finish_pod(*l, warnings);
    if (!request.status_file.empty()) TRY(write_status_file(request.status_file, *status));
    return *status;
}

void maybe_run_pod_init(int argc, char** argv) {
    if (argc != 2 || std::strcmp(argv[0], pod_init_argv0) != 0) return;
    auto fd = parse_u64(argv[1]);
    if (!fd || *fd < 3 || *fd > 65535) return;
    // Only a process started by the runner has its sync channel there: a seqpacket socket.
    struct stat st {};
    if (fstat(int(*fd), &st) < 0 || !S_ISSOCK(st.st_mode)) return;
    run_pod_init(int(*fd));
}

}  // namespace ocipod
