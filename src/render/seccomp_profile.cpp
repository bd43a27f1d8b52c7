#include "render/seccomp_profile.hpp"

#include <errno.h>
#include <sched.h>

#include <algorithm>

namespace ocipod {

namespace {

// Refused for every pod.
constexpr const char* always_refused[] = {
    // Keyrings are not namespaced: one pod could read or fill another's (moby denies them).
    "keyctl", "add_key", "request_key",
    // Attack surface with a record of privilege escalations, of no use to a service.
    "io_uring_setup", "io_uring_enter", "io_uring_register", "userfaultfd",
    // The kernel itself: modules, kexec, reboot, swap, accounting, the kernel log.
    "init_module", "finit_module", "delete_module", "create_module", "kexec_load",
    "kexec_file_load", "reboot", "swapon", "swapoff", "acct", "syslog", "quotactl", "quotactl_fd",
    // File handles bypass the mount namespace's view (the "shocker" escape).
    "open_by_handle_at",
    // Obsolete interfaces.
    "uselib", "ustat", "sysfs", "_sysctl", "lookup_dcookie", "nfsservctl", "vm86", "vm86old",
    "get_kernel_syms", "query_module"};

// Refused unless the pod holds CAP_SYS_ADMIN (then it is meant to manage its own mounts and
// namespaces, as with --cap-add SYS_ADMIN under podman).
constexpr const char* admin_only[] = {
    "unshare",       "setns",    "mount",           "umount",       "umount2",   "pivot_root",
    "fsopen",        "fsconfig", "fsmount",         "fspick",       "open_tree", "move_mount",
    "mount_setattr", "bpf",      "perf_event_open", "fanotify_init"};

constexpr unsigned long clone_namespace_flags[] = {CLONE_NEWNS,    CLONE_NEWUTS, CLONE_NEWIPC,
                                                   CLONE_NEWUSER,  CLONE_NEWPID, CLONE_NEWNET,
                                                   CLONE_NEWCGROUP};

JsonPtr refuse(std::initializer_list<const char*> names, int errno_value) {
    JsonPtr rule(json_object());
    JsonPtr list(json_array());
    for (const char* n : names) json_array_append_new(list.get(), json_string(n));
    json_object_set_new(rule.get(), "names", list.release());
    json_object_set_new(rule.get(), "action", json_string("SCMP_ACT_ERRNO"));
    json_object_set_new(rule.get(), "errnoRet", json_integer(errno_value));
    return rule;
}

template <size_t N>
JsonPtr refuse_all(const char* const (&names)[N]) {
    JsonPtr rule = refuse({}, EPERM);
    json_t* list = json_object_get(rule.get(), "names");
    for (const char* n : names) json_array_append_new(list, json_string(n));
    return rule;
}

// clone(2) with FLAG set in its flags (argument 0 on x86 and arm): EPERM.
JsonPtr refuse_clone_with(unsigned long flag) {
    JsonPtr rule = refuse({"clone"}, EPERM);
    JsonPtr arg(json_object());
    json_object_set_new(arg.get(), "index", json_integer(0));
    json_object_set_new(arg.get(), "value", json_integer(json_int_t(flag)));
    json_object_set_new(arg.get(), "valueTwo", json_integer(json_int_t(flag)));
    json_object_set_new(arg.get(), "op", json_string("SCMP_CMP_MASKED_EQ"));
    JsonPtr args(json_array());
    json_array_append_new(args.get(), arg.release());
    json_object_set_new(rule.get(), "args", args.release());
    return rule;
}

// The native architecture and the ones its kernel also runs, so a 32-bit binary in the image is
// filtered by the same names instead of being killed for its architecture.
JsonPtr architectures() {
    JsonPtr a(json_array());
#if defined(__x86_64__)
    for (const char* arch : {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"})
        json_array_append_new(a.get(), json_string(arch));
#elif defined(__aarch64__)
    for (const char* arch : {"SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"})
        json_array_append_new(a.get(), json_string(arch));
#endif
    return a;
}

}  // namespace

JsonPtr default_seccomp_profile(const std::vector<std::string>& capabilities) {
    bool admin =
        std::find(capabilities.begin(), capabilities.end(), "CAP_SYS_ADMIN") != capabilities.end();
    JsonPtr rules(json_array());
    json_array_append_new(rules.get(), refuse_all(always_refused).release());
    if (!admin) {
        json_array_append_new(rules.get(), refuse_all(admin_only).release());
        // ENOSYS, not EPERM: glibc then falls back to clone, whose flags the rules below see.
        json_array_append_new(rules.get(), refuse({"clone3"}, ENOSYS).release());
        for (unsigned long flag : clone_namespace_flags)
            json_array_append_new(rules.get(), refuse_clone_with(flag).release());
    }
    JsonPtr profile(json_object());
    json_object_set_new(profile.get(), "defaultAction", json_string("SCMP_ACT_ALLOW"));
    JsonPtr arches = architectures();
    if (json_array_size(arches.get()) > 0)
        json_object_set_new(profile.get(), "architectures", arches.release());
    json_object_set_new(profile.get(), "syscalls", rules.release());
    return profile;
}

}  // namespace ocipod
