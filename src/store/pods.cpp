#include "store/pods.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "base/fs.hpp"
#include "base/strings.hpp"
#include "c/json.hpp"
#include "store/lock.hpp"

namespace ocipod {

namespace {

// The default store's runtime files go to /run; any other store keeps its own (tests, users with
// --root), so two stores never see each other's pods.
constexpr const char* default_root = "/var/lib/oci-pod";
constexpr size_t max_record_bytes = 1 << 20;
constexpr size_t max_exit_bytes = 64 << 10;

bool name_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_';
}

std::string dirname_of(const std::string& path) {
    size_t slash = path.rfind('/');
    return slash == std::string::npos || slash == 0 ? "/" : path.substr(0, slash);
}

}  // namespace

PodDirs::PodDirs(std::string root) : root_(std::move(root)) {
    while (root_.size() > 1 && root_.back() == '/') root_.pop_back();
}

std::string PodDirs::run_root() const {
    return root_ == default_root ? std::string("/run/oci-pod") : root_ + "/run";
}
std::string PodDirs::runtime_root() const {
    return run_root() + "/runtime";
}
std::string PodDirs::pod_dir(const std::string& name) const {
    return root_ + "/pods/" + name;
}
std::string PodDirs::bundle_dir(const std::string& name) const {
    return pod_dir(name) + "/bundle";
}
std::string PodDirs::exit_file(const std::string& name) const {
    return pod_dir(name) + "/exit.json";
}
std::string PodDirs::log_file(const std::string& name) const {
    return pod_dir(name) + "/log";
}
std::string PodDirs::lock_file(const std::string& name) const {
    return run_root() + "/pods/" + name + "/lock";
}

std::string PodDirs::notify_socket(const std::string& name) const {
    return run_root() + "/pods/" + name + "/notify";
}

Status check_pod_name(const std::string& name) {
    bool ok = !name.empty() && name.size() <= 64 && name[0] != '-' && name[0] != '.' &&
              name.back() != '.' && name.find("..") == std::string::npos &&
              std::all_of(name.begin(), name.end(), name_char);
    if (!ok)
        return make_error(EINVAL,
                          "invalid pod name '%s' (1 to 64 of A-Z a-z 0-9 . - _, not starting "
                          "with '.' or '-')",
                          printable(name).c_str());
    return {};
}

Status PodLock::set_pid(pid_t pid) {
    std::string text = strf("%d\n", static_cast<int>(pid));
    if (ftruncate(fd_.get(), 0) != 0) return errno_error("writing the pod lock");
    if (pwrite(fd_.get(), text.data(), text.size(), 0) != static_cast<ssize_t>(text.size()))
        return errno_error("writing the pod lock");
    return {};
}

