#include "run/unit_properties.hpp"

#include <cinttypes>
#include <cstdint>
#include <limits>

namespace ocipod {

namespace {

// systemd's "infinity" for MemoryMax=, MemorySwapMax=, TasksMax= (UINT64_MAX on the bus).
constexpr uint64_t k_infinity = std::numeric_limits<uint64_t>::max();

Error out_of_range(const char* field, int64_t value, const char* allowed) {
    return make_error(ERANGE, "linux.resources.%s: %" PRId64 " is out of range (%s), refusing.",
                      field, value, allowed);
}

// memory.limit, memory.swap and pids.limit share runc's convention: 0 = not set, -1 = no limit.
// MemoryMax=, then MemorySwapMax= from runc's memory+swap meaning (cgroup v2 conversion: the
// swap allowance is what is left above the memory limit).
Status add_memory(const SpecResources& res, std::vector<UnitProperty>& out) {
    int64_t limit = res.memory_limit.value_or(0);
    if (limit < -1) return out_of_range("memory.limit", limit, "-1, 0 or a byte count");
    if (limit > 0) out.push_back({"MemoryMax", uint64_t(limit)});
    if (limit == -1) out.push_back({"MemoryMax", k_infinity});

    int64_t swap = res.memory_swap.value_or(0);
    if (swap == 0) return {};
    if (swap < -1) return out_of_range("memory.swap", swap, "-1, 0 or a byte count");
    if (swap == -1) {
        out.push_back({"MemorySwapMax", k_infinity});
        return {};
    }
    if (limit <= 0)
        return make_error(
            EINVAL, "linux.resources.memory.swap: a swap limit needs memory.limit, refusing.");
    if (swap < limit)
        return make_error(ERANGE,
                          "linux.resources.memory.swap: %" PRId64 " is below memory.limit %" PRId64
                          " (it counts memory plus swap), refusing.",
                          swap, limit);
    out.push_back({"MemorySwapMax", uint64_t(swap - limit)});
    return {};
}

// CPUQuotaPerSecUSec= is the quota per second of wall time; the kernel accepts a period of
// 1 ms..1 s and a quota of at least 1 ms (sched-bwc.rst), runc's -1/0 meaning "no quota".
Status add_cpu(const SpecResources& res, std::vector<UnitProperty>& out) {
    uint64_t period = res.cpu_period.value_or(0);
    if (period == 0) period = 100000;
    if (period < 1000 || period > 1000000)
        return out_of_range("cpu.period", int64_t(std::min<uint64_t>(period, INT64_MAX)),
                            "1000..1000000 microseconds");
    int64_t quota = res.cpu_quota.value_or(0);
    if (quota < -1 || (quota > 0 && quota < 1000))
        return out_of_range("cpu.quota", quota, "-1, 0 or at least 1000 microseconds");
    if (quota > 0) {
        if (uint64_t(quota) > k_infinity / 1000000)
            return out_of_range("cpu.quota", quota, "too large");
        out.push_back({"CPUQuotaPerSecUSec", uint64_t(quota) * 1000000 / period});
    }

    // runc's cgroup v2 conversion maps shares 2..262144 onto weight 1..10000:
    // 1 + ((shares - 2) * 9999) / 262142. 0 means not set.
    uint64_t shares = res.cpu_shares.value_or(0);
    if (shares != 0) {
        if (shares < 2 || shares > 262144)
            return out_of_range("cpu.shares", int64_t(std::min<uint64_t>(shares, INT64_MAX)),
                                "2..262144");
        out.push_back({"CPUWeight", 1 + ((shares - 2) * 9999) / 262142});
    }
    return {};
}

Status add_pids_and_io(const SpecResources& res, std::vector<UnitProperty>& out) {
    int64_t pids = res.pids_limit.value_or(0);
    if (pids < -1) return out_of_range("pids.limit", pids, "-1, 0 or a task count");
    if (pids > 0) out.push_back({"TasksMax", uint64_t(pids)});
    if (pids == -1) out.push_back({"TasksMax", k_infinity});

    // blkio weight 10..1000 onto IOWeight 1..10000, linearly (runc's conversion); 0 = not set.
    uint16_t weight = res.blkio_weight.value_or(0);
    if (weight != 0) {
        if (weight < 10 || weight > 1000) return out_of_range("blockIO.weight", weight, "10..1000");
        out.push_back({"IOWeight", 1 + (uint64_t(weight) - 10) * 9999 / 990});
    }
    return {};
}

// The DeviceAllow= specifier of one concrete rule: "char-pts" for every pseudo terminal
// (136:*), else the /dev/char/M:N or /dev/block/M:N form systemd resolves by number without a
// device node (systemd.resource-control(5)). Rules systemd cannot express are not allowed.
std::string device_specifier(const SpecDeviceRule& rule) {
    if (rule.type == 'c' && rule.major == 136 && !rule.minor) return "char-pts";
    if (!rule.major || !rule.minor || (rule.type != 'c' && rule.type != 'b')) return "";
    return strf("/dev/%s/%" PRId64 ":%" PRId64, rule.type == 'c' ? "char" : "block", *rule.major,
                *rule.minor);
}

// Does a rule (possibly with wildcards) cover the concrete rule `c`?
bool covers(const SpecDeviceRule& r, const SpecDeviceRule& c) {
    if (r.type != 'a' && r.type != c.type) return false;
    if (r.major && r.major != c.major) return false;
    if (r.minor && (!c.minor || r.minor != c.minor)) return false;
    return true;
}

// Does a rule cover some but not all of the devices of `c` (a deny of 136:5 after 136:*)?
bool covers_part(const SpecDeviceRule& r, const SpecDeviceRule& c) {
    return !c.minor && r.minor && (r.type == 'a' || r.type == c.type) &&
           (!r.major || r.major == c.major);
}

std::string access_of(const SpecDeviceRule& rule) {
    return rule.access.empty() ? "rwm" : rule.access;
}

std::string without(const std::string& access, const std::string& removed) {
    std::string out;
    for (char ch : access)
        if (removed.find(ch) == std::string::npos) out += ch;
    return out;
}

// The rules are applied in order, a later one overriding earlier ones (config-linux.md "Device
// allowlist"); what remains allowed becomes DeviceAllow= under DevicePolicy=closed. An allow
// rule with wildcards (runc's "c *:* m") is dropped rather than widened: closed is the safe side
// (THREATS.md §2.7). A final allow-all leaves devices unrestricted (DevicePolicy= not set).
Status add_devices(const SpecResources& res, std::vector<UnitProperty>& out) {
    if (res.devices.empty()) return {};
    struct Entry {
        SpecDeviceRule rule;
        std::string specifier, access;
    };
    std::vector<Entry> allowed;
    bool allow_all = false;
    for (size_t i = 0; i < res.devices.size(); i++) {
        const auto& rule = res.devices[i];
        if (rule.type != 'a' && rule.type != 'c' && rule.type != 'b')
            return make_error(EINVAL, "linux.resources.devices[%zu].type: '%c' is not a, c or b", i,
                              rule.type);
        if ((rule.major && *rule.major < 0) || (rule.minor && *rule.minor < 0))
            return make_error(ERANGE, "linux.resources.devices[%zu]: negative major or minor", i);
        if (rule.access.find_first_not_of("rwm") != std::string::npos)
            return make_error(EINVAL, "linux.resources.devices[%zu].access: '%s' is not rwm", i,
                              rule.access.c_str());
        bool wildcard_all = rule.type == 'a' && !rule.major && !rule.minor;
        if (!rule.allow) {
            // systemd has allow lists only: "everything but X" has no property.
            if (allow_all && !(wildcard_all && access_of(rule) == "rwm"))
                return make_error(EINVAL,
                                  "linux.resources.devices[%zu]: a deny rule after allowing every "
                                  "device has no systemd equivalent, refusing.",
                                  i);
            allow_all = false;
            for (auto& e : allowed) {
                if (covers(rule, e.rule))
                    e.access = without(e.access, access_of(rule));
                else if (covers_part(rule, e.rule))
                    return make_error(EINVAL,
                                      "linux.resources.devices[%zu]: denying part of '%s' has no "
                                      "systemd equivalent, refusing.",
                                      i, e.specifier.c_str());
            }
            continue;
        }
        if (wildcard_all && access_of(rule) == "rwm") {
            allow_all = true;
            allowed.clear();
            continue;
        }
        std::string spec = device_specifier(rule);
        if (spec.empty()) continue;
        bool merged = false;
        for (auto& e : allowed) {
            if (e.specifier != spec) continue;
            e.access += without(access_of(rule), e.access);
            merged = true;
        }
        if (!merged) allowed.push_back({rule, spec, access_of(rule)});
    }
    if (allow_all) return {};
    out.push_back({"DevicePolicy", std::string("closed")});
    UnitProperty::DeviceList list;
    for (const auto& e : allowed) {
        if (e.access.empty()) continue;
        // systemd wants the letters in r, w, m order.
        std::string ordered;
        for (char ch : std::string("rwm"))
            if (e.access.find(ch) != std::string::npos) ordered += ch;
        list.emplace_back(e.specifier, ordered);
    }
    if (!list.empty()) out.push_back({"DeviceAllow", std::move(list)});
    return {};
}

}  // namespace

Result<std::vector<UnitProperty>> unit_properties_for(const SpecResources& resources) {
    std::vector<UnitProperty> out;
    TRY(add_memory(resources, out));
    TRY(add_cpu(resources, out));
    TRY(add_pids_and_io(resources, out));
    TRY(add_devices(resources, out));
    return out;
}

}  // namespace ocipod
