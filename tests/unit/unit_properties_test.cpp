// linux.resources -> systemd unit properties (run/unit_properties.hpp). The expected numbers are
// worked out by hand from systemd.resource-control(5) and runc's cgroup v2 conversions, never
// taken from the code under test. Also the machine-name check of run/machine_registration.hpp,
// which guards the same registration.
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "run/machine_registration.hpp"
#include "run/unit_properties.hpp"

#include <CppUTest/TestHarness.h>

using namespace ocipod;

namespace {

constexpr uint64_t k_inf = std::numeric_limits<uint64_t>::max();

std::vector<UnitProperty> props_of(const SpecResources& r) {
    auto p = unit_properties_for(r);
    CHECK_TEXT(p.ok(), p.ok() ? "" : p.error().message.c_str());
    return p.take();
}

std::string names_of(const std::vector<UnitProperty>& props) {
    std::string out;
    for (const auto& p : props) out += (out.empty() ? "" : " ") + p.name;
    return out;
}

const UnitProperty* find(const std::vector<UnitProperty>& props, const std::string& name) {
    for (const auto& p : props)
        if (p.name == name) return &p;
    return nullptr;
}

uint64_t u64_of(const std::vector<UnitProperty>& props, const std::string& name) {
    const UnitProperty* p = find(props, name);
    CHECK_TEXT(p != nullptr, name.c_str());
    CHECK_TEXT(std::holds_alternative<uint64_t>(p->value), name.c_str());
    return std::get<uint64_t>(p->value);
}

// "/dev/char/1:3=rwm,char-pts=rw" for compact comparisons.
std::string devices_of(const std::vector<UnitProperty>& props) {
    const UnitProperty* p = find(props, "DeviceAllow");
    if (!p) return "";
    CHECK(std::holds_alternative<UnitProperty::DeviceList>(p->value));
    std::string out;
    for (const auto& [dev, access] : std::get<UnitProperty::DeviceList>(p->value))
        out += (out.empty() ? "" : ",") + dev + "=" + access;
    return out;
}

std::string policy_of(const std::vector<UnitProperty>& props) {
    const UnitProperty* p = find(props, "DevicePolicy");
    if (!p) return "";
    CHECK(std::holds_alternative<std::string>(p->value));
    return std::get<std::string>(p->value);
}

void check_refused(const SpecResources& r, const char* field) {
    auto p = unit_properties_for(r);
    CHECK_FALSE_TEXT(p.ok(), field);
    CHECK_TEXT(p.error().message.find(field) != std::string::npos, p.error().message.c_str());
    CHECK_TEXT(p.error().message.find("refusing") != std::string::npos ||
                   p.error().message.find("is not") != std::string::npos ||
                   p.error().message.find("negative") != std::string::npos,
               p.error().message.c_str());
}

SpecDeviceRule rule(bool allow, char type, std::optional<int64_t> major,
                    std::optional<int64_t> minor, const char* access) {
    SpecDeviceRule r;
    r.allow = allow;
    r.type = type;
    r.major = major;
    r.minor = minor;
    r.access = access;
    return r;
}

const std::optional<int64_t> any;

}  // namespace

TEST_GROUP(UnitProperties){};

TEST(UnitProperties, NothingSetGivesNoProperties) {
    CHECK_EQUAL(0u, props_of(SpecResources{}).size());
}

TEST(UnitProperties, MemoryLimitIsMemoryMax) {
    SpecResources r;
    r.memory_limit = 64 * 1024 * 1024;
    auto p = props_of(r);
    STRCMP_EQUAL("MemoryMax", names_of(p).c_str());
    CHECK_EQUAL(67108864u, u64_of(p, "MemoryMax"));

    r.memory_limit = -1;
    CHECK_EQUAL(k_inf, u64_of(props_of(r), "MemoryMax"));
    r.memory_limit = 0;  // runc: not set
    CHECK_EQUAL(0u, props_of(r).size());
    r.memory_limit = -2;
    check_refused(r, "memory.limit");
}