Result<PodLock> lock_pod(const PodDirs& dirs, const std::string& name) {
    TRY(check_pod_name(name));
    std::string path = dirs.lock_file(name);
    TRY(make_dirs(dirname_of(path), 0700));
    UniqueFd fd(open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (!fd) return errno_error("opening '%s'", path.c_str());
    Status s = ofd_lock(fd.get(), 0, LockMode::exclusive, false, "the pod lock");
    if (!s) {
        if (s.error().code == EAGAIN || s.error().code == EACCES)
            return make_error(EBUSY, "pod '%s' is already running, refusing", name.c_str());
        return s.error();
    }
    PodLock lock(std::move(fd));
    TRY(lock.set_pid(getpid()));
    return lock;
}

PodRunner pod_runner(const PodDirs& dirs, const std::string& name) {
    PodRunner r;
    UniqueFd fd(open(dirs.lock_file(name).c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
    if (!fd) return r;
    struct flock fl = {};
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    fl.l_start = 0;
    fl.l_len = 1;
    if (fcntl(fd.get(), F_OFD_GETLK, &fl) != 0 || fl.l_type == F_UNLCK) return r;
    r.running = true;
    // OFD locks report no owner (l_pid is -1): the holder wrote its pid into the file.
    auto text = read_fd_capped(fd.get(), 64);
    if (text) {
        if (auto pid = parse_u64(trim(*text)); pid && *pid > 0 && *pid < (1u << 22))
            r.pid = static_cast<pid_t>(*pid);
    }
    struct stat st;
    if (fstat(fd.get(), &st) == 0) r.started = st.st_mtim.tv_sec;
    return r;
}

std::string pod_record_json(const PodRecord& r) {
    JsonPtr o(json_object());
    json_object_set_new(o.get(), "name", json_string(r.name.c_str()));
    json_object_set_new(o.get(), "image", json_stringn(r.image.data(), r.image.size()));
    json_object_set_new(o.get(), "imageDigest", json_string(r.image_digest.c_str()));
    json_object_set_new(o.get(), "created", json_string(r.created.c_str()));
    json_object_set_new(o.get(), "command", json_from_string_array(r.command).release());
    json_object_set_new(o.get(), "remove", json_boolean(r.remove));
    json_object_set_new(o.get(), "detach", json_boolean(r.detach));
    json_object_set_new(o.get(), "terminal", json_boolean(r.terminal));
    if (!r.unit.empty()) json_object_set_new(o.get(), "unit", json_string(r.unit.c_str()));
    if (r.stop_signal) json_object_set_new(o.get(), "stopSignal", json_integer(*r.stop_signal));
    json_object_set_new(o.get(), "stopTimeout", json_integer(r.stop_timeout_sec));
    return json_dump(o.get(), true) + "\n";
}

Result<PodRecord> parse_pod_record(std::string_view json) {
    JsonPtr doc = TRY(json_parse(json, "pod.json"));
    if (!json_is_object(doc.get())) return make_error(EBADMSG, "pod.json is not an object");
    PodRecord r;
    r.name = TRY(json_req_string(doc.get(), "name"));
    TRY_WRAP(check_pod_name(r.name), "pod.json");
    r.image = TRY(json_req_string(doc.get(), "image"));
    r.image_digest = TRY(json_opt_string(doc.get(), "imageDigest")).value_or("");
    r.created = TRY(json_opt_string(doc.get(), "created")).value_or("");
    r.command = TRY(json_opt_string_array(doc.get(), "command"));
    auto flag = [&](const char* key) {
        const json_t* v = json_opt_member(doc.get(), key);
        return v && json_is_true(v);
    };
    r.remove = flag("remove");
    r.detach = flag("detach");
    r.terminal = flag("terminal");
    r.unit = TRY(json_opt_string(doc.get(), "unit")).value_or("");
    if (auto sig = TRY(json_opt_int(doc.get(), "stopSignal"))) {
        if (*sig < 1 || *sig > 64) return make_error(EBADMSG, "pod.json: bad 'stopSignal'");
        r.stop_signal = static_cast<int>(*sig);
    }
    int64_t timeout = TRY(json_opt_int(doc.get(), "stopTimeout")).value_or(10);
    if (timeout < 0 || timeout > 86400) return make_error(EBADMSG, "pod.json: bad 'stopTimeout'");
    r.stop_timeout_sec = static_cast<int>(timeout);
    return r;
}

Status create_pod(const PodDirs& dirs, const PodRecord& record) {
    TRY(check_pod_name(record.name));
    TRY(make_dirs(dirs.root() + "/pods", 0700));
    std::string dir = dirs.pod_dir(record.name);
    if (mkdir(dir.c_str(), 0700) != 0) {
        if (errno == EEXIST)
            return make_error(EEXIST, "pod '%s' exists; remove it with 'oci-pod rm %s'",
                              record.name.c_str(), record.name.c_str());
        return errno_error("creating '%s'", dir.c_str());
    }
    Status s = update_pod(dirs, record);
    if (!s) rmdir(dir.c_str());
    return s;
}

Status update_pod(const PodDirs& dirs, const PodRecord& record) {
    UniqueFd dir = TRY(open_dir(AT_FDCWD, dirs.pod_dir(record.name), false));
    return write_file_atomic(dir.get(), "pod.json", pod_record_json(record), 0600,
                             record.remove ? Sync::atomic_only : Sync::durable);
}

Result<PodRecord> read_pod(const PodDirs& dirs, const std::string& name) {
    TRY(check_pod_name(name));
    auto text = read_file_capped(AT_FDCWD, dirs.pod_dir(name) + "/pod.json", max_record_bytes);
    if (!text) {
        if (text.error().code == ENOENT) return make_error(ENOENT, "no pod '%s'", name.c_str());
        return text.error();
    }
    PodRecord r = TRY_WRAP(parse_pod_record(*text), strf("pod '%s'", name.c_str()));
    if (r.name != name)
        return make_error(EBADMSG, "pod '%s': pod.json names '%s'", name.c_str(), r.name.c_str());
    return r;
}

Result<std::vector<std::string>> list_pods(const PodDirs& dirs) {
    std::vector<std::string> names;
    std::string path = dirs.root() + "/pods";
    DIR* d = opendir(path.c_str());
    if (!d) {
        if (errno == ENOENT) return names;
        return errno_error("listing '%s'", path.c_str());
    }
    while (dirent* e = readdir(d)) {
        std::string n = e->d_name;
        if (n == "." || n == ".." || !check_pod_name(n)) continue;
        struct stat st;
        if (fstatat(dirfd(d), n.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode))
            names.push_back(n);
    }
    closedir(d);
    std::sort(names.begin(), names.end());
    return names;
}

Status remove_pod_dirs(const PodDirs& dirs, const std::string& name) {
    TRY(check_pod_name(name));
    UniqueFd pods = TRY(open_dir(AT_FDCWD, dirs.root() + "/pods", true));
    TRY(remove_tree(pods.get(), name));
    auto run_pods = open_dir(AT_FDCWD, dirs.run_root() + "/pods", false);
    if (run_pods) TRY(remove_tree(run_pods->get(), name));
    return {};
}

Result<PodExit> parse_pod_exit(std::string_view json) {
    JsonPtr doc = TRY(json_parse(json, "exit.json"));
    if (!json_is_object(doc.get())) return make_error(EBADMSG, "exit.json is not an object");
    PodExit e;
    int64_t code = TRY(json_req_int(doc.get(), "exitCode"));
    if (code < 0 || code > 255) return make_error(EBADMSG, "exit.json: bad 'exitCode'");
    e.exit_code = static_cast<int>(code);
    e.signal = TRY(json_opt_string(doc.get(), "signal")).value_or("");
    e.finished_at = TRY(json_opt_string(doc.get(), "finishedAt")).value_or("");
    e.error = TRY(json_opt_string(doc.get(), "error")).value_or("");
    return e;
}

Result<std::optional<PodExit>> read_pod_exit(const PodDirs& dirs, const std::string& name) {
    auto text = read_file_capped(AT_FDCWD, dirs.exit_file(name), max_exit_bytes);
    if (!text) {
        if (text.error().code == ENOENT) return std::optional<PodExit>();
        return text.error();
    }
    return std::optional<PodExit>(TRY_WRAP(parse_pod_exit(*text), strf("pod '%s'", name.c_str())));
}

Status write_pod_exit(const PodDirs& dirs, const std::string& name, const PodExit& e, Sync sync) {
    JsonPtr o(json_object());
    json_object_set_new(o.get(), "exitCode", json_integer(e.exit_code));
    json_object_set_new(o.get(), "signal",
                        e.signal.empty() ? json_null() : json_string(e.signal.c_str()));
    json_object_set_new(o.get(), "finishedAt", json_string(e.finished_at.c_str()));
    if (!e.error.empty())
        json_object_set_new(o.get(), "error", json_stringn(e.error.data(), e.error.size()));
    UniqueFd dir = TRY(open_dir(AT_FDCWD, dirs.pod_dir(name), false));
    return write_file_atomic(dir.get(), "exit.json", json_dump(o.get()) + "\n", 0600, sync);
}

Status clear_pod_exit(const PodDirs& dirs, const std::string& name) {
    if (unlink(dirs.exit_file(name).c_str()) != 0 && errno != ENOENT)
        return errno_error("removing '%s'", dirs.exit_file(name).c_str());
    return {};
}

}  // namespace ocipod
