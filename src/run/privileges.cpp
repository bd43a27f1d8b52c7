// Resource limits, the OOM score, and the identity and capability sets of the pod's application
// (runtime-spec config.md "POSIX process"), in the order the kernel needs: every step that needs
// a capability comes before the step that gives it up. linux.sysctl lives in sysctl.cpp.
#include "run/privileges.hpp"

#include <fcntl.h>
#include <grp.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <cctype>
#include <cstdint>
#include <cstdlib>

#include "base/unique_fd.hpp"
#include "render/in_root.hpp"

namespace ocipod {

namespace {

const char* rlimit_name(int resource) {
    switch (resource) {
        case RLIMIT_CPU:
            return "RLIMIT_CPU";
        case RLIMIT_FSIZE:
            return "RLIMIT_FSIZE";
        case RLIMIT_DATA:
            return "RLIMIT_DATA";
        case RLIMIT_STACK:
            return "RLIMIT_STACK";
        case RLIMIT_CORE:
            return "RLIMIT_CORE";
        case RLIMIT_RSS:
            return "RLIMIT_RSS";
        case RLIMIT_NPROC:
            return "RLIMIT_NPROC";
        case RLIMIT_NOFILE:
            return "RLIMIT_NOFILE";
        case RLIMIT_MEMLOCK:
            return "RLIMIT_MEMLOCK";
        case RLIMIT_AS:
            return "RLIMIT_AS";
        case RLIMIT_LOCKS:
            return "RLIMIT_LOCKS";
        case RLIMIT_SIGPENDING:
            return "RLIMIT_SIGPENDING";
        case RLIMIT_MSGQUEUE:
            return "RLIMIT_MSGQUEUE";
        case RLIMIT_NICE:
            return "RLIMIT_NICE";
        case RLIMIT_RTPRIO:
            return "RLIMIT_RTPRIO";
        case RLIMIT_RTTIME:
            return "RLIMIT_RTTIME";
        default:
            return "RLIMIT_?";
    }
}

// "CAP_NET_RAW" for errors, as the spec spells it; libcap knows the names of this kernel.
std::string cap_name(int cap) {
    char* name = cap_to_name(static_cast<cap_value_t>(cap));
    if (!name) return "capability " + std::to_string(cap);
    std::string out;
    for (const char* p = name; *p; ++p)
        out += static_cast<char>(toupper(static_cast<unsigned char>(*p)));
    cap_free(name);
    return out;
}

// The highest capability the running kernel knows. PR_CAPBSET_READ answers EINVAL above it, and
// it needs no /proc (the pod's /proc may be masked by now). A kernel older than these headers
// knows fewer; a newer one more, which are dropped from the bounding set all the same.
int kernel_last_cap() {
    int last = -1;
    for (int cap = 0; cap < 64; ++cap) {
        if (prctl(PR_CAPBSET_READ, cap, 0, 0, 0) < 0) break;
        last = cap;
    }
    return last;
}

// A capability set as the kernel's two 32-bit words; numbers the kernel does not know are left
// out, so a spec written for a newer kernel never grants more than this one has.
uint64_t cap_mask(const std::vector<int>& caps, int last_cap) {
    uint64_t mask = 0;
    for (int cap : caps)
        if (cap >= 0 && cap <= last_cap) mask |= uint64_t(1) << cap;
    return mask;
}

bool has_cap(const std::vector<int>& caps, int cap) {
    for (int c : caps)
        if (c == cap) return true;
    return false;
}

Status drop_bounding(const std::vector<int>& bounding, int last_cap) {
    for (int cap = 0; cap <= last_cap; ++cap) {
        if (has_cap(bounding, cap)) continue;
        // EINVAL: the kernel does not know this one, nothing to drop.
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
            return errno_error("dropping '%s' from the bounding set", cap_name(cap).c_str());
    }
    return {};
}

// capset(2) directly: one call sets all three sets of this thread, no allocation.
Status set_cap_sets(uint64_t effective, uint64_t permitted, uint64_t inheritable) {
    struct __user_cap_header_struct header = {};
    header.version = _LINUX_CAPABILITY_VERSION_3;
    header.pid = 0;
    struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
    for (int i = 0; i < _LINUX_CAPABILITY_U32S_3; ++i) {
        data[i].effective = static_cast<uint32_t>(effective >> (32 * i));
        data[i].permitted = static_cast<uint32_t>(permitted >> (32 * i));
        data[i].inheritable = static_cast<uint32_t>(inheritable >> (32 * i));
    }
    if (syscall(SYS_capset, &header, data) < 0)
        return errno_error("setting the effective, permitted and inheritable capabilities");
    return {};
}

// PR_CAP_AMBIENT_RAISE for each; the kernel would refuse one that is not both permitted and
// inheritable with a bare EPERM, so say which and why first (THREATS §2.4, runc#4367).
Status raise_ambient(const SpecCapabilities& caps, int last_cap) {
    for (int cap : caps.ambient) {
        if (!has_cap(caps.permitted, cap) || !has_cap(caps.inheritable, cap))
            return make_error(EPERM,
                              "ambient capability '%s' is not both permitted and inheritable, "
                              "refusing",
                              cap_name(cap).c_str());
        if (cap > last_cap) continue;  // unknown to this kernel: never granted
        if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0)
            return errno_error("raising ambient capability '%s'", cap_name(cap).c_str());
    }
    return {};
}

Status set_ids(const SpecUser& user) {
    // An empty list still calls setgroups: the host's supplementary groups must not follow the
    // application into the pod.
    std::vector<gid_t> groups(user.additional_gids.begin(), user.additional_gids.end());
    if (setgroups(groups.size(), groups.data()) < 0)
        return errno_error("setting %zu supplementary groups", groups.size());
    if (setresgid(user.gid, user.gid, user.gid) < 0)
        return errno_error("setting gid %u", static_cast<unsigned>(user.gid));
    if (setresuid(user.uid, user.uid, user.uid) < 0)
        return errno_error("setting uid %u", static_cast<unsigned>(user.uid));
    return {};
}

}  // namespace

