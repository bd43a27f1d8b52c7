#include "run/container_state.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>

#include <cstdlib>

#include "base/fs.hpp"
#include "c/json.hpp"

namespace ocipod {

namespace {

// The public runtime-spec state, plus our extras when known; stored adds the start time.
JsonPtr state_object(const ContainerState& state) {
    JsonPtr obj(json_object());
    json_object_set_new(obj.get(), "ociVersion", json_string(state.oci_version.c_str()));
    json_object_set_new(obj.get(), "id", json_string(state.id.c_str()));
    json_object_set_new(obj.get(), "status", json_string(state.status.c_str()));
    // runtime-spec: pid is REQUIRED when created or running, and meaningless when stopped.
    if (state.pid > 0 && state.status != "stopped")
        json_object_set_new(obj.get(), "pid", json_integer(state.pid));
    json_object_set_new(obj.get(), "bundle", json_string(state.bundle.c_str()));
    json_object_set_new(obj.get(), "annotations",
                        json_from_string_map(state.annotations).release());
    if (!state.created.empty())
        json_object_set_new(obj.get(), "created", json_string(state.created.c_str()));
    if (!state.machine.empty())
        json_object_set_new(obj.get(), "machine", json_string(state.machine.c_str()));
    if (!state.unit.empty())
        json_object_set_new(obj.get(), "unit", json_string(state.unit.c_str()));
    return obj;
}

Result<UniqueFd> open_state_root(const std::string& state_root, bool create) {
    if (state_root.empty() || state_root[0] != '/')
        return make_error(EINVAL, "state root '%s' is not an absolute path", state_root.c_str());
    if (create) TRY(make_dirs(state_root, 0700));
    return open_dir(AT_FDCWD, state_root, false);
}

Status lock_dir(int fd, const std::string& id) {
    while (flock(fd, LOCK_EX) < 0) {
        if (errno != EINTR) return errno_error("locking the state of container '%s'", id.c_str());
    }
    return {};
}

}  // namespace

bool is_valid_container_id(std::string_view id) {
    if (id.empty() || id.size() > 64 || id[0] == '.') return false;
    for (char c : id) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '.' || c == '-';
        if (!ok) return false;
    }
    return true;
}

std::string container_state_json(const ContainerState& state) {
    return json_dump(state_object(state).get());
}

std::string stored_state_json(const StoredState& stored) {
    JsonPtr obj = state_object(stored.state);
    // The stored status is what was last written, even "stopped"; pid is always kept.
    json_object_set_new(obj.get(), "pid", json_integer(stored.state.pid));
    json_object_set_new(obj.get(), "initStartTime",
                        json_integer(json_int_t(stored.init_start_time)));
    return json_dump(obj.get(), true);
}

Result<StoredState> parse_stored_state(std::string_view json) {
    JsonPtr doc = TRY(json_parse(json, "state.json"));
    const json_t* j = doc.get();
    if (!json_is_object(j)) return make_error(EPROTO, "state.json: not a JSON object");
    StoredState s;
    s.state.oci_version = TRY(json_req_string(j, "ociVersion"));
    s.state.id = TRY(json_req_string(j, "id"));
    s.state.status = TRY(json_req_string(j, "status"));
    int64_t pid = TRY(json_req_int(j, "pid"));
    if (pid < 0 || pid > INT32_MAX) return make_error(EPROTO, "state.json: bad 'pid'");
    s.state.pid = pid_t(pid);
    s.state.bundle = TRY(json_req_string(j, "bundle"));
    s.state.annotations = TRY(json_opt_string_map(j, "annotations"));
    s.state.created = TRY(json_opt_string(j, "created")).value_or("");
    s.state.machine = TRY(json_opt_string(j, "machine")).value_or("");
    s.state.unit = TRY(json_opt_string(j, "unit")).value_or("");
    int64_t start = TRY(json_req_int(j, "initStartTime"));
    if (start < 0) return make_error(EPROTO, "state.json: bad 'initStartTime'");
    s.init_start_time = uint64_t(start);
    return s;
}

