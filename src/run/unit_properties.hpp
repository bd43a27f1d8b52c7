// linux.resources (config-linux.md "Control groups") as systemd unit properties, so that the pod's
// scope or service carries its limits (systemd.resource-control(5)): the same list serves
// machined's CreateMachine (scope) and StartTransientUnit (`oci-pod run -d`). Pure data.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "base/result.hpp"
#include "oci/runtime_spec.hpp"

namespace ocipod {

// One property with its D-Bus type: "t" (uint64), "s" (string), "b" (bool), or "a(ss)" (the
// DeviceAllow list of (path-or-class, access)).
struct UnitProperty {
    using DeviceList = std::vector<std::pair<std::string, std::string>>;
    std::string name;
    std::variant<uint64_t, std::string, bool, DeviceList> value;
};

// memory.limit -> MemoryMax; memory.swap (memory+swap, runc's meaning) -> MemorySwapMax =
// swap - limit; cpu.quota/period -> CPUQuotaPerSecUSec = quota * 1e6 / period (period default
// 100000); cpu.shares -> CPUWeight (runc's shares-to-weight conversion); pids.limit -> TasksMax
// (-1 = infinity); blockIO.weight -> IOWeight (10..1000 -> 1..10000 linearly);
// devices -> DevicePolicy=closed plus DeviceAllow for every allow rule with a concrete type,
// major and minor ("char-pts" for 136:*, "/dev/char/M:N"-style paths as systemd accepts them);
// a deny-all first rule is what DevicePolicy=closed already means. Always: Delegate is not set.
// Values out of range are refused naming the field.
Result<std::vector<UnitProperty>> unit_properties_for(const SpecResources& resources);

}  // namespace ocipod
