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
// ociVersion is runtime_spec_version. Image data never leaves the rootfs: WorkingDir and Volumes
// are container paths, cleaned and made absolute; nothing is resolved on the host.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "oci/run_config.hpp"

namespace ocipod {

inline constexpr const char* runtime_spec_version = "1.0.2";

struct RuntimeConfigOptions {
    std::optional<std::vector<std::string>> entrypoint;  // replaces the image's Entrypoint
    std::optional<std::vector<std::string>> cmd;         // replaces the image's Cmd
    std::vector<std::string> env;                        // "K=V", added last (override)
    std::optional<std::string> user;                     // replaces the image's User
    std::optional<std::string> working_dir;
    std::string hostname;  // "" = none set
    bool terminal = false;
    bool readonly_rootfs = false;
};

// rootfs_dirfd: the rendered root, for /etc/passwd and /etc/group lookups. Returns the JSON text.
Result<std::string> make_runtime_config(const ImageRunConfig& image, int rootfs_dirfd,
                                        const RuntimeConfigOptions& options);

}  // namespace ocipod