Result<uint64_t> process_start_time(pid_t pid) {
    if (pid <= 0) return make_error(ENOENT, "no process %d", int(pid));
    std::string path = strf("/proc/%d/stat", int(pid));
    auto text = read_file_capped(AT_FDCWD, path, 4096);
    if (!text) return make_error(ENOENT, "no process %d", int(pid));
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so fields are counted
    // from the last ')'. After it: field 3 (state) ... field 22 (starttime).
    const std::string& t = *text;
    size_t close = t.rfind(')');
    if (close == std::string::npos)
        return make_error(EPROTO, "'%s': unexpected format", path.c_str());
    std::vector<std::string> fields = split(trim(std::string_view(t).substr(close + 1)), ' ');
    if (fields.size() < 20) return make_error(EPROTO, "'%s': unexpected format", path.c_str());
    if (fields[0] == "Z" || fields[0] == "X")
        return make_error(ENOENT, "process %d has exited", int(pid));
    auto start = parse_u64(fields[19]);  // field 22 = index 19 after state (field 3)
    if (!start) return make_error(EPROTO, "'%s': bad start time", path.c_str());
    return *start;
}

bool process_matches(pid_t pid, uint64_t start_time) {
    auto start = process_start_time(pid);
    return start && *start == start_time;
}

std::string effective_status(const StoredState& stored) {
    if (stored.state.status == "stopped") return "stopped";
    return process_matches(stored.state.pid, stored.init_start_time) ? stored.state.status
                                                                     : "stopped";
}

std::string state_json_as(const StoredState& stored, const char* status) {
    ContainerState s = stored.state;
    s.status = status;
    return container_state_json(s);
}

std::string rfc3339_now() {
    struct timespec ts {};
    clock_gettime(CLOCK_REALTIME, &ts);
    return strf("%s.%09ldZ", utc_time_text(ts.tv_sec, "%Y-%m-%dT%H:%M:%S").c_str(),
                long(ts.tv_nsec));
}

Result<StateDir> StateDir::create(const std::string& state_root, const std::string& id) {
    if (!is_valid_container_id(id))
        return make_error(EINVAL, "'%s' is not a valid container ID, refusing",
                          printable(id).c_str());
    UniqueFd root = TRY(open_state_root(state_root, true));
    if (mkdirat(root.get(), id.c_str(), 0700) < 0) {
        if (errno == EEXIST)
            return make_error(EEXIST, "container '%s' already exists, refusing", id.c_str());
        return errno_error("creating the state directory of '%s'", id.c_str());
    }
    auto dir = open_dir(root.get(), id, false);
    if (!dir) {
        unlinkat(root.get(), id.c_str(), AT_REMOVEDIR);
        return std::move(dir).error();
    }
    TRY(lock_dir(dir->get(), id));
    return StateDir(std::move(root), dir.take(), state_root + "/" + id, id);
}

Result<StateDir> StateDir::open(const std::string& state_root, const std::string& id) {
    if (!is_valid_container_id(id))
        return make_error(EINVAL, "'%s' is not a valid container ID, refusing",
                          printable(id).c_str());
    auto root = open_state_root(state_root, false);
    if (!root && root.error().code == ENOENT)
        return make_error(ENOENT, "container '%s' does not exist", id.c_str());
    if (!root) return std::move(root).error();
    auto dir = open_dir(root->get(), id, false);
    if (!dir && dir.error().code == ENOENT)
        return make_error(ENOENT, "container '%s' does not exist", id.c_str());
    if (!dir) return std::move(dir).error();
    TRY(lock_dir(dir->get(), id));
    // Removed while we waited for the lock (a delete that held it): gone now.
    struct stat st {};
    if (fstat(dir->get(), &st) == 0 && st.st_nlink == 0)
        return make_error(ENOENT, "container '%s' does not exist", id.c_str());
    return StateDir(root.take(), dir.take(), state_root + "/" + id, id);
}

void StateDir::unlock() const {
    flock(dir_.get(), LOCK_UN);
}

Status StateDir::lock() const {
    return lock_dir(dir_.get(), id_);
}

Status StateDir::commit(const StoredState& stored) const {
    return write_file_atomic(dir_.get(), state_file_name, stored_state_json(stored), 0600,
                             Sync::atomic_only);
}

Result<StoredState> StateDir::load() const {
    auto text = read_file_capped(dir_.get(), state_file_name, 1 << 20);
    if (!text && text.error().code == ENOENT)
        return make_error(ENOENT, "container '%s' is still being created", id_.c_str());
    if (!text) return std::move(text).error();
    return parse_stored_state(*text).wrap(strf("container '%s'", id_.c_str()));
}

Status StateDir::remove() {
    // Removed while still locked: whoever waits for the lock then finds a deleted directory
    // (open() checks st_nlink), never a half-removed one it could take for a container.
    Status st = remove_tree(root_.get(), id_);
    dir_.reset();
    return st;
}

}  // namespace ocipod
