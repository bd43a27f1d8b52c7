// A container's state on disk (runtime-spec runtime.md "State"): STATE_ROOT/ID/ (0700) holds
// state.json, replaced whole (temp + rename) so a reader never sees half of it, a copy of the
// config the container was created from (its hooks outlive the bundle), and the exec fifo.
// Operations on one container serialise on an flock of its directory.
//
// Liveness: the recorded init pid alone could name another process once the init is gone, so the
// init's start time (/proc/PID/stat field 22, in clock ticks since boot) is recorded with it; a pid
// that is gone, a zombie, or started at another time means "stopped".
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.hpp"
#include "base/unique_fd.hpp"
#include "run/runtime.hpp"

namespace ocipod {

// [A-Za-z0-9_.-], 1..64 characters, not starting with '.' (so never "." or "..").
bool is_valid_container_id(std::string_view id);

// What state.json holds: the public state plus what the runner needs to check it.
struct StoredState {
    ContainerState state;  // status as last written: creating, created or running
    uint64_t init_start_time = 0;
};
std::string stored_state_json(const StoredState& stored);
Result<StoredState> parse_stored_state(std::string_view json);

// Start time of a process in clock ticks since boot; ENOENT when it does not exist (or is a
// zombie: it has exited, only its status is left).
Result<uint64_t> process_start_time(pid_t pid);
// The process pid exists, is not a zombie, and started at start_time.
bool process_matches(pid_t pid, uint64_t start_time);

// The status to report: the stored one while the init lives, "stopped" once it is gone or its
// pid names another process.
std::string effective_status(const StoredState& stored);

// The public state as it reads with this status: what hooks get on stdin.
std::string state_json_as(const StoredState& stored, const char* status);

// Now in RFC 3339 with nanoseconds, UTC ("2026-11-27T14:45:59.123456789Z").
std::string rfc3339_now();

class StateDir {
public:
    // Makes STATE_ROOT (and its parents, 0700) and STATE_ROOT/ID (0700); an existing ID is an
    // EEXIST refusal naming it. The new directory is locked.
    static Result<StateDir> create(const std::string& state_root, const std::string& id);
    // Opens and locks an existing container's directory; ENOENT "container 'ID' does not exist".
    static Result<StateDir> open(const std::string& state_root, const std::string& id);

    int fd() const { return dir_.get(); }
    const std::string& path() const { return path_; }
    const std::string& id() const { return id_; }

    // create and open return the directory locked; run lets go of it while the pod runs, so
    // state, kill and delete can reach the pod, and takes it again to tear down.
    void unlock() const;
    Status lock() const;

    Status commit(const StoredState& stored) const;
    Result<StoredState> load() const;
    // The directory and everything in it; the object is unusable afterwards.
    Status remove();

private:
    StateDir(UniqueFd root, UniqueFd dir, std::string path, std::string id)
        : root_(std::move(root)),
          dir_(std::move(dir)),
          path_(std::move(path)),
          id_(std::move(id)) {}
    UniqueFd root_;
    UniqueFd dir_;
    std::string path_;
    std::string id_;
};

constexpr const char* state_file_name = "state.json";
constexpr const char* config_copy_name = "config.json";
constexpr const char* exec_fifo_name = "exec.fifo";

}  // namespace ocipod