TEST(UnitProperties, SwapIsWhatMemoryPlusSwapLeavesAboveTheLimit) {
    SpecResources r;
    r.memory_limit = 64 * 1024 * 1024;
    r.memory_swap = 192 * 1024 * 1024;  // memory+swap: 128 MiB of swap
    auto p = props_of(r);
    STRCMP_EQUAL("MemoryMax MemorySwapMax", names_of(p).c_str());
    CHECK_EQUAL(134217728u, u64_of(p, "MemorySwapMax"));

    r.memory_swap = 64 * 1024 * 1024;  // equal: no swap at all
    CHECK_EQUAL(0u, u64_of(props_of(r), "MemorySwapMax"));
    r.memory_swap = -1;
    CHECK_EQUAL(k_inf, u64_of(props_of(r), "MemorySwapMax"));
    r.memory_swap = 32 * 1024 * 1024;  // below the memory limit
    check_refused(r, "memory.swap");
    r.memory_swap = -5;
    check_refused(r, "memory.swap");

    SpecResources no_limit;
    no_limit.memory_swap = 1024 * 1024;
    check_refused(no_limit, "memory.swap");
}

TEST(UnitProperties, CpuQuotaIsPerSecondOfWallTime) {
    SpecResources r;
    r.cpu_quota = 50000;
    r.cpu_period = 100000;
    auto p = props_of(r);
    STRCMP_EQUAL("CPUQuotaPerSecUSec", names_of(p).c_str());
    CHECK_EQUAL(500000u, u64_of(p, "CPUQuotaPerSecUSec"));  // half a CPU

    r.cpu_period.reset();  // default period 100 ms: 150 ms per 100 ms = 1.5 s per second
    r.cpu_quota = 150000;
    CHECK_EQUAL(1500000u, u64_of(props_of(r), "CPUQuotaPerSecUSec"));

    r.cpu_quota = 12345;  // 12345 us per 30 ms = 0.4115 CPUs
    r.cpu_period = 30000;
    CHECK_EQUAL(411500u, u64_of(props_of(r), "CPUQuotaPerSecUSec"));

    r.cpu_quota = -1;  // no quota
    CHECK_EQUAL(0u, props_of(r).size());
    r.cpu_quota = 999;
    check_refused(r, "cpu.quota");
    r.cpu_quota = -2;
    check_refused(r, "cpu.quota");
    r.cpu_quota = 50000;
    r.cpu_period = 999;
    check_refused(r, "cpu.period");
    r.cpu_period = 1000001;
    check_refused(r, "cpu.period");
}

TEST(UnitProperties, CpuSharesBecomeWeightAsRuncConvertsThem) {
    SpecResources r;
    r.cpu_shares = 1024;  // 1 + 1022 * 9999 / 262142 = 1 + 38
    auto p = props_of(r);
    STRCMP_EQUAL("CPUWeight", names_of(p).c_str());
    CHECK_EQUAL(39u, u64_of(p, "CPUWeight"));
    r.cpu_shares = 2;
    CHECK_EQUAL(1u, u64_of(props_of(r), "CPUWeight"));
    r.cpu_shares = 262144;
    CHECK_EQUAL(10000u, u64_of(props_of(r), "CPUWeight"));
    r.cpu_shares = 0;  // not set
    CHECK_EQUAL(0u, props_of(r).size());
    r.cpu_shares = 1;
    check_refused(r, "cpu.shares");
    r.cpu_shares = 262145;
    check_refused(r, "cpu.shares");
}

TEST(UnitProperties, PidsLimitIsTasksMax) {
    SpecResources r;
    r.pids_limit = 50;
    CHECK_EQUAL(50u, u64_of(props_of(r), "TasksMax"));
    r.pids_limit = -1;
    CHECK_EQUAL(k_inf, u64_of(props_of(r), "TasksMax"));
    r.pids_limit = 0;
    CHECK_EQUAL(0u, props_of(r).size());
    r.pids_limit = -3;
    check_refused(r, "pids.limit");
}

