// What the pod commands share: the pod's directories and runtime options for a store, running a
// pod from its record (the foreground `run`, a detached pod's service or monitor), removing a
// pod, and a pod's current state as `ps` and `status` show it.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

#include "base/result.hpp"
#include "cli/options.hpp"
#include "oci/runtime_spec.hpp"
#include "run/runtime.hpp"
#include "store/pods.hpp"

namespace ocipod {

RuntimeOptions pod_runtime_options(const PodDirs& dirs);

// The config.json rendered into the pod's bundle (capped at 4 MiB), parsed.
Result<RuntimeSpec> read_pod_spec(const PodDirs& dirs, const std::string& name);

// What a foreground pod takes from its caller besides its record: the fds of socket activation
// (RunRequest::preserve_fds) and the socket of the application's sd_notify messages
// (RunRequest::notify_fd).
struct PodPassthrough {
    int preserve_fds = 0;
    int notify_fd = -1;
    bool forward_hangup = false;  // RunRequest::forward_hangup
};

// Run the pod (the caller holds its lock): runtime_run with the record's stop signal and
// timeout; exit.json is written when it ends (also when it could not start: exit code 125 and
// the error). Returns the application's exit status; logs a failure once.
int run_pod_locked(const PodDirs& dirs, const PodRecord& record,
                   const PodPassthrough& passthrough = {});

// The bundle (remove_bundle unmounts its rootfs), the runtime's state, the pod's directories.
// The caller holds the pod's lock or knows it is not running.
Status remove_pod(const PodDirs& dirs, const std::string& name);

struct PodView {
    PodRecord record;
    std::string state;  // "creating", "created", "running", "exited", "stopping"
    bool running = false;
    pid_t pid = 0;         // the pod's init, 0 when not running
    pid_t runner_pid = 0;  // the process holding the pod's lock
    int64_t started = 0;   // when the runner took the lock (epoch seconds)
    std::string machine, unit;
    std::optional<PodExit> exit;
};
Result<PodView> view_pod(const PodDirs& dirs, const std::string& name);

// Wait until NAME's lock is free, at most timeout_ms (negative: forever). True when free.
bool wait_pod_ended(const PodDirs& dirs, const std::string& name, int timeout_ms);

}  // namespace ocipod
