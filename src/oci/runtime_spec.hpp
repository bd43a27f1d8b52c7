// An OCI runtime config.json (runtime-spec v1.0.x config.md and config-linux.md) parsed strictly
// for oci-pod's runner: every field the runner implements is read into plain data; a field it
// does not implement is refused with an error naming it by its JSON path
// ("config.json: 'linux.intelRdt' is not supported, refusing"), never silently ignored; systemd's
// nspawn-oci.c is strict the same way. Unknown keys are refused too: only "annotations" and
// "linux.sysctl" hold free-form keys. Pure data, no I/O.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"

namespace ocipod {

struct SpecUser {
    uint32_t uid = 0;
    uint32_t gid = 0;
    std::optional<uint32_t> umask;
    std::vector<uint32_t> additional_gids;
};

struct SpecRlimit {
    int resource = 0;  // RLIMIT_* (from "RLIMIT_NOFILE" etc.)
    uint64_t soft = 0;
    uint64_t hard = 0;
};

struct SpecCapabilities {
    // Capability numbers (CAP_*), from names like "CAP_NET_BIND_SERVICE"; unknown names refused.
    std::vector<int> bounding, effective, permitted, inheritable, ambient;
};

struct SpecProcess {
    bool terminal = false;
    SpecUser user;
    std::vector<std::string> args;  // non-empty
    std::vector<std::string> env;   // "K=V"
    std::string cwd;                // absolute
    std::optional<SpecCapabilities> capabilities;
    std::vector<SpecRlimit> rlimits;
    bool no_new_privileges = false;
    std::optional<int> oom_score_adj;
};

struct SpecMount {
    std::string destination;  // absolute
    std::string type;         // "" for a bind mount
    std::string source;
    std::vector<std::string> options;
};

struct SpecNamespace {
    std::string type;  // pid, network, mount, ipc, uts, cgroup (user and time refused for now)
    std::string path;  // "" = a new namespace; else join the namespace at that path
};

struct SpecDevice {
    std::string path;
    char type = 'c';  // 'c', 'b', 'u' or 'p'
    int64_t major = 0, minor = 0;
    std::optional<uint32_t> file_mode;
    std::optional<uint32_t> uid, gid;
};

struct SpecDeviceRule {
    bool allow = false;
    char type = 'a';  // 'a', 'c' or 'b'
    std::optional<int64_t> major, minor;
    std::string access;  // subset of "rwm"
};

struct SpecResources {
    std::vector<SpecDeviceRule> devices;
    std::optional<int64_t> memory_limit, memory_swap;
    std::optional<uint64_t> cpu_shares;
    std::optional<int64_t> cpu_quota;
    std::optional<uint64_t> cpu_period;
    std::optional<int64_t> pids_limit;
    std::optional<uint16_t> blkio_weight;
};

struct SpecSeccompArg {
    unsigned index = 0;
    uint64_t value = 0, value_two = 0;
    std::string op;  // SCMP_CMP_*
};

struct SpecSeccompRule {
    std::vector<std::string> names;
    std::string action;  // SCMP_ACT_*
    std::optional<unsigned> errno_ret;
    std::vector<SpecSeccompArg> args;
};

struct SpecSeccomp {
    std::string default_action;
    std::optional<unsigned> default_errno_ret;
    std::vector<std::string> architectures;  // SCMP_ARCH_*
    std::vector<std::string> flags;
    std::vector<SpecSeccompRule> syscalls;
};

struct SpecHook {
    std::string path;  // absolute
    std::vector<std::string> args;
    std::vector<std::string> env;
    std::optional<int> timeout;
};

struct SpecHooks {
    std::vector<SpecHook> prestart, create_runtime, create_container, start_container, poststart,
        poststop;
};

struct SpecLinux {
    std::vector<SpecNamespace> namespaces;
    std::vector<SpecDevice> devices;
    std::optional<SpecResources> resources;
    std::string cgroups_path;
    std::map<std::string, std::string> sysctl;
    std::vector<std::string> masked_paths, readonly_paths;
    std::string
        rootfs_propagation;  // "", private, rprivate, slave, rslave, shared, rshared, unbindable
    std::optional<SpecSeccomp> seccomp;
    std::string mount_label;  // refused when non-empty (no SELinux support yet)
};

struct RuntimeSpec {
    std::string oci_version;
    std::string root_path;  // relative to the bundle or absolute
    bool root_readonly = false;
    std::string hostname, domainname;
    SpecProcess process;
    std::vector<SpecMount> mounts;
    SpecHooks hooks;
    std::map<std::string, std::string> annotations;
    SpecLinux linux_config;  // "linux" (a macro name in GNU C modes, hence not used)
};

// The number of a capability as config.json names it ("CAP_NET_ADMIN", exact spelling); nullopt
// for a name this parser does not know.
std::optional<int> capability_number(std::string_view name);
// Every capability name this parser knows, in number order.
std::vector<std::string> capability_names();

// Parse config.json bytes (capped by the caller). Errors name the JSON path of the bad field.
Result<RuntimeSpec> parse_runtime_spec(std::string_view json);

}  // namespace ocipod
