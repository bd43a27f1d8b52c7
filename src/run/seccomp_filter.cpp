// linux.seccomp compiled with libseccomp. The names were checked by the config parser
// (runtime_spec_seccomp.cpp); here they become libseccomp values. The filter is loaded without
// libseccomp setting no_new_privs (SCMP_FLTATR_CTL_NNP off): the runner sets it itself, when the
// spec asks, before loading (THREATS §2.6).
#include "run/seccomp_filter.hpp"

#include <seccomp.h>

#include <cctype>
#include <cstring>

namespace ocipod {

struct SeccompFilter::Impl {
    scmp_filter_ctx ctx = nullptr;
    ~Impl() {
        if (ctx) seccomp_release(ctx);
    }
};

SeccompFilter::SeccompFilter() : impl_(std::make_unique<Impl>()) {}
SeccompFilter::~SeccompFilter() = default;
SeccompFilter::SeccompFilter(SeccompFilter&&) noexcept = default;
SeccompFilter& SeccompFilter::operator=(SeccompFilter&&) noexcept = default;

Status SeccompFilter::load() {
    if (!impl_ || !impl_->ctx) return make_error(EINVAL, "loading an empty seccomp filter");
    int rc = seccomp_load(impl_->ctx);
    if (rc < 0) return errno_error_code(-rc, "loading the seccomp filter");
    return {};
}

namespace {

// The errno of SCMP_ACT_ERRNO and SCMP_ACT_TRACE when the spec gives none.
constexpr unsigned default_errno = EPERM;

Result<uint32_t> action_value(const std::string& action, std::optional<unsigned> errno_ret) {
    unsigned ret = errno_ret.value_or(default_errno);
    if (action == "SCMP_ACT_ALLOW") return uint32_t(SCMP_ACT_ALLOW);
    if (action == "SCMP_ACT_ERRNO") return uint32_t(SCMP_ACT_ERRNO(ret));
    if (action == "SCMP_ACT_TRACE") return uint32_t(SCMP_ACT_TRACE(ret));
    if (action == "SCMP_ACT_KILL") return uint32_t(SCMP_ACT_KILL);
    if (action == "SCMP_ACT_KILL_THREAD") return uint32_t(SCMP_ACT_KILL_THREAD);
    if (action == "SCMP_ACT_KILL_PROCESS") return uint32_t(SCMP_ACT_KILL_PROCESS);
    if (action == "SCMP_ACT_TRAP") return uint32_t(SCMP_ACT_TRAP);
    if (action == "SCMP_ACT_LOG") return uint32_t(SCMP_ACT_LOG);
    return make_error(EINVAL, "unknown seccomp action '%s', refusing", action.c_str());
}

Result<scmp_compare> compare_op(const std::string& op) {
    if (op == "SCMP_CMP_NE") return SCMP_CMP_NE;
    if (op == "SCMP_CMP_LT") return SCMP_CMP_LT;
    if (op == "SCMP_CMP_LE") return SCMP_CMP_LE;
    if (op == "SCMP_CMP_EQ") return SCMP_CMP_EQ;
    if (op == "SCMP_CMP_GE") return SCMP_CMP_GE;
    if (op == "SCMP_CMP_GT") return SCMP_CMP_GT;
    if (op == "SCMP_CMP_MASKED_EQ") return SCMP_CMP_MASKED_EQ;
    return make_error(EINVAL, "unknown seccomp operator '%s', refusing", op.c_str());
}

// "SCMP_ARCH_X86_64" -> libseccomp's "x86_64".
Result<uint32_t> arch_value(const std::string& name) {
    constexpr std::string_view prefix = "SCMP_ARCH_";
    std::string short_name;
    if (name.compare(0, prefix.size(), prefix) == 0)
        for (char c : name.substr(prefix.size()))
            short_name += static_cast<char>(tolower(static_cast<unsigned char>(c)));
    uint32_t arch = short_name.empty() ? 0 : seccomp_arch_resolve_name(short_name.c_str());
    if (arch == 0)
        return make_error(ENOTSUP, "seccomp architecture '%s' is not known to libseccomp, refusing",
                          name.c_str());
    return arch;
}

Status set_attr(scmp_filter_ctx ctx, scmp_filter_attr attr, uint32_t value, const char* what) {
    int rc = seccomp_attr_set(ctx, attr, value);
    if (rc < 0) return errno_error_code(-rc, "setting the seccomp attribute for %s", what);
    return {};
}

Status apply_flags(scmp_filter_ctx ctx, const std::vector<std::string>& flags) {
    for (const std::string& flag : flags) {
        if (flag == "SECCOMP_FILTER_FLAG_TSYNC") {
            TRY(set_attr(ctx, SCMP_FLTATR_CTL_TSYNC, 1, flag.c_str()));
        } else if (flag == "SECCOMP_FILTER_FLAG_LOG") {
            TRY(set_attr(ctx, SCMP_FLTATR_CTL_LOG, 1, flag.c_str()));
        } else if (flag == "SECCOMP_FILTER_FLAG_SPEC_ALLOW") {
            TRY(set_attr(ctx, SCMP_FLTATR_CTL_SSB, 1, flag.c_str()));
        } else {
            // WAIT_KILLABLE_RECV only concerns user notification (SCMP_ACT_NOTIFY), which the
            // config parser refuses.
            return make_error(ENOTSUP, "seccomp flag '%s' is not supported, refusing",
                              flag.c_str());
        }
    }
    return {};
}

// One rule for one syscall. Comparisons of different arguments must all hold (one libseccomp
// rule); several comparisons of the same argument are alternatives, one rule each, since
// libseccomp cannot AND two of them on one argument (runc and crun read the spec the same way).
Status add_rule(scmp_filter_ctx ctx, uint32_t action, int nr,
                const std::vector<scmp_arg_cmp>& cmps) {
    bool same_arg = false;
    for (size_t i = 0; i < cmps.size() && !same_arg; ++i)
        for (size_t j = i + 1; j < cmps.size(); ++j)
            if (cmps[i].arg == cmps[j].arg) same_arg = true;
    if (!same_arg) {
        int rc = seccomp_rule_add_array(ctx, action, nr, static_cast<unsigned>(cmps.size()),
                                        cmps.empty() ? nullptr : cmps.data());
        if (rc < 0) return errno_error_code(-rc, "adding the rule");
        return {};
    }
    for (const scmp_arg_cmp& cmp : cmps) {
        int rc = seccomp_rule_add_array(ctx, action, nr, 1, &cmp);
        if (rc < 0) return errno_error_code(-rc, "adding the rule for argument %u", cmp.arg);
    }
    return {};
}

Status add_rules(scmp_filter_ctx ctx, uint32_t default_action,
                 const std::vector<SpecSeccompRule>& rules) {
    for (size_t i = 0; i < rules.size(); ++i) {
        const SpecSeccompRule& rule = rules[i];
        uint32_t action = TRY_WRAP(action_value(rule.action, rule.errno_ret),
                                   strf("linux.seccomp.syscalls[%zu]", i));
        // libseccomp refuses a rule that repeats the default action; it changes nothing anyway.
        if (action == default_action) continue;
        std::vector<scmp_arg_cmp> cmps;
        for (const SpecSeccompArg& a : rule.args) {
            scmp_compare op = TRY_WRAP(compare_op(a.op), strf("linux.seccomp.syscalls[%zu]", i));
            // SCMP_CMP_MASKED_EQ: value is the mask, valueTwo the value compared after masking.
            cmps.push_back(scmp_arg_cmp{a.index, op, a.value, a.value_two});
        }
        for (const std::string& name : rule.names) {
            // A name this libseccomp does not know (a newer syscall) is skipped, as runc and crun
            // do, so one profile serves several versions.
            int nr = seccomp_syscall_resolve_name(name.c_str());
            if (nr == __NR_SCMP_ERROR) continue;
            TRY_WRAP(add_rule(ctx, action, nr, cmps),
                     strf("linux.seccomp.syscalls[%zu] '%s'", i, name.c_str()));
        }
    }
    return {};
}

}  // namespace

Result<SeccompFilter> compile_seccomp(const SpecSeccomp& spec) {
    uint32_t default_action = TRY_WRAP(action_value(spec.default_action, spec.default_errno_ret),
                                       "linux.seccomp.defaultAction");
    SeccompFilter filter;
    filter.impl_->ctx = seccomp_init(default_action);
    if (!filter.impl_->ctx)
        return make_error(EINVAL, "creating a seccomp filter with default action '%s'",
                          spec.default_action.c_str());
    scmp_filter_ctx ctx = filter.impl_->ctx;
    TRY(set_attr(ctx, SCMP_FLTATR_CTL_NNP, 0, "no_new_privs"));
    for (const std::string& name : spec.architectures) {
        uint32_t arch = TRY(arch_value(name));
        int rc = seccomp_arch_add(ctx, arch);
        // EEXIST: the native architecture, which every filter has.
        if (rc < 0 && rc != -EEXIST)
            return errno_error_code(-rc, "adding seccomp architecture '%s'", name.c_str());
    }
    TRY(apply_flags(ctx, spec.flags));
    TRY(add_rules(ctx, default_action, spec.syscalls));
    return filter;
}

}  // namespace ocipod
