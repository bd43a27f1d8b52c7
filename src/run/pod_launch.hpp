// The part of `create` and `run` they share (runtime-spec runtime.md "create"): from a bundle to
// an init that waits for start, with its state directory, its systemd placement and its
// registration, and the prestart/createRuntime hooks run. A launch that does not finish leaves
// nothing behind: its destructor kills the init, unregisters the machine and removes the state
// directory, unless the caller took ownership with keep().
#pragma once

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "base/unique_fd.hpp"
#include "oci/runtime_spec.hpp"
#include "run/container_state.hpp"
#include "run/machine_registration.hpp"
#include "run/pod_init.hpp"
#include "run/pod_spawn.hpp"
#include "run/runtime.hpp"
#include "run/sync_channel.hpp"

namespace ocipod {

struct PodLaunch {
    std::optional<StateDir> dir;
    RuntimeSpec spec;
    StoredState stored;
    SpawnedInit init;
    SyncChannel channel;
    MachineRegistration machine;
    UniqueFd console_master;  // run without --console-socket: the pty master to proxy
    bool device_cgroup =
        false;  // the pod has /sys/fs/cgroup/devices/oci-pod/ID (device_cgroup.hpp)
    bool kept = false;

    PodLaunch() = default;
    PodLaunch(const PodLaunch&) = delete;
    PodLaunch& operator=(const PodLaunch&) = delete;
    ~PodLaunch();

    void keep() { kept = true; }
    // Kill the init (SIGKILL) and wait for it; unregister; remove the devices cgroup and the
    // state directory.
    void abandon();
    // The public state with this status, as hooks get it on stdin.
    std::string state_json(const char* status) const;
};

// config.json of the bundle read (capped at 4 MiB) and parsed, and what this runner cannot do
// refused naming the field.
Result<RuntimeSpec> load_bundle_spec(const std::string& bundle, std::string& config_bytes,
                                     StartBy start_by, bool has_console_socket);

// Everything up to "created" (state.json written, status created, pid file written).
Result<std::unique_ptr<PodLaunch>> launch_pod(const RuntimeOptions& options,
                                              const CreateRequest& request, StartBy start_by,
                                              const Warnings* warnings = nullptr);

// A small file the caller asked for (--pid-file, --status-file), replaced atomically; a relative
// path is taken from the current directory.
Status write_file_at_path(const std::string& path, std::string_view data, const char* what);

// pidfd_open on pid, checked to still be the process that started at start_time.
Result<UniqueFd> open_verified_pidfd(pid_t pid, uint64_t start_time);

// poststart and poststop hooks (runtime-spec config.md): a failure is a warning and the
// remaining hooks still run. Each failure is appended to warnings (when not null) as
// "poststart hook '/x' exited with status 1, ignoring."
void run_hooks_warning(const std::vector<SpecHook>& hooks, const std::string& state_json,
                       const char* phase, const Warnings* warnings);

}  // namespace ocipod
