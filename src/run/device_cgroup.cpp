#include "run/device_cgroup.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/fs.hpp"
#include "base/strings.hpp"
#include "base/unique_fd.hpp"
#include "run/cgroup_files.hpp"

namespace ocipod {

namespace {

constexpr const char* devices_root = "/sys/fs/cgroup/devices";
constexpr const char* pods_dir = "/sys/fs/cgroup/devices/oci-pod";

// The nodes dev_setup makes in every pod's /dev, with runc's access for them.
const DeviceCgroupWrite runtime_devices[] = {
    {true, "c 1:3 rwm"},    // null
    {true, "c 1:5 rwm"},    // zero
    {true, "c 1:7 rwm"},    // full
    {true, "c 1:8 rwm"},    // random
    {true, "c 1:9 rwm"},    // urandom
    {true, "c 5:0 rwm"},    // tty
    {true, "c 5:2 rwm"},    // ptmx
    {true, "c 136:* rwm"},  // the pts, the console among them
};

std::string number_or_star(const std::optional<int64_t>& n) {
    return n ? strf("%lld", (long long)*n) : std::string("*");
}

std::string cgroup_path(const std::string& id) {
    return std::string(pods_dir) + "/" + id;
}

}  // namespace

Result<std::vector<DeviceCgroupWrite>> device_cgroup_writes(
    const std::vector<SpecDeviceRule>& rules) {
    std::vector<DeviceCgroupWrite> out{{false, "a"}};
    for (const SpecDeviceRule& r : rules) {
        std::string access = r.access.empty() ? "rwm" : r.access;
        if (access.find_first_not_of("rwm") != std::string::npos)
            return make_error(EINVAL, "device rule access '%s' is not a subset of 'rwm', refusing",
                              printable(access).c_str());
        if ((r.major && *r.major < 0) || (r.minor && *r.minor < 0))
            return make_error(EINVAL, "device rule with a negative number, refusing");
        std::string rule;
        if (r.type == 'a')
            rule = "a";
        else if (r.type == 'c' || r.type == 'b')
            rule = strf("%c %s:%s %s", r.type, number_or_star(r.major).c_str(),
                        number_or_star(r.minor).c_str(), access.c_str());
        else
            return make_error(EINVAL, "device rule type '%c' is not a, c or b, refusing", r.type);
        out.push_back({r.allow, rule});
    }
    for (const auto& w : runtime_devices) out.push_back(w);
    return out;
}

Result<bool> apply_device_cgroup(const std::string& id, pid_t pid,
                                 const std::vector<SpecDeviceRule>& rules) {
    struct stat st {};
    if (stat(devices_root, &st) < 0 || !S_ISDIR(st.st_mode) || access(devices_root, W_OK) < 0)
        return false;
    UniqueFd probe(openat(AT_FDCWD, devices_root, O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!probe || faccessat(probe.get(), "devices.allow", F_OK, 0) < 0) return false;
    auto writes = TRY(device_cgroup_writes(rules));
    if (mkdir(pods_dir, 0755) < 0 && errno != EEXIST) return errno_error("creating '%s'", pods_dir);
    std::string path = cgroup_path(id);
    if (mkdir(path.c_str(), 0755) < 0 && errno != EEXIST)
        return errno_error("creating '%s'", path.c_str());
    UniqueFd dir = TRY(open_dir(AT_FDCWD, path, false));
    for (const auto& w : writes)
        TRY_WRAP(write_cgroup_file(dir.get(), w.allow ? "devices.allow" : "devices.deny", w.rule),
                 strf("device cgroup '%s'", path.c_str()));
    TRY_WRAP(write_cgroup_file(dir.get(), "cgroup.procs", strf("%d", int(pid))),
             strf("device cgroup '%s'", path.c_str()));
    return true;
}

void remove_device_cgroup(const std::string& id) {
    std::string path = cgroup_path(id);
    // The init is reaped, but the rest of its pid namespace may still be exiting: EBUSY until
    // the last task has left. 200 tries 10 ms apart.
    for (int i = 0; i < 200; ++i) {
        if (rmdir(path.c_str()) == 0 || errno != EBUSY) return;
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, nullptr);
    }
}

}  // namespace ocipod
