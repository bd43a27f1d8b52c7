// linux.resources.devices (runtime-spec config-linux.md "Allowed Device List") enforced through
// the cgroup v1 devices controller, for pods that systemd does not place (--no-machine, or no
// systemd as PID 1): nothing else would stop an application with CAP_MKNOD, or one given a
// bind-mounted host device node, from opening it (THREATS §2). The pod's init is moved into
// /sys/fs/cgroup/devices/oci-pod/ID while it is still blocked before "go", so no pod process ever
// runs outside the policy. On a host without a v1 devices hierarchy there is nothing to write
// to: the caller is told, and tells the user.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "base/result.hpp"
#include "oci/runtime_spec.hpp"

namespace ocipod {

// One line for devices.allow (allow) or devices.deny.
struct DeviceCgroupWrite {
    bool allow = false;
    std::string rule;  // "a", "c 1:3 rwm", "c 136:* rw"
    bool operator==(const DeviceCgroupWrite&) const = default;
};

// What is written, in order: "a" to devices.deny; the config's rules in order (a type 'a' rule
// is "a" alone; absent major/minor are '*'; empty access is "rwm"); then the device nodes the
// runtime itself creates in the pod's /dev (null zero full random urandom tty ptmx and the pts),
// as runc does. Never "c *:* m". EINVAL for a rule the kernel would not take.
Result<std::vector<DeviceCgroupWrite>> device_cgroup_writes(
    const std::vector<SpecDeviceRule>& rules);

// false: no writable v1 devices hierarchy (a cgroup2-only host), nothing done.
Result<bool> apply_device_cgroup(const std::string& id, pid_t pid,
                                 const std::vector<SpecDeviceRule>& rules);

// Remove the pod's devices cgroup, if there is one, waiting briefly for its tasks to leave.
void remove_device_cgroup(const std::string& id);

}  // namespace ocipod
