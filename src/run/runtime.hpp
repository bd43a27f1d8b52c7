// oci-pod's OCI runtime (runtime-spec runtime.md): create / start / state / kill / delete on a
// bundle, plus run (create + start + wait). Used by oci-pod-runner (the OCI command line) and by
// the oci-pod CLI in-process. Container state lives in STATE_ROOT/ID/ (default
// /run/oci-pod/runtime, directories 0700): state.json, a lock, the exec fifo.
//
// Process model: the runner clones the pod's init into new namespaces; the init immediately
// re-executes a sealed memfd copy of the runner (exe_seal.hpp), so the host binary is never any
// pod process's /proc/self/exe, and talks to the runner over a socketpair (typed messages). It
// builds the root file system, then waits; `start` releases it; it becomes the stub init
// (stub_init.hpp) and forks the application, which drops privileges, loads seccomp last and
// execs. systemd placement and machined registration happen while the init is still blocked.
#pragma once

#include <sys/types.h>

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/result.hpp"

namespace ocipod {

struct RuntimeOptions {
    std::string state_root = "/run/oci-pod/runtime";
};

struct CreateRequest {
    std::string id;      // [A-Za-z0-9_.-], 1..64, also the machine name unless machine_name is set
    std::string bundle;  // bundle directory (made absolute)
    std::string pid_file;          // written with the init's pid once created
    std::string console_socket;    // process.terminal: the pty master goes there
    std::string machine_name;      // "" = id
    bool register_machine = true;  // with machined, when systemd is PID 1
    // runc's --preserve-fds: fds 3 .. 3+N-1 of the caller pass into the application at the same
    // numbers (socket activation's LISTEN_FDS); every other fd is closed as always. When the
    // application's env has LISTEN_FDS, its LISTEN_PID is set to the application's own pid.
    int preserve_fds = 0;
};

struct RunRequest : CreateRequest {
    std::string status_file;  // {"exitCode":N,"signal":"SIGTERM"|null,"finishedAt":"RFC3339"}
                              // written atomically when the pod ends
    std::optional<int> stop_signal;  // default: annotation org.opencontainers.image.stopSignal,
                                     // else SIGTERM
    int stop_timeout_sec = 10;       // SIGKILL this long after the stop signal
    // A socket the application's sd_notify messages arrive on (notify_relay.hpp): they are
    // relayed, and the runner sends no READY=1 of its own. -1: the runner is READY=1 once the
    // application runs (under a Type=notify unit).
    int notify_fd = -1;
    // SIGHUP to the runner is passed to the pod (a reload, as `systemctl kill --signal=HUP` of a
    // pod file's service means it) instead of stopping it (a terminal that went away).
    bool forward_hangup = false;
    // process.terminal without console_socket: the runner's stdin/stdout are proxied to the pty.
};

// runtime-spec "State": status creating|created|running|stopped.
struct ContainerState {
    std::string oci_version;
    std::string id;
    std::string status;
    pid_t pid = 0;
    std::string bundle;
    std::map<std::string, std::string> annotations;
    std::string created;  // RFC 3339
    std::string machine;  // registered machine name, "" when none
    std::string unit;     // its systemd unit, "" when none
};
std::string container_state_json(const ContainerState& state);

// Warnings: what does not fail the operation but must be told (a failed poststart or poststop
// hook, runtime-spec config.md, limits nothing enforces), one line each without a trailing
// newline, handed to report as they happen: a pod that runs for days shows them at its start,
// not when it ends. Dropped when the pointer is null.
struct Warnings {
    std::function<void(const std::string&)> report;
    void add(const std::string& line) const {
        if (report) report(line);
    }
};

Status runtime_create(const RuntimeOptions& options, const CreateRequest& request,
                      const Warnings* warnings = nullptr);
Status runtime_start(const RuntimeOptions& options, const std::string& id,
                     const Warnings* warnings = nullptr);
Result<ContainerState> runtime_state(const RuntimeOptions& options, const std::string& id);
Status runtime_kill(const RuntimeOptions& options, const std::string& id, int signal);
Status runtime_delete(const RuntimeOptions& options, const std::string& id, bool force,
                      const Warnings* warnings = nullptr);
// Exit status of the application: its code, or 128+N for signal N; 125 and an Error when the
// pod could not be created. Signals the runner itself receives (SIGTERM, SIGINT, SIGHUP) stop
// the pod: stop signal, then SIGKILL after stop_timeout_sec.
Result<int> runtime_run(const RuntimeOptions& options, const RunRequest& request,
                        const Warnings* warnings = nullptr);

// Every executable that can create pods calls this first thing in main(): when argv says this
// process is a pod's init (re-executed from the sealed memfd), it runs the init and never
// returns; otherwise it returns and main goes on.
void maybe_run_pod_init(int argc, char** argv);

}  // namespace ocipod
