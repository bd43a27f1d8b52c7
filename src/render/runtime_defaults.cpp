// Sources for each default, so a reviewer can check them against what other runtimes ship:
//   - mounts, namespaces, rlimits and the device rule follow `runc spec` (runc 1.1.5), with the
//     cgroup namespace added (a private view of /sys/fs/cgroup, THREATS §2.6 CVE-2023-25809) and
//     /proc mounted nosuid,noexec,nodev as moby does (THREATS §2.5);
//   - masked paths: runc spec's list plus /proc/interrupts (moby) and
//     /sys/devices/virtual/powercap (containerd and moby, the RAPL energy side channel); the
//     read-only paths are the list all three share;
//   - capabilities: the 14 that moby (daemon/pkg/oci/caps/defaults.go) and containerd
//     (pkg/oci/spec.go) grant by default. containers-common's containers.conf trimmed its
//     default_capabilities to 11 in 2022, dropping AUDIT_WRITE, MKNOD and NET_RAW (its commit
//     "Rework default list of capabilities to minimal"); we keep the documented 14 so images
//     that expect Docker's set (ping, mknod in builds) behave the same.
#include "render/runtime_defaults.hpp"

#include <cctype>
#include <vector>

namespace ocipod {

namespace {

const char* const capabilities[] = {
    "CAP_CHOWN",   "CAP_DAC_OVERRIDE", "CAP_FSETID",           "CAP_FOWNER",
    "CAP_MKNOD",   "CAP_NET_RAW",      "CAP_SETGID",           "CAP_SETUID",
    "CAP_SETFCAP", "CAP_SETPCAP",      "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT",
    "CAP_KILL",    "CAP_AUDIT_WRITE",
};

const char* const masked_paths[] = {
    "/proc/acpi",        "/proc/asound",        "/proc/interrupts", "/proc/kcore",
    "/proc/keys",        "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
    "/proc/sched_debug", "/proc/scsi",          "/sys/firmware",    "/sys/devices/virtual/powercap",
};

const char* const readonly_paths[] = {
    "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
};

// Namespaces in runc spec's order, then cgroup.
const char* const namespaces[] = {"pid", "network", "ipc", "uts", "mount", "cgroup"};

struct MountDefault {
    const char* destination;
    const char* type;
    const char* source;
    std::vector<const char*> options;
};

const MountDefault mounts[] = {
    {"/proc", "proc", "proc", {"nosuid", "noexec", "nodev"}},
    // A fresh tmpfs /dev, never the image's own (THREATS §2.5, CVE-2026-41579).
    {"/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"}},
    {"/dev/pts",
     "devpts",
     "devpts",
     {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}},
    {"/dev/shm", "tmpfs", "shm", {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}},
    {"/dev/mqueue", "mqueue", "mqueue", {"nosuid", "noexec", "nodev"}},
    {"/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev", "ro"}},
    {"/sys/fs/cgroup", "cgroup", "cgroup", {"nosuid", "noexec", "nodev", "relatime", "ro"}},
};

template <size_t N>
JsonPtr string_array(const char* const (&items)[N]) {
    JsonPtr a(json_array());
    for (const char* s : items) json_array_append_new(a.get(), json_string(s));
    return a;
}

}  // namespace

JsonPtr default_capabilities() {
    return capabilities_from_names(default_capability_names());
}

std::vector<std::string> default_capability_names() {
    return {std::begin(capabilities), std::end(capabilities)};
}

JsonPtr capabilities_from_names(const std::vector<std::string>& names) {
    JsonPtr caps(json_object());
    for (const char* set : {"bounding", "effective", "permitted"})
        json_object_set_new(caps.get(), set, json_from_string_array(names).release());
    json_object_set_new(caps.get(), "inheritable", json_array());
    json_object_set_new(caps.get(), "ambient", json_array());
    return caps;
}

JsonPtr default_rlimits() {
    JsonPtr nofile(json_object());
    json_object_set_new(nofile.get(), "type", json_string("RLIMIT_NOFILE"));
    json_object_set_new(nofile.get(), "hard", json_integer(1024));
    json_object_set_new(nofile.get(), "soft", json_integer(1024));
    JsonPtr a(json_array());
    json_array_append_new(a.get(), nofile.release());
    return a;
}

JsonPtr default_mounts() {
    JsonPtr a(json_array());
    for (const auto& m : mounts) {
        JsonPtr o(json_object());
        json_object_set_new(o.get(), "destination", json_string(m.destination));
        json_object_set_new(o.get(), "type", json_string(m.type));
        json_object_set_new(o.get(), "source", json_string(m.source));
        JsonPtr opts(json_array());
        for (const char* s : m.options) json_array_append_new(opts.get(), json_string(s));
        json_object_set_new(o.get(), "options", opts.release());
        json_array_append_new(a.get(), o.release());
    }
    return a;
}

JsonPtr default_linux() {
    JsonPtr out(json_object());

    // Deny every device; the runtime adds the standard nodes it creates itself.
    JsonPtr deny(json_object());
    json_object_set_new(deny.get(), "allow", json_false());
    json_object_set_new(deny.get(), "access", json_string("rwm"));
    JsonPtr devices(json_array());
    json_array_append_new(devices.get(), deny.release());
    JsonPtr resources(json_object());
    json_object_set_new(resources.get(), "devices", devices.release());
    json_object_set_new(out.get(), "resources", resources.release());

    JsonPtr ns(json_array());
    for (const char* type : namespaces) {
        JsonPtr o(json_object());
        json_object_set_new(o.get(), "type", json_string(type));
        json_array_append_new(ns.get(), o.release());
    }
    json_object_set_new(out.get(), "namespaces", ns.release());
    json_object_set_new(out.get(), "maskedPaths", string_array(masked_paths).release());
    json_object_set_new(out.get(), "readonlyPaths", string_array(readonly_paths).release());
    return out;
}

}  // namespace ocipod
