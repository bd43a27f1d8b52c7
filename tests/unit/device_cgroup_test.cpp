// The translation of linux.resources.devices into cgroup v1 devices.allow / devices.deny lines:
// deny-all first, the config's rules in order, the runtime's own device nodes last; and the HOME
// lookup in a pod's passwd text.
#include <string>
#include <vector>

#include "render/user_db.hpp"
#include "run/device_cgroup.hpp"

// Last: CppUTest redefines new, which the standard headers above must not see.
#include <CppUTest/TestHarness.h>

using namespace ocipod;

namespace {

SpecDeviceRule rule(bool allow, char type, std::optional<int64_t> major,
                    std::optional<int64_t> minor, std::string access) {
    SpecDeviceRule r;
    r.allow = allow;
    r.type = type;
    r.major = major;
    r.minor = minor;
    r.access = std::move(access);
    return r;
}

std::vector<std::string> lines(const std::vector<DeviceCgroupWrite>& writes) {
    std::vector<std::string> out;
    for (const auto& w : writes) out.push_back(std::string(w.allow ? "allow " : "deny ") + w.rule);
    return out;
}

}  // namespace

TEST_GROUP(DeviceCgroup){};

TEST(DeviceCgroup, DenyAllFirstThenRulesInOrderThenRuntimeDevices) {
    auto writes =
        device_cgroup_writes({rule(false, 'a', {}, {}, "rwm"), rule(true, 'c', 1, 3, "rwm"),
                              rule(true, 'c', 136, {}, "rw"), rule(false, 'b', {}, {}, "m")});
    CHECK_TRUE(writes.ok());
    std::vector<std::string> want = {"deny a",           "deny a",          "allow c 1:3 rwm",
                                     "allow c 136:* rw", "deny b *:* m",    "allow c 1:3 rwm",
                                     "allow c 1:5 rwm",  "allow c 1:7 rwm", "allow c 1:8 rwm",
                                     "allow c 1:9 rwm",  "allow c 5:0 rwm", "allow c 5:2 rwm",
                                     "allow c 136:* rwm"};
    auto got = lines(*writes);
    CHECK_EQUAL(want.size(), got.size());
    for (size_t i = 0; i < want.size(); ++i) STRCMP_EQUAL(want[i].c_str(), got[i].c_str());
}

TEST(DeviceCgroup, EmptyAccessMeansAll) {
    auto writes = device_cgroup_writes({rule(true, 'b', 7, {}, "")});
    CHECK_TRUE(writes.ok());
    STRCMP_EQUAL("b 7:* rwm", (*writes)[1].rule.c_str());
}

TEST(DeviceCgroup, NeverAllowsMknodOfEverything) {
    auto writes = device_cgroup_writes({});
    CHECK_TRUE(writes.ok());
    for (const auto& w : *writes) CHECK_FALSE(w.allow && w.rule.find('*') == 2);
}

TEST(DeviceCgroup, BadRulesAreRefused) {
    CHECK_FALSE(device_cgroup_writes({rule(true, 'c', 1, 3, "rwx")}).ok());
    CHECK_FALSE(device_cgroup_writes({rule(true, 'u', 1, 3, "r")}).ok());
    CHECK_FALSE(device_cgroup_writes({rule(true, 'c', -1, 3, "r")}).ok());
}

TEST_GROUP(PasswdHome){};

TEST(PasswdHome, EntryOfTheUid) {
    std::string passwd =
        "root:x:0:0:root:/root:/bin/sh\n"
        "broken line\n"
        "app:x:1000:1000:app:/home/app:/bin/sh\n"
        "nohome:x:1001:1001:::/bin/sh";
    STRCMP_EQUAL("/root", passwd_home(passwd, 0).c_str());
    STRCMP_EQUAL("/home/app", passwd_home(passwd, 1000).c_str());
    STRCMP_EQUAL("/", passwd_home(passwd, 1001).c_str());
    STRCMP_EQUAL("/", passwd_home(passwd, 4242).c_str());
    STRCMP_EQUAL("/", passwd_home("", 0).c_str());
}
