// A pod as seen by systemd (DESIGN.md §6): registered with systemd-machined so `machinectl list`
// shows it, in a cgroup systemd manages, with the pod's resource limits on that unit.
//
// Two placements:
//   - scope: the runner was started from a shell (its cgroup is not a service's). machined's
//     CreateMachineWithNetwork-less CreateMachine(name, id, "oci-pod", "container", leader, root,
//     properties) creates machine-NAME.scope for the leader with the unit properties; the reply
//     comes once the scope runs.
//   - unit: the runner is the main process of a service ($INVOCATION_ID set and /proc/self/cgroup
//     names a .service). The leader is moved into a "payload" sub-cgroup of that unit (needs
//     Delegate=yes; without delegation the leader stays in the unit's cgroup), then
//     RegisterMachine(name, id, "oci-pod", "container", leader, root); machined finds the unit
//     from the leader's cgroup.
//   - none: systemd is not PID 1 (sd_booted() false): nothing is registered; the caller prints
//     one warning line.
// Registration happens while the leader is still blocked on the sync channel, so nothing of the
// pod runs outside its cgroup.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "base/result.hpp"
#include "run/unit_properties.hpp"

namespace ocipod {

enum class SystemdPlacement { none, scope, unit };

// From sd_booted(), $INVOCATION_ID and /proc/self/cgroup.
SystemdPlacement detect_systemd_placement();

// The unit this process runs in ("oci-pod@web.service"), from /proc/self/cgroup.
std::string own_unit();

struct MachineRequest {
    std::string name;                      // a valid machine name (hostname rules, <= 64 chars)
    std::string root_directory;            // host path of the pod's rootfs
    pid_t leader = 0;                      // the pod's init
    std::vector<UnitProperty> properties;  // scope placement only
    std::string description;               // scope Description=
};

struct MachineRegistration {
    std::string name;
    std::string unit;  // machine-NAME.scope, or the service the runner runs in
    bool registered = false;
};

// A machine of the same name left by a dead pod (its leader no longer exists or its unit is
// gone) is terminated first; a live one makes this fail with EEXIST naming it.
Result<MachineRegistration> register_machine(const MachineRequest& request,
                                             SystemdPlacement placement);

// UnregisterMachine (machined also drops machines whose scope ended; ENOENT/"no such machine"
// is not an error). Safe to call on an unregistered registration.
Status unregister_machine(MachineRegistration& registration);

// Machine names follow machined's rules: hostname characters, 1..64 chars, no leading '-'/'.'.
bool is_valid_machine_name(const std::string& name);

}  // namespace ocipod
