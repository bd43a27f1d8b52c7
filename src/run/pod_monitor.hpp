// `run`'s wait for its pod (runtime.hpp runtime_run): the runner stays the pod's parent and
// monitor. SIGTERM, SIGINT and SIGHUP to the runner stop the pod: its stop signal to the init
// (which the stub init forwards to the application), then SIGKILL once stop_timeout_sec have
// passed. With a pty master and no console socket, the runner's stdin/stdout are proxied to it
// meanwhile.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include "base/result.hpp"
#include "base/unique_fd.hpp"

namespace ocipod {

// The signals the monitor turns into a stop: blocked by the caller before the pod is created,
// so that one arriving during setup is handled (by ending the setup) instead of killing the
// runner mid-way.
sigset_t stop_request_signals();

struct MonitorRequest {
    pid_t pid = 0;
    int pidfd = -1;
    int stop_signal = SIGTERM;
    int stop_timeout_sec = 10;
    int console_master = -1;      // -1: no terminal to proxy
    int notify_fd = -1;           // the pod's sd_notify socket (notify_relay.hpp), -1: none
    bool forward_hangup = false;  // SIGHUP goes to the init as it is, not as a stop
};

// Waits for the init to exit; its status as the shell would report it (code, or 128+N).
Result<int> monitor_pod(const MonitorRequest& request);

}  // namespace ocipod
