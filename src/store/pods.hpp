// Pod records: what `oci-pod run` created, kept until `oci-pod rm` (DESIGN.md §3).
//
//   ROOT/pods/NAME/            mode 0700, made with mkdir (the name is taken atomically)
//     pod.json                 the record (PodRecord), rewritten whole (temp + fsync + rename)
//     bundle/                  the rendered bundle (config.json, rootfs overlay, its upper dir)
//     exit.json                how the pod ended: {"exitCode":N,"signal":S|null,"finishedAt":T}
//     log                      stdout and stderr of a pod run detached without systemd
//   RUN/pods/NAME/lock         OFD lock held, exclusive, by the process that runs the pod for as
//                              long as it runs; the file holds that process's pid, and its mtime
//                              is when it started. A lock nobody holds is a stale pod: exited.
//
// RUN is /run/oci-pod for the default ROOT (/var/lib/oci-pod), else ROOT/run, so that pods of
// two stores never share locks. The lock lives on a tmpfs so that a reboot leaves no running pod.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/fs.hpp"
#include "base/result.hpp"
#include "base/unique_fd.hpp"

namespace ocipod {

struct PodRecord {
    std::string name;
    std::string image;                 // the stored ref name ("docker.io/library/busybox:latest")
    std::string image_digest;          // the manifest digest
    std::string created;               // RFC 3339, UTC
    std::vector<std::string> command;  // process.args as rendered, for listings
    bool remove = false;               // --rm: removed when it ends
    bool detach = false;               // -d
    bool terminal = false;             // -t
    std::string unit;                  // transient service running it, "" when none
    std::optional<int> stop_signal;    // --stop-signal (else the bundle's annotation)
    int stop_timeout_sec = 10;
};

struct PodExit {
    int exit_code = 0;
    std::string signal;  // "SIGTERM" when a signal ended it, else ""
    std::string finished_at;
    std::string error;  // why the pod could not start, "" when it ran
};

// Where pods of one store live.
class PodDirs {
public:
    explicit PodDirs(std::string root);
    const std::string& root() const { return root_; }
    std::string run_root() const;      // /run/oci-pod or ROOT/run
    std::string runtime_root() const;  // RUN/runtime: the runtime's state (runtime.hpp)
    std::string pod_dir(const std::string& name) const;        // ROOT/pods/NAME
    std::string bundle_dir(const std::string& name) const;     // ROOT/pods/NAME/bundle
    std::string exit_file(const std::string& name) const;      // ROOT/pods/NAME/exit.json
    std::string log_file(const std::string& name) const;       // ROOT/pods/NAME/log
    std::string lock_file(const std::string& name) const;      // RUN/pods/NAME/lock
    std::string notify_socket(const std::string& name) const;  // RUN/pods/NAME/notify

private:
    std::string root_;
};

// Pod names are machine names (machined's rules: hostname characters [A-Za-z0-9.-_], 1..64, no
// leading '-' or '.', no trailing '.', no ".."): EINVAL naming the name otherwise.
Status check_pod_name(const std::string& name);

// The running pod's lock. Destroying it releases the lock (the pod counts as not running).
class PodLock {
public:
    PodLock() = default;
    explicit PodLock(UniqueFd fd) : fd_(std::move(fd)) {}
    int fd() const { return fd_.get(); }
    explicit operator bool() const { return bool(fd_); }
    // Record pid as the runner's (written into the lock file).
    Status set_pid(pid_t pid);

private:
    UniqueFd fd_;
};

// Take NAME's lock without waiting; EBUSY "pod 'NAME' is already running, refusing" when held.
Result<PodLock> lock_pod(const PodDirs& dirs, const std::string& name);

struct PodRunner {
    bool running = false;
    pid_t pid = 0;        // the process holding the lock (from the lock file), 0 when unknown
    int64_t started = 0;  // epoch seconds the lock was taken
};
// Whether NAME's lock is held right now (F_OFD_GETLK), and by whom.
PodRunner pod_runner(const PodDirs& dirs, const std::string& name);

// Make ROOT/pods/NAME and write pod.json. EEXIST "pod 'NAME' exists; remove it with 'oci-pod rm
// NAME'" when the name is taken. On failure nothing is left.
Status create_pod(const PodDirs& dirs, const PodRecord& record);
// Rewrite pod.json (the record must exist).
Status update_pod(const PodDirs& dirs, const PodRecord& record);
// ENOENT "no pod 'NAME'" when it does not exist.
Result<PodRecord> read_pod(const PodDirs& dirs, const std::string& name);
// The names under ROOT/pods, sorted; a missing pods/ is an empty list.
Result<std::vector<std::string>> list_pods(const PodDirs& dirs);
// Remove ROOT/pods/NAME and RUN/pods/NAME. The caller removes the bundle first (remove_bundle
// unmounts its rootfs) and holds the pod's lock.
Status remove_pod_dirs(const PodDirs& dirs, const std::string& name);

// exit.json: nullopt when absent (the pod has not ended, or never ran).
Result<std::optional<PodExit>> read_pod_exit(const PodDirs& dirs, const std::string& name);
// Durable unless the pod is removed when it ends.
Status write_pod_exit(const PodDirs& dirs, const std::string& name, const PodExit& exit,
                      Sync sync = Sync::durable);
Status clear_pod_exit(const PodDirs& dirs, const std::string& name);
Result<PodExit> parse_pod_exit(std::string_view json);
// pod.json's text, and its strict reading.
std::string pod_record_json(const PodRecord& record);
Result<PodRecord> parse_pod_record(std::string_view json);

}  // namespace ocipod
