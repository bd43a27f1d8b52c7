// `oci-pod run -d`: the pod handed to systemd as a transient service (StartTransientUnit over
// D-Bus, like `systemd-run --unit=oci-pod-NAME.service`), so systemd supervises it, its output
// goes to the journal, and inside it the runner takes the "unit" placement (RegisterMachine).
#pragma once

#include <string>
#include <vector>

#include "base/result.hpp"
#include "run/unit_properties.hpp"

namespace ocipod {

struct TransientService {
    std::string unit;  // "oci-pod-NAME.service"
    std::string description;
    std::vector<std::string> argv;  // ExecStart (argv[0] absolute)
    std::vector<std::string> environment;
    std::vector<UnitProperty> properties;  // resource limits
    int stop_timeout_sec = 10;             // TimeoutStopSec
    // Fixed: Type=exec, KillMode=mixed, Delegate=yes, CollectMode=inactive-or-failed,
    // StandardOutput/StandardError=journal, SyslogIdentifier=NAME.
};

// Starts the unit and waits for the job to finish (JobRemoved); an existing active unit of that
// name is EEXIST; a failed start returns the job result and the unit's status text.
Status start_transient_service(const TransientService& service);

// StopUnit(unit, "replace") and wait for the job; ENOENT when the unit is not loaded.
Status stop_unit(const std::string& unit);

// SetUnitProperties(unit, runtime=true, properties): limits on a running unit, kept until it
// stops (as `systemctl set-property --runtime`).
Status set_unit_properties(const std::string& unit, const std::vector<UnitProperty>& properties);

// "active", "failed", "inactive", ... (ActiveState), or ENOENT.
Result<std::string> unit_active_state(const std::string& unit);

}  // namespace ocipod
