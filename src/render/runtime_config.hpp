// config.json for a rendered bundle: the image config converted as image-spec conversion.md
// describes, on top of Linux defaults like a careful runtime's (runtime-spec config.md and
// config-linux.md):
//   - process.args = Entrypoint + Cmd (either replaceable), env = PATH (the usual default), HOME
//   (from
//     passwd) and, with a terminal, TERM=xterm unless the image sets them, then the image's Env,
//     then the caller's; cwd = WorkingDir or "/";
//   - process.user from User, names resolved in the image's own /etc/passwd and /etc/group
//     (see user_db.hpp), additionalGids from /etc/group membership; numeric ids range-checked;
//   - annotations: org.opencontainers.image.stopSignal, .exposedPorts (comma-separated), the
//     image's os/architecture/… fields, io.oci-pod.image.volumes, and every label; a label wins
//     over an implicit key (conversion.md "Annotations"), except labels runtimes act on
//     (run.oci.*, org.systemd.property.*, …) or ours (io.oci-pod.*), which are dropped and listed
//     in io.oci-pod.image.droppedLabels;
//   - namespaces pid, mount, uts, ipc, network, cgroup; mounts /proc, /dev (tmpfs), /dev/pts,
//     /dev/shm, /dev/mqueue, /sys (ro), /sys/fs/cgroup (ro); the default masked and readonly
//     paths; the 14 default capabilities in bounding/effective/permitted, inheritable and ambient
//     empty; noNewPrivileges; RLIMIT_NOFILE 1024:1024; root.path "rootfs".
// Pod options (oci-pod run) add to that: extra mounts after the defaults (bind mounts of host
// paths the caller chose, tmpfs), linux.resources memory/cpu/pids, capabilities added to or
// dropped from the default set, the host's network (no network namespace), and a stop signal
// that replaces the image's.
// ociVersion is runtime_spec_version. Image data never leaves the rootfs: WorkingDir and Volumes
// are container paths, cleaned and made absolute; nothing is resolved on the host.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "base/signal_names.hpp"
#include "oci/run_config.hpp"

namespace ocipod {

inline constexpr const char* runtime_spec_version = "1.0.2";

// An extra mount: a bind mount of a host path (source absolute, chosen by the user, never by the
// image) or a fresh tmpfs (source empty).
struct PodMount {
    std::string destination;  // absolute container path
    std::string source;       // bind: absolute host path; tmpfs: ""
    bool tmpfs = false;
    bool read_only = false;
};

struct PodResources {
    std::optional<int64_t> memory_bytes;  // linux.resources.memory.limit
    std::optional<uint64_t> cpu_millis;   // 1500 = 1.5 CPUs: cpu.quota/cpu.period
    std::optional<int64_t> pids_limit;    // linux.resources.pids.limit
};

struct RuntimeConfigOptions {
    std::optional<std::vector<std::string>> entrypoint;  // replaces the image's Entrypoint
    std::optional<std::vector<std::string>> cmd;         // replaces the image's Cmd
    std::vector<std::string> env;                        // "K=V", added last (override)
    std::optional<std::string> user;                     // replaces the image's User
    std::optional<std::string> working_dir;
    std::string hostname;  // "" = none set
    bool terminal = false;
    bool readonly_rootfs = false;
    bool seccomp = true;           // linux.seccomp: render/seccomp_profile.hpp's default filter
    std::vector<PodMount> mounts;  // after the default mounts, in this order
    PodResources resources;
    // Capability names ("CAP_NET_ADMIN", "net_admin") or "ALL"; drops apply first, then adds.
    std::vector<std::string> cap_add, cap_drop;
    bool host_network = false;  // no network namespace: the pod shares the host's
    std::string stop_signal;    // "" = the image's StopSignal
};

// A capability name as --cap-add takes it ("net_admin", "CAP_NET_ADMIN") in config.json's form
// ("CAP_NET_ADMIN"); nullopt when it names none.
std::optional<std::string> capability_name(std::string_view s);

// rootfs_dirfd: the rendered root, for /etc/passwd and /etc/group lookups. Returns the JSON text.
Result<std::string> make_runtime_config(const ImageRunConfig& image, int rootfs_dirfd,
                                        const RuntimeConfigOptions& options);

}  // namespace ocipod
