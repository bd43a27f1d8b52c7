// config.json's "linux" object (runtime-spec config-linux.md), read strictly: see
// runtime_spec.hpp. Seccomp is in runtime_spec_seccomp.cpp.
#include <cstdint>
#include <set>

#include "oci/runtime_spec.hpp"
#include "oci/runtime_spec_fields.hpp"

namespace ocipod::spec {

namespace {

constexpr int64_t k_u32_max = UINT32_MAX;

bool one_of(const std::string& v, std::initializer_list<const char*> list) {
    for (const char* s : list)
        if (v == s) return true;
    return false;
}

Result<std::vector<SpecNamespace>> parse_namespaces(const json_t* arr) {
    const std::string path = "linux.namespaces";
    std::vector<SpecNamespace> out;
    std::set<std::string> seen;
    for (size_t i = 0; i < json_array_size(arr); ++i) {
        const json_t* obj = TRY(object_at(arr, path, i));
        std::string at = index_path(path, i);
        TRY(check_keys(obj, at, {"type", "path"}));
        SpecNamespace ns;
        ns.type = TRY(req_string(obj, at, "type"));
        // A user namespace needs uid/gid mappings and a time namespace timeOffsets, neither of
        // which the runner implements.
        if (ns.type == "user" || ns.type == "time")
            return spec_error(EOPNOTSUPP, "'%s.type': namespace '%s' is not supported, refusing",
                              at.c_str(), ns.type.c_str());
        if (!one_of(ns.type, {"pid", "network", "mount", "ipc", "uts", "cgroup"}))
            return spec_error(EINVAL, "'%s.type': unknown namespace type '%s', refusing",
                              at.c_str(), ns.type.c_str());
        // config-linux.md: a duplicated type is an error.
        if (!seen.insert(ns.type).second)
            return spec_error(EINVAL, "'%s.type': duplicate namespace '%s', refusing", at.c_str(),
                              ns.type.c_str());
        ns.path = TRY(opt_string(obj, at, "path")).value_or("");
        if (!ns.path.empty()) TRY(check_absolute(ns.path, child_path(at, "path")));
        out.push_back(std::move(ns));
    }
    return out;
}

Result<char> device_type(const json_t* obj, const std::string& at, const char* allowed,
                         const char* fallback) {
    auto t = TRY(opt_string(obj, at, "type"));
    if (!t && fallback) t = fallback;
    if (!t) return spec_error(EBADMSG, "'%s.type' is missing", at.c_str());
    if (t->size() != 1 || std::string_view(allowed).find(t->front()) == std::string_view::npos)
        return spec_error(EINVAL, "'%s.type' is '%s', not one of '%s', refusing", at.c_str(),
                          t->c_str(), allowed);
    return t->front();
}

Result<std::vector<SpecDevice>> parse_devices(const json_t* arr) {
    const std::string path = "linux.devices";
    std::vector<SpecDevice> out;
    for (size_t i = 0; i < json_array_size(arr); ++i) {
        const json_t* obj = TRY(object_at(arr, path, i));
        std::string at = index_path(path, i);
        TRY(check_keys(obj, at, {"path", "type", "major", "minor", "fileMode", "uid", "gid"}));
        SpecDevice d;
        d.path = TRY(req_string(obj, at, "path"));
        TRY(check_absolute(d.path, child_path(at, "path")));
        d.type = TRY(device_type(obj, at, "cbup", nullptr));
        // config-linux.md: major and minor are required unless the type is a fifo.
        if (d.type == 'p') {
            d.major = TRY(opt_int(obj, at, "major", 0, INT64_MAX)).value_or(0);
            d.minor = TRY(opt_int(obj, at, "minor", 0, INT64_MAX)).value_or(0);
        } else {
            d.major = TRY(req_int(obj, at, "major", 0, INT64_MAX));
            d.minor = TRY(req_int(obj, at, "minor", 0, INT64_MAX));
        }
        if (auto mode = TRY(opt_int(obj, at, "fileMode", 0, 07777))) d.file_mode = *mode;
        if (auto uid = TRY(opt_int(obj, at, "uid", 0, k_u32_max))) d.uid = *uid;
        if (auto gid = TRY(opt_int(obj, at, "gid", 0, k_u32_max))) d.gid = *gid;
        out.push_back(std::move(d));
    }
    return out;
}

Result<std::vector<SpecDeviceRule>> parse_device_rules(const json_t* arr, const std::string& path) {
    std::vector<SpecDeviceRule> out;
    for (size_t i = 0; i < json_array_size(arr); ++i) {
        const json_t* obj = TRY(object_at(arr, path, i));
        std::string at = index_path(path, i);
        TRY(check_keys(obj, at, {"allow", "type", "major", "minor", "access"}));
        SpecDeviceRule r;
        auto allow = TRY(opt_bool(obj, at, "allow"));
        if (!allow) return spec_error(EBADMSG, "'%s.allow' is missing", at.c_str());
        r.allow = *allow;
        // config-linux.md: type and access are optional, "a" (all devices) by default; an
        // omitted access matches every access, as an omitted major/minor matches every number.
        r.type = TRY(device_type(obj, at, "acb", "a"));
        r.major = TRY(opt_int(obj, at, "major", -1, INT64_MAX));
        r.minor = TRY(opt_int(obj, at, "minor", -1, INT64_MAX));
        r.access = TRY(opt_string(obj, at, "access")).value_or("rwm");
        if (r.access.find_first_not_of("rwm") != std::string::npos)
            return spec_error(EINVAL, "'%s.access' is '%s', not a subset of 'rwm', refusing",
                              at.c_str(), r.access.c_str());
        out.push_back(std::move(r));
    }
    return out;
}

Result<SpecResources> parse_resources(const json_t* obj) {
    const std::string path = "linux.resources";
    TRY(check_keys(obj, path, {"devices", "memory", "cpu", "pids", "blockIO"},
                   {"hugepageLimits", "network", "rdma", "unified"}));
    SpecResources r;
    if (const json_t* rules = TRY(opt_array(obj, path, "devices")))
        r.devices = TRY(parse_device_rules(rules, child_path(path, "devices")));
    if (const json_t* mem = TRY(opt_object(obj, path, "memory"))) {
        std::string at = child_path(path, "memory");
        TRY(check_keys(mem, at, {"limit", "swap"},
                       {"reservation", "kernel", "kernelTCP", "swappiness", "disableOOMKiller",
                        "useHierarchy", "checkBeforeUpdate"}));
        // -1 is "unlimited" for both (config-linux.md, cgroup v1 semantics).
        r.memory_limit = TRY(opt_int(mem, at, "limit", -1, INT64_MAX));
        r.memory_swap = TRY(opt_int(mem, at, "swap", -1, INT64_MAX));
    }
    if (const json_t* cpu = TRY(opt_object(obj, path, "cpu"))) {
        std::string at = child_path(path, "cpu");
        TRY(check_keys(cpu, at, {"shares", "quota", "period"},
                       {"realtimeRuntime", "realtimePeriod", "cpus", "mems", "idle", "burst"}));
        if (auto v = TRY(opt_int(cpu, at, "shares", 0, INT64_MAX))) r.cpu_shares = *v;
        r.cpu_quota = TRY(opt_int(cpu, at, "quota", -1, INT64_MAX));
        if (auto v = TRY(opt_int(cpu, at, "period", 0, INT64_MAX))) r.cpu_period = *v;
    }
    if (const json_t* pids = TRY(opt_object(obj, path, "pids"))) {
        std::string at = child_path(path, "pids");
        TRY(check_keys(pids, at, {"limit"}));
        // config-linux.md: limit is required in "pids"; -1 or 0 is unlimited.
        r.pids_limit = TRY(req_int(pids, at, "limit", -1, INT64_MAX));
    }
    if (const json_t* blkio = TRY(opt_object(obj, path, "blockIO"))) {
        std::string at = child_path(path, "blockIO");
        TRY(check_keys(
            blkio, at, {"weight"},
            {"leafWeight", "weightDevice", "throttleReadBpsDevice", "throttleWriteBpsDevice",
             "throttleReadIOPSDevice", "throttleWriteIOPSDevice"}));
        // The kernel's blkio/io weight range.
        if (auto w = TRY(opt_int(blkio, at, "weight", 10, 1000)))
            r.blkio_weight = static_cast<uint16_t>(*w);
    }
    return r;
}

Result<std::map<std::string, std::string>> parse_sysctl(const json_t* obj) {
    std::map<std::string, std::string> out;
    const char* key;
    const json_t* value;
    json_object_foreach(const_cast<json_t*>(obj), key, value) {
        std::string path = child_path("linux.sysctl", key);
        // The name becomes a path under /proc/sys: no empty name, no way out of it.
        std::string_view k(key);
        if (k.empty() || k.find("..") != std::string_view::npos || k.front() == '/' ||
            k.front() == '.')
            return spec_error(EINVAL, "'%s' is not a sysctl name, refusing", path.c_str());
        if (!json_is_string(value))
            return spec_error(EBADMSG, "'%s' is not a string", path.c_str());
        out.emplace(key, std::string(json_string_value(value), json_string_length(value)));
    }
    return out;
}

Result<std::vector<std::string>> parse_paths(const json_t* obj, const char* key) {
    std::vector<std::string> paths = TRY(opt_strings(obj, "linux", key));
    std::string path = child_path("linux", key);
    for (size_t i = 0; i < paths.size(); ++i) TRY(check_absolute(paths[i], index_path(path, i)));
    return paths;
}

}  // namespace

Result<SpecLinux> parse_linux(const json_t* obj) {
    const std::string path = "linux";
    TRY(check_keys(obj, path,
                   {"namespaces", "devices", "resources", "cgroupsPath", "sysctl", "maskedPaths",
                    "readonlyPaths", "rootfsPropagation", "seccomp", "mountLabel"},
                   {"uidMappings", "gidMappings", "timeOffsets", "intelRdt", "personality",
                    "memoryPolicy", "netDevices"}));
    SpecLinux lx;
    if (const json_t* ns = TRY(opt_array(obj, path, "namespaces")))
        lx.namespaces = TRY(parse_namespaces(ns));
    if (const json_t* devs = TRY(opt_array(obj, path, "devices")))
        lx.devices = TRY(parse_devices(devs));
    if (const json_t* res = TRY(opt_object(obj, path, "resources")))
        lx.resources = TRY(parse_resources(res));
    lx.cgroups_path = TRY(opt_string(obj, path, "cgroupsPath")).value_or("");
    if (const json_t* sysctl = TRY(opt_object(obj, path, "sysctl")))
        lx.sysctl = TRY(parse_sysctl(sysctl));
    lx.masked_paths = TRY(parse_paths(obj, "maskedPaths"));
    lx.readonly_paths = TRY(parse_paths(obj, "readonlyPaths"));
    lx.rootfs_propagation = TRY(opt_string(obj, path, "rootfsPropagation")).value_or("");
    if (!lx.rootfs_propagation.empty() &&
        !one_of(lx.rootfs_propagation,
                {"private", "rprivate", "slave", "rslave", "shared", "rshared", "unbindable"}))
        return spec_error(EINVAL,
                          "'linux.rootfsPropagation' is '%s', not a propagation mode, refusing",
                          lx.rootfs_propagation.c_str());
    if (const json_t* sc = TRY(opt_object(obj, path, "seccomp")))
        lx.seccomp = TRY(parse_seccomp(sc, child_path(path, "seccomp")));
    // No SELinux support yet: a label would be silently dropped.
    lx.mount_label = TRY(opt_string(obj, path, "mountLabel")).value_or("");
    if (!lx.mount_label.empty())
        return spec_error(EOPNOTSUPP, "'linux.mountLabel' is not supported, refusing");
    return lx;
}

}  // namespace ocipod::spec