TEST(UnitProperties, BlkioWeightMapsLinearlyOntoIOWeight) {
    SpecResources r;
    r.blkio_weight = 10;
    CHECK_EQUAL(1u, u64_of(props_of(r), "IOWeight"));
    r.blkio_weight = 1000;
    CHECK_EQUAL(10000u, u64_of(props_of(r), "IOWeight"));
    r.blkio_weight = 500;  // 1 + 490 * 9999 / 990 = 1 + 4949
    CHECK_EQUAL(4950u, u64_of(props_of(r), "IOWeight"));
    r.blkio_weight = 9;
    check_refused(r, "blockIO.weight");
    r.blkio_weight = 1001;
    check_refused(r, "blockIO.weight");
}

TEST(UnitProperties, EverythingTogetherInAFixedOrderWithoutDelegate) {
    SpecResources r;
    r.memory_limit = 1 << 30;
    r.memory_swap = 1 << 30;
    r.cpu_quota = 200000;
    r.cpu_shares = 512;
    r.pids_limit = 100;
    r.blkio_weight = 100;
    r.devices = {rule(false, 'a', any, any, "rwm"), rule(true, 'c', 1, 3, "rw")};
    auto p = props_of(r);
    STRCMP_EQUAL(
        "MemoryMax MemorySwapMax CPUQuotaPerSecUSec CPUWeight TasksMax IOWeight DevicePolicy "
        "DeviceAllow",
        names_of(p).c_str());
    CHECK(find(p, "Delegate") == nullptr);
    CHECK_EQUAL(2000000u, u64_of(p, "CPUQuotaPerSecUSec"));
    CHECK_EQUAL(20u, u64_of(p, "CPUWeight"));  // 1 + 510 * 9999 / 262142 = 1 + 19
    CHECK_EQUAL(910u, u64_of(p, "IOWeight"));  // 1 + 90 * 9999 / 990 = 1 + 909
}

TEST(UnitProperties, DenyAllThenOneDeviceIsClosedPlusThatDevice) {
    SpecResources r;
    r.devices = {rule(false, 'a', any, any, "rwm"), rule(true, 'c', 1, 3, "rwm")};
    auto p = props_of(r);
    STRCMP_EQUAL("DevicePolicy DeviceAllow", names_of(p).c_str());
    STRCMP_EQUAL("closed", policy_of(p).c_str());
    STRCMP_EQUAL("/dev/char/1:3=rwm", devices_of(p).c_str());
}

// containerd's default spec denies everything; runc then always appends its AllowedDevices
// (THREATS.md §2.7). The mknod-anything wildcards have no DeviceAllow= form and are dropped.
TEST(UnitProperties, ContainerdDefaultsWithRuncsAllowedDevices) {
    SpecResources r;
    r.devices = {
        rule(false, 'a', any, any, "rwm"), rule(true, 'c', any, any, "m"),
        rule(true, 'b', any, any, "m"),    rule(true, 'c', 1, 3, "rwm"),
        rule(true, 'c', 1, 8, "rwm"),      rule(true, 'c', 1, 7, "rwm"),
        rule(true, 'c', 5, 0, "rwm"),      rule(true, 'c', 1, 5, "rwm"),
        rule(true, 'c', 1, 9, "rwm"),      rule(true, 'c', 136, any, "rwm"),
        rule(true, 'c', 5, 2, "rwm"),      rule(true, 'c', 10, 200, "rwm"),
    };
    auto p = props_of(r);
    STRCMP_EQUAL("closed", policy_of(p).c_str());
    STRCMP_EQUAL(
        "/dev/char/1:3=rwm,/dev/char/1:8=rwm,/dev/char/1:7=rwm,/dev/char/5:0=rwm,"
        "/dev/char/1:5=rwm,/dev/char/1:9=rwm,char-pts=rwm,/dev/char/5:2=rwm,/dev/char/10:200=rwm",
        devices_of(p).c_str());
}

