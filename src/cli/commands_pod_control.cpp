// oci-pod stop, kill and rm. Stopping goes through whoever supervises the pod: systemd for a pod
// in its own unit (StopUnit: the unit's runner gets SIGTERM and stops the pod), else, and for
// `stop -t`, the runner itself (SIGTERM: runtime_run sends the pod's stop signal, then SIGKILL
// after its timeout; -t shorter than that: SIGKILL from here). The command waits until the runner
// has let go of the pod's lock.
#include <signal.h>

#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "base/log.hpp"
#include "cli/commands.hpp"
#include "cli/pod_runner.hpp"
#include "run/machine_registration.hpp"
#include "run/transient_service.hpp"

namespace ocipod {

namespace {

// After SIGKILL the runner still reaps the pod, unmounts and unregisters: a generous bound on
// that, so a wedged runner is reported instead of waited on forever.
constexpr int cleanup_grace_ms = 30000;

int fail(const Error& e) {
    log_error("%s", e.message.c_str());
    return exit_failure;
}

Status stop_pod(const PodDirs& dirs, const PodView& v, std::optional<int> timeout) {
    const std::string& name = v.record.name;
    int wait_s = timeout.value_or(v.record.stop_timeout_sec);
    // StopUnit waits for the runner's own timeout (the record's --stop-timeout): with -t the
    // runner is signalled here instead, so that -t is what bounds the wait before SIGKILL. The
    // runner is the unit's main process; when it exits the unit ends with it.
    bool via_unit = !v.record.unit.empty() &&
                    detect_systemd_placement() != SystemdPlacement::none &&
                    (!timeout || v.runner_pid <= 0);
    if (via_unit) {
        Status s = stop_unit(v.record.unit);
        if (!s && s.error().code != ENOENT)
            return s.error().wrap(strf("stopping pod '%s'", name.c_str()));
    } else {
        if (v.runner_pid <= 0)
            return make_error(ESRCH, "pod '%s' is running but its runner is unknown", name.c_str());
        if (kill(v.runner_pid, SIGTERM) != 0 && errno != ESRCH)
            return errno_error("stopping pod '%s'", name.c_str());
    }
    if (wait_pod_ended(dirs, name, wait_s * 1000)) return {};
    // -t shorter than the runner's own timeout, or a runner slow to escalate: SIGKILL the pod.
    Status k = runtime_kill(pod_runtime_options(dirs), name, SIGKILL);
    if (!k && k.error().code != ENOENT && k.error().code != ESRCH)
        log_warning("killing pod '%s': %s", name.c_str(), k.error().message.c_str());
    if (!wait_pod_ended(dirs, name, cleanup_grace_ms))
        return make_error(ETIMEDOUT, "pod '%s' did not stop", name.c_str());
    return {};
}

// As podman's stop, kill and rm: one runs for every name given; each failure is one error line,
// and the exit status says whether any failed.
int for_each_pod(const PodArgs& args, const std::function<Status(const std::string&)>& one) {
    int status = 0;
    std::vector<std::string> names = {args.name};
    names.insert(names.end(), args.more_names.begin(), args.more_names.end());
    for (const std::string& name : names)
        if (Status s = one(name); !s) status = fail(s.error());
    return status;
}

// One pod of `rm`: stopped first with -f, then removed under its lock.
Status remove_one_pod(const PodDirs& dirs, const std::string& name, bool force) {
    PodView v = TRY(view_pod(dirs, name));
    if (v.running) {
        if (!force)
            return make_error(EBUSY,
                              "pod '%s' is running; stop it first or use 'oci-pod rm -f', "
                              "refusing",
                              name.c_str());
        TRY(stop_pod(dirs, v, std::nullopt));
    }
    // Holding the lock while removing: a concurrent `__run-pod` of this name cannot start.
    PodLock lock = TRY(lock_pod(dirs, name));
    return remove_pod(dirs, name);
}

}  // namespace

int cmd_stop(const GlobalOptions& global, const PodArgs& args) {
    PodDirs dirs(global.root);
    return for_each_pod(args, [&](const std::string& name) -> Status {
        PodView v = TRY(view_pod(dirs, name));
        if (!v.running) return {};  // already ended: nothing to do, as podman
        return stop_pod(dirs, v, args.timeout);
    });
}

int cmd_kill(const GlobalOptions& global, const PodArgs& args) {
    PodDirs dirs(global.root);
    int sig = args.signal.empty() ? SIGKILL : signal_number(args.signal).value_or(SIGKILL);
    return for_each_pod(args, [&](const std::string& name) -> Status {
        PodView v = TRY(view_pod(dirs, name));
        if (!v.running || v.pid <= 0)
            return make_error(ESRCH, "pod '%s' is not running", name.c_str());
        return runtime_kill(pod_runtime_options(dirs), name, sig)
            .wrap(strf("pod '%s'", name.c_str()));
    });
}

int cmd_rm(const GlobalOptions& global, const PodArgs& args) {
    PodDirs dirs(global.root);
    return for_each_pod(
        args, [&](const std::string& name) { return remove_one_pod(dirs, name, args.force); });
}

}  // namespace ocipod