Status apply_rlimits(const std::vector<SpecRlimit>& rlimits) {
    for (const SpecRlimit& r : rlimits) {
        struct rlimit rl = {};
        rl.rlim_cur = static_cast<rlim_t>(r.soft);
        rl.rlim_max = static_cast<rlim_t>(r.hard);
        if (setrlimit(static_cast<__rlimit_resource>(r.resource), &rl) < 0)
            return errno_error("setting %s to %llu:%llu", rlimit_name(r.resource),
                               static_cast<unsigned long long>(r.soft),
                               static_cast<unsigned long long>(r.hard));
    }
    return {};
}

Status apply_oom_score_adj(int value) {
    // The file is reached beneath a /proc verified to be procfs, without symlinks other than
    // "self" and without crossing a mount, so a file bind-mounted over it cannot take the write
    // (CVE-2025-52881).
    int proc = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (proc < 0) return errno_error("opening '/proc'");
    UniqueFd proc_fd(proc);
    struct statfs sfs = {};
    if (fstatfs(proc_fd.get(), &sfs) < 0) return errno_error("statfs '/proc'");
    if (sfs.f_type != PROC_SUPER_MAGIC)
        return make_error(EXDEV, "'/proc' is not a procfs, refusing to write oom_score_adj");
    UniqueFd fd = TRY_WRAP(openat2_fd(proc_fd.get(), "self/oom_score_adj", O_WRONLY,
                                      RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV),
                           "setting oom_score_adj");
    std::string text = std::to_string(value);
    ssize_t n = write(fd.get(), text.data(), text.size());
    if (n < 0) return errno_error("setting oom_score_adj to %d", value);
    if (static_cast<size_t>(n) != text.size())
        return make_error(EIO, "setting oom_score_adj to %d: short write", value);
    return {};
}

Status apply_identity_and_capabilities(const SpecProcess& process) {
    static const SpecCapabilities none;
    const SpecCapabilities& caps = process.capabilities ? *process.capabilities : none;
    int last_cap = kernel_last_cap();
    if (last_cap < 0) return errno_error("reading the bounding set");

    TRY_WRAP(drop_bounding(caps.bounding, last_cap), "reducing the bounding set");
    // Keep the permitted set across the change away from uid 0; capset below then trims it.
    if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0) return errno_error("setting PR_SET_KEEPCAPS");
    TRY(set_ids(process.user));
    TRY(set_cap_sets(cap_mask(caps.effective, last_cap), cap_mask(caps.permitted, last_cap),
                     cap_mask(caps.inheritable, last_cap)));
    TRY(raise_ambient(caps, last_cap));
    if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0) return errno_error("clearing PR_SET_KEEPCAPS");
    if (process.user.umask) umask(static_cast<mode_t>(*process.user.umask & 07777));
    return {};
}

Status set_no_new_privs() {
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) return errno_error("setting no_new_privs");
    return {};
}

}  // namespace ocipod
