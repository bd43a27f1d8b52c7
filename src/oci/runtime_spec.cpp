// config.json's top level, root, process, mounts, hooks and annotations (runtime-spec config.md),
// read strictly: see runtime_spec.hpp. The "linux" object is in runtime_spec_linux.cpp.
#include "oci/runtime_spec.hpp"

#include <linux/capability.h>
#include <sys/resource.h>

#include <cstdint>
#include <set>

#include "c/json.hpp"
#include "oci/runtime_spec_fields.hpp"

namespace ocipod {

using namespace spec;

namespace {

constexpr int64_t k_u32_max = UINT32_MAX;

struct Named {
    const char* name;
    int value;
};

// linux/capability.h, up to CAP_CHECKPOINT_RESTORE (40). The numbers come from the kernel header
// so a typo cannot shift them.
constexpr Named k_capabilities[] = {
    {"CAP_CHOWN", CAP_CHOWN},
    {"CAP_DAC_OVERRIDE", CAP_DAC_OVERRIDE},
    {"CAP_DAC_READ_SEARCH", CAP_DAC_READ_SEARCH},
    {"CAP_FOWNER", CAP_FOWNER},
    {"CAP_FSETID", CAP_FSETID},
    {"CAP_KILL", CAP_KILL},
    {"CAP_SETGID", CAP_SETGID},
    {"CAP_SETUID", CAP_SETUID},
    {"CAP_SETPCAP", CAP_SETPCAP},
    {"CAP_LINUX_IMMUTABLE", CAP_LINUX_IMMUTABLE},
    {"CAP_NET_BIND_SERVICE", CAP_NET_BIND_SERVICE},
    {"CAP_NET_BROADCAST", CAP_NET_BROADCAST},
    {"CAP_NET_ADMIN", CAP_NET_ADMIN},
    {"CAP_NET_RAW", CAP_NET_RAW},
    {"CAP_IPC_LOCK", CAP_IPC_LOCK},
    {"CAP_IPC_OWNER", CAP_IPC_OWNER},
    {"CAP_SYS_MODULE", CAP_SYS_MODULE},
    {"CAP_SYS_RAWIO", CAP_SYS_RAWIO},
    {"CAP_SYS_CHROOT", CAP_SYS_CHROOT},
    {"CAP_SYS_PTRACE", CAP_SYS_PTRACE},
    {"CAP_SYS_PACCT", CAP_SYS_PACCT},
    {"CAP_SYS_ADMIN", CAP_SYS_ADMIN},
    {"CAP_SYS_BOOT", CAP_SYS_BOOT},
    {"CAP_SYS_NICE", CAP_SYS_NICE},
    {"CAP_SYS_RESOURCE", CAP_SYS_RESOURCE},
    {"CAP_SYS_TIME", CAP_SYS_TIME},
    {"CAP_SYS_TTY_CONFIG", CAP_SYS_TTY_CONFIG},
    {"CAP_MKNOD", CAP_MKNOD},
    {"CAP_LEASE", CAP_LEASE},
    {"CAP_AUDIT_WRITE", CAP_AUDIT_WRITE},
    {"CAP_AUDIT_CONTROL", CAP_AUDIT_CONTROL},
    {"CAP_SETFCAP", CAP_SETFCAP},
    {"CAP_MAC_OVERRIDE", CAP_MAC_OVERRIDE},
    {"CAP_MAC_ADMIN", CAP_MAC_ADMIN},
    {"CAP_SYSLOG", CAP_SYSLOG},
    {"CAP_WAKE_ALARM", CAP_WAKE_ALARM},
    {"CAP_BLOCK_SUSPEND", CAP_BLOCK_SUSPEND},
    {"CAP_AUDIT_READ", CAP_AUDIT_READ},
    {"CAP_PERFMON", CAP_PERFMON},
    {"CAP_BPF", CAP_BPF},
    {"CAP_CHECKPOINT_RESTORE", CAP_CHECKPOINT_RESTORE},
};

constexpr Named k_rlimits[] = {
    {"RLIMIT_CPU", RLIMIT_CPU},           {"RLIMIT_FSIZE", RLIMIT_FSIZE},
    {"RLIMIT_DATA", RLIMIT_DATA},         {"RLIMIT_STACK", RLIMIT_STACK},
    {"RLIMIT_CORE", RLIMIT_CORE},         {"RLIMIT_RSS", RLIMIT_RSS},
    {"RLIMIT_NPROC", RLIMIT_NPROC},       {"RLIMIT_NOFILE", RLIMIT_NOFILE},
    {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},   {"RLIMIT_AS", RLIMIT_AS},
    {"RLIMIT_LOCKS", RLIMIT_LOCKS},       {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
    {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE}, {"RLIMIT_NICE", RLIMIT_NICE},
    {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},     {"RLIMIT_RTTIME", RLIMIT_RTTIME},
};

template <size_t N>
const Named* find_named(const Named (&table)[N], const std::string& name) {
    for (const Named& n : table)
        if (name == n.name) return &n;
    return nullptr;
}

}  // namespace

std::optional<int> capability_number(std::string_view name) {
    for (const Named& n : k_capabilities)
        if (name == n.name) return n.value;
    return std::nullopt;
}

std::vector<std::string> capability_names() {
    std::vector<std::string> out;
    for (const Named& n : k_capabilities) out.push_back(n.name);
    return out;
}

namespace {

Result<std::vector<int>> parse_cap_set(const json_t* caps, const std::string& parent,
                                       const char* key) {
    std::vector<std::string> names = TRY(opt_strings(caps, parent, key));
    std::vector<int> out;
    for (size_t i = 0; i < names.size(); ++i) {
        std::optional<int> cap = capability_number(names[i]);
        if (!cap)
            return spec_error(EINVAL, "'%s' names unknown capability '%s', refusing",
                              index_path(child_path(parent, key), i).c_str(), names[i].c_str());
        out.push_back(*cap);
    }
    return out;
}

Result<SpecCapabilities> parse_capabilities(const json_t* obj, const std::string& path) {
    TRY(check_keys(obj, path, {"bounding", "effective", "permitted", "inheritable", "ambient"}));
    SpecCapabilities caps;
    caps.bounding = TRY(parse_cap_set(obj, path, "bounding"));
    caps.effective = TRY(parse_cap_set(obj, path, "effective"));
    caps.permitted = TRY(parse_cap_set(obj, path, "permitted"));
    caps.inheritable = TRY(parse_cap_set(obj, path, "inheritable"));
    caps.ambient = TRY(parse_cap_set(obj, path, "ambient"));
    return caps;
}

Result<std::vector<SpecRlimit>> parse_rlimits(const json_t* arr, const std::string& path) {
    std::vector<SpecRlimit> out;
    std::set<int> seen;
    for (size_t i = 0; i < json_array_size(arr); ++i) {
        const json_t* obj = TRY(object_at(arr, path, i));
        std::string at = index_path(path, i);
        TRY(check_keys(obj, at, {"type", "soft", "hard"}));
        std::string type = TRY(req_string(obj, at, "type"));
        const Named* res = find_named(k_rlimits, type);
        if (!res)
            return spec_error(EINVAL, "'%s.type' names unknown rlimit '%s', refusing", at.c_str(),
                              type.c_str());
        // config.md: a duplicate type is an error, not "last one wins".
        if (!seen.insert(res->value).second)
            return spec_error(EINVAL, "'%s.type': duplicate rlimit '%s', refusing", at.c_str(),
                              type.c_str());
        SpecRlimit r;
        r.resource = res->value;
        r.soft = static_cast<uint64_t>(TRY(req_int(obj, at, "soft", 0, INT64_MAX)));
        r.hard = static_cast<uint64_t>(TRY(req_int(obj, at, "hard", 0, INT64_MAX)));
        if (r.soft > r.hard)
            return spec_error(EINVAL, "'%s': soft limit above the hard limit, refusing",
                              at.c_str());
        out.push_back(r);
    }
    return out;
}

Result<SpecUser> parse_user(const json_t* obj, const std::string& path) {
    // username is Windows-only.
    TRY(check_keys(obj, path, {"uid", "gid", "umask", "additionalGids"}, {"username"}));
    SpecUser user;
    user.uid = static_cast<uint32_t>(TRY(req_int(obj, path, "uid", 0, k_u32_max)));
    user.gid = static_cast<uint32_t>(TRY(req_int(obj, path, "gid", 0, k_u32_max)));
    if (auto umask = TRY(opt_int(obj, path, "umask", 0, 0777))) user.umask = *umask;
    const json_t* gids = TRY(opt_array(obj, path, "additionalGids"));
    std::string gids_path = child_path(path, "additionalGids");
    for (size_t i = 0; gids && i < json_array_size(gids); ++i) {
        const json_t* g = json_array_get(gids, i);
        if (!json_is_integer(g) || json_integer_value(g) < 0 || json_integer_value(g) > k_u32_max)
            return spec_error(EBADMSG, "'%s' is not a group id", index_path(gids_path, i).c_str());
        user.additional_gids.push_back(static_cast<uint32_t>(json_integer_value(g)));
    }
    return user;
}

// Refused when set to anything: the runner has no LSM support yet.
Status refuse_label(const json_t* obj, const std::string& parent, const char* key) {
    auto label = TRY(opt_string(obj, parent, key));
    if (label && !label->empty())
        return spec_error(EOPNOTSUPP, "'%s' is not supported, refusing",
                          child_path(parent, key).c_str());
    return {};
}

Result<SpecProcess> parse_process(const json_t* obj) {
    const std::string path = "process";
    TRY(check_keys(obj, path,
                   {"terminal", "user", "args", "env", "cwd", "capabilities", "rlimits",
                    "noNewPrivileges", "oomScoreAdj", "apparmorProfile", "selinuxLabel"},
                   {"consoleSize", "commandLine", "ioPriority", "scheduler", "execCPUAffinity"}));
    SpecProcess p;
    p.terminal = TRY(opt_bool(obj, path, "terminal")).value_or(false);
    p.user = TRY(parse_user(TRY(req_object(obj, path, "user")), "process.user"));
    p.args = TRY(opt_strings(obj, path, "args"));
    if (p.args.empty()) return spec_error(EINVAL, "'process.args' is empty or missing, refusing");
    p.env = TRY(opt_strings(obj, path, "env"));
    TRY(check_env(p.env, "process.env"));
    p.cwd = TRY(req_string(obj, path, "cwd"));
    TRY(check_absolute(p.cwd, "process.cwd"));
    if (const json_t* caps = TRY(opt_object(obj, path, "capabilities")))
        p.capabilities = TRY(parse_capabilities(caps, "process.capabilities"));
    if (const json_t* rl = TRY(opt_array(obj, path, "rlimits")))
        p.rlimits = TRY(parse_rlimits(rl, "process.rlimits"));
    p.no_new_privileges = TRY(opt_bool(obj, path, "noNewPrivileges")).value_or(false);
    // config.md points at proc(5): oom_score_adj is -1000..1000.
    if (auto adj = TRY(opt_int(obj, path, "oomScoreAdj", -1000, 1000)))
        p.oom_score_adj = static_cast<int>(*adj);
    TRY(refuse_label(obj, path, "apparmorProfile"));
    TRY(refuse_label(obj, path, "selinuxLabel"));
    return p;
}

Result<std::vector<SpecMount>> parse_mounts(const json_t* arr) {
    const std::string path = "mounts";
    std::vector<SpecMount> out;
    for (size_t i = 0; i < json_array_size(arr); ++i) {
        const json_t* obj = TRY(object_at(arr, path, i));
        std::string at = index_path(path, i);
        // uidMappings/gidMappings (1.1, idmapped mounts) are not implemented.
        TRY(check_keys(obj, at, {"destination", "type", "source", "options"},
                       {"uidMappings", "gidMappings"}));
        SpecMount m;
        m.destination = TRY(req_string(obj, at, "destination"));
        TRY(check_absolute(m.destination, child_path(at, "destination")));
        m.type = TRY(opt_string(obj, at, "type")).value_or("");
        m.source = TRY(opt_string(obj, at, "source")).value_or("");
        m.options = TRY(opt_strings(obj, at, "options"));
        out.push_back(std::move(m));
    }
    return out;
}

Result<std::vector<SpecHook>> parse_hook_list(const json_t* hooks, const char* key) {
    std::vector<SpecHook> out;
    const json_t* arr = TRY(opt_array(hooks, "hooks", key));
    if (!arr) return out;
    std::string path = child_path("hooks", key);
    for (size_t i = 0; i < json_array_size(arr); ++i) {
        const json_t* obj = TRY(object_at(arr, path, i));
        std::string at = index_path(path, i);
        TRY(check_keys(obj, at, {"path", "args", "env", "timeout"}));
        SpecHook h;
        h.path = TRY(req_string(obj, at, "path"));
        TRY(check_absolute(h.path, child_path(at, "path")));
        h.args = TRY(opt_strings(obj, at, "args"));
        h.env = TRY(opt_strings(obj, at, "env"));
        TRY(check_env(h.env, child_path(at, "env")));
        // config.md: timeout, when set, is greater than zero.
        if (auto t = TRY(opt_int(obj, at, "timeout", 1, INT32_MAX)))
            h.timeout = static_cast<int>(*t);
        out.push_back(std::move(h));
    }
    return out;
}

Result<SpecHooks> parse_hooks(const json_t* obj) {
    TRY(check_keys(obj, "hooks",
                   {"prestart", "createRuntime", "createContainer", "startContainer", "poststart",
                    "poststop"}));
    SpecHooks h;
    h.prestart = TRY(parse_hook_list(obj, "prestart"));
    h.create_runtime = TRY(parse_hook_list(obj, "createRuntime"));
    h.create_container = TRY(parse_hook_list(obj, "createContainer"));
    h.start_container = TRY(parse_hook_list(obj, "startContainer"));
    h.poststart = TRY(parse_hook_list(obj, "poststart"));
    h.poststop = TRY(parse_hook_list(obj, "poststop"));
    return h;
}

Result<std::map<std::string, std::string>> parse_annotations(const json_t* obj) {
    std::map<std::string, std::string> out;
    const char* key;
    const json_t* value;
    json_object_foreach(const_cast<json_t*>(obj), key, value) {
        std::string path = child_path("annotations", key);
        // config.md: keys MUST NOT be empty.
        if (!*key) return spec_error(EINVAL, "'annotations' has an empty key, refusing");
        if (!json_is_string(value))
            return spec_error(EBADMSG, "'%s' is not a string", path.c_str());
        out.emplace(key, std::string(json_string_value(value), json_string_length(value)));
    }
    return out;
}

// config.md: ociVersion is SemVer; the fields read here are those of 1.0.x, and 1.1 only added
// fields that are refused by name. Anything else may mean something this parser cannot know.
Status check_version(const std::string& v) {
    if (v.rfind("1.0.", 0) == 0 || v.rfind("1.1.", 0) == 0) return {};
    return spec_error(EOPNOTSUPP, "ociVersion '%s' is not supported (1.0.x or 1.1.x), refusing",
                      v.c_str());
}

}  // namespace

Result<RuntimeSpec> parse_runtime_spec(std::string_view json) {
    JsonPtr doc = TRY(json_parse(json, "config.json"));
    const json_t* top = doc.get();
    if (!json_is_object(top)) return spec_error(EBADMSG, "the document is not an object");
    TRY(check_keys(top, "",
                   {"ociVersion", "root", "process", "hostname", "domainname", "mounts", "hooks",
                    "annotations", "linux"},
                   {"solaris", "windows", "vm", "zos"}));
    RuntimeSpec spec;
    spec.oci_version = TRY(req_string(top, "", "ociVersion"));
    TRY(check_version(spec.oci_version));

    const json_t* root = TRY(req_object(top, "", "root"));
    TRY(check_keys(root, "root", {"path", "readonly"}));
    spec.root_path = TRY(req_string(root, "root", "path"));
    if (spec.root_path.empty()) return spec_error(EINVAL, "'root.path' is empty, refusing");
    spec.root_readonly = TRY(opt_bool(root, "root", "readonly")).value_or(false);

    spec.hostname = TRY(opt_string(top, "", "hostname")).value_or("");
    spec.domainname = TRY(opt_string(top, "", "domainname")).value_or("");
    spec.process = TRY(parse_process(TRY(req_object(top, "", "process"))));
    if (const json_t* mounts = TRY(opt_array(top, "", "mounts")))
        spec.mounts = TRY(parse_mounts(mounts));
    if (const json_t* hooks = TRY(opt_object(top, "", "hooks")))
        spec.hooks = TRY(parse_hooks(hooks));
    if (const json_t* ann = TRY(opt_object(top, "", "annotations")))
        spec.annotations = TRY(parse_annotations(ann));
    if (const json_t* lx = TRY(opt_object(top, "", "linux")))
        spec.linux_config = TRY(parse_linux(lx));
    return spec;
}

}  // namespace ocipod