// moby: deny all, a few allows, then an explicit deny of /dev/fuse (10:229).
TEST(UnitProperties, LaterDenyRulesTakeAccessAway) {
    SpecResources r;
    r.devices = {rule(false, 'a', any, any, "rwm"), rule(true, 'c', 1, 5, "rwm"),
                 rule(true, 'c', 10, 229, "rwm"),   rule(true, 'c', 1, 3, "rwm"),
                 rule(false, 'c', 10, 229, "rwm"),  rule(false, 'c', 1, 3, "m"),
                 rule(false, 'c', any, any, "w")};
    STRCMP_EQUAL("/dev/char/1:5=rm,/dev/char/1:3=r", devices_of(props_of(r)).c_str());
}

TEST(UnitProperties, RepeatedRulesMergeAndBlockDevicesUseDevBlock) {
    SpecResources r;
    r.devices = {rule(true, 'c', 1, 3, "r"), rule(true, 'c', 1, 3, "mw"),
                 rule(true, 'b', 8, 0, "r"), rule(true, 'c', 4, 1, "")};
    auto p = props_of(r);
    STRCMP_EQUAL("closed", policy_of(p).c_str());
    // Empty access means all of it; letters always in r, w, m order.
    STRCMP_EQUAL("/dev/char/1:3=rwm,/dev/block/8:0=r,/dev/char/4:1=rwm", devices_of(p).c_str());
}

TEST(UnitProperties, EverythingDeniedLeavesClosedWithoutAllowList) {
    SpecResources r;
    r.devices = {rule(false, 'a', any, any, "rwm")};
    auto p = props_of(r);
    STRCMP_EQUAL("DevicePolicy", names_of(p).c_str());
    STRCMP_EQUAL("closed", policy_of(p).c_str());
}

TEST(UnitProperties, AllowAllLeavesDevicesUnrestricted) {
    SpecResources r;
    r.devices = {rule(false, 'a', any, any, "rwm"), rule(true, 'a', any, any, "rwm")};
    CHECK_EQUAL(0u, props_of(r).size());
    // ... and denying everything again afterwards closes them.
    r.devices.push_back(rule(false, 'a', any, any, "rwm"));
    STRCMP_EQUAL("closed", policy_of(props_of(r)).c_str());
}

TEST(UnitProperties, DenyRulesSystemdCannotExpressAreRefused) {
    SpecResources r;
    r.devices = {rule(true, 'a', any, any, "rwm"), rule(false, 'c', 1, 1, "rwm")};
    check_refused(r, "devices[1]");
    r.devices = {rule(false, 'a', any, any, "rwm"), rule(true, 'c', 136, any, "rw"),
                 rule(false, 'c', 136, 5, "rw")};
    check_refused(r, "devices[2]");
}

TEST(UnitProperties, MalformedDeviceRulesAreRefused) {
    SpecResources r;
    r.devices = {rule(true, 'u', 1, 3, "rwm")};
    check_refused(r, "devices[0].type");
    r.devices = {rule(true, 'c', 1, 3, "rwx")};
    check_refused(r, "devices[0].access");
    r.devices = {rule(false, 'a', any, any, "rwm"), rule(true, 'c', -1, 3, "r")};
    check_refused(r, "devices[1]");
}

TEST_GROUP(MachineName){};

TEST(MachineName, HostnameRules) {
    for (const char* ok : {"web", "a", "web-1", "pod.example", "A9-b.c-d",
                           "0123456789012345678901234567890123456789012345678901234567890123"})
        CHECK_TEXT(is_valid_machine_name(ok), ok);
    for (const char* bad :
         {"", "-web", ".web", "web.", "web-", "we..b", "web.-x", "web-.x", "we b", "we_b", "we/b",
          "wé", "01234567890123456789012345678901234567890123456789012345678901234"})
        CHECK_FALSE_TEXT(is_valid_machine_name(bad), bad);
}
