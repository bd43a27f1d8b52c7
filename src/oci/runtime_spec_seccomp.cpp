// config.json's "linux.seccomp" (runtime-spec config-linux.md "Seccomp"), read strictly: action,
// operator, architecture and flag names are checked against the names libseccomp and the kernel
// know, so a typo is refused here rather than turned into a weaker filter later.
#include <cstdint>

#include "oci/runtime_spec.hpp"
#include "oci/runtime_spec_fields.hpp"

namespace ocipod::spec {

namespace {

// SCMP_ACT_NOTIFY is left out: it needs listenerPath, which is refused.
constexpr const char* k_actions[] = {
    "SCMP_ACT_KILL",  "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP",
    "SCMP_ACT_ERRNO", "SCMP_ACT_TRACE",        "SCMP_ACT_ALLOW",       "SCMP_ACT_LOG",
};

constexpr const char* k_operators[] = {
    "SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE",        "SCMP_CMP_EQ",
    "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ",
};

constexpr const char* k_architectures[] = {
    "SCMP_ARCH_X86",     "SCMP_ARCH_X86_64",   "SCMP_ARCH_X32",         "SCMP_ARCH_ARM",
    "SCMP_ARCH_AARCH64", "SCMP_ARCH_MIPS",     "SCMP_ARCH_MIPS64",      "SCMP_ARCH_MIPS64N32",
    "SCMP_ARCH_MIPSEL",  "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC",
    "SCMP_ARCH_PPC64",   "SCMP_ARCH_PPC64LE",  "SCMP_ARCH_S390",        "SCMP_ARCH_S390X",
    "SCMP_ARCH_PARISC",  "SCMP_ARCH_PARISC64", "SCMP_ARCH_RISCV64",     "SCMP_ARCH_LOONGARCH64",
    "SCMP_ARCH_M68K",    "SCMP_ARCH_SH",       "SCMP_ARCH_SHEB",
};

constexpr const char* k_flags[] = {
    "SECCOMP_FILTER_FLAG_TSYNC",
    "SECCOMP_FILTER_FLAG_LOG",
    "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
    "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
};

template <size_t N>
Status check_name(const std::string& name, const char* const (&known)[N], const std::string& path,
                  const char* what) {
    for (const char* k : known)
        if (name == k) return {};
    return spec_error(EINVAL, "'%s' names unknown %s '%s', refusing", path.c_str(), what,
                      name.c_str());
}

template <size_t N>
Status check_names(const std::vector<std::string>& names, const char* const (&known)[N],
                   const std::string& path, const char* what) {
    for (size_t i = 0; i < names.size(); ++i)
        TRY(check_name(names[i], known, index_path(path, i), what));
    return {};
}

// The errno travels in SECCOMP_RET_DATA, 16 bits wide.
Result<std::optional<unsigned>> errno_ret(const json_t* obj, const std::string& path,
                                          const char* key) {
    auto v = TRY(opt_int(obj, path, key, 0, UINT16_MAX));
    if (!v) return std::optional<unsigned>();
    return std::optional<unsigned>(static_cast<unsigned>(*v));
}

Result<std::vector<SpecSeccompArg>> parse_args(const json_t* arr, const std::string& path) {
    std::vector<SpecSeccompArg> out;
    for (size_t i = 0; i < json_array_size(arr); ++i) {
        const json_t* obj = TRY(object_at(arr, path, i));
        std::string at = index_path(path, i);
        TRY(check_keys(obj, at, {"index", "value", "valueTwo", "op"}));
        SpecSeccompArg a;
        // Six syscall arguments (seccomp_data.args).
        a.index = static_cast<unsigned>(TRY(req_int(obj, at, "index", 0, 5)));
        a.value = static_cast<uint64_t>(TRY(req_int(obj, at, "value", 0, INT64_MAX)));
        a.value_two =
            static_cast<uint64_t>(TRY(opt_int(obj, at, "valueTwo", 0, INT64_MAX)).value_or(0));
        a.op = TRY(req_string(obj, at, "op"));
        TRY(check_name(a.op, k_operators, child_path(at, "op"), "operator"));
        out.push_back(std::move(a));
    }
    return out;
}

Result<std::vector<SpecSeccompRule>> parse_syscalls(const json_t* arr, const std::string& path) {
    std::vector<SpecSeccompRule> out;
    for (size_t i = 0; i < json_array_size(arr); ++i) {
        const json_t* obj = TRY(object_at(arr, path, i));
        std::string at = index_path(path, i);
        TRY(check_keys(obj, at, {"names", "action", "errnoRet", "args"}));
        SpecSeccompRule r;
        r.names = TRY(opt_strings(obj, at, "names"));
        if (r.names.empty())
            return spec_error(EINVAL, "'%s.names' is empty or missing, refusing", at.c_str());
        r.action = TRY(req_string(obj, at, "action"));
        TRY(check_name(r.action, k_actions, child_path(at, "action"), "seccomp action"));
        r.errno_ret = TRY(errno_ret(obj, at, "errnoRet"));
        if (const json_t* args = TRY(opt_array(obj, at, "args")))
            r.args = TRY(parse_args(args, child_path(at, "args")));
        out.push_back(std::move(r));
    }
    return out;
}

}  // namespace

Result<SpecSeccomp> parse_seccomp(const json_t* obj, const std::string& path) {
    TRY(check_keys(obj, path,
                   {"defaultAction", "defaultErrnoRet", "architectures", "flags", "syscalls"},
                   {"listenerPath", "listenerMetadata"}));
    SpecSeccomp s;
    s.default_action = TRY(req_string(obj, path, "defaultAction"));
    TRY(check_name(s.default_action, k_actions, child_path(path, "defaultAction"),
                   "seccomp action"));
    s.default_errno_ret = TRY(errno_ret(obj, path, "defaultErrnoRet"));
    s.architectures = TRY(opt_strings(obj, path, "architectures"));
    TRY(check_names(s.architectures, k_architectures, child_path(path, "architectures"),
                    "architecture"));
    s.flags = TRY(opt_strings(obj, path, "flags"));
    TRY(check_names(s.flags, k_flags, child_path(path, "flags"), "seccomp flag"));
    if (const json_t* calls = TRY(opt_array(obj, path, "syscalls")))
        s.syscalls = TRY(parse_syscalls(calls, child_path(path, "syscalls")));
    return s;
}

}  // namespace ocipod::spec
