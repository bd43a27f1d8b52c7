// The pod application's limits, identity and capabilities (THREATS §2.4): each case applies them
// in a forked child and reads back what the kernel shows (getrlimit, getres[ug]id, getgroups,
// /proc/self/status), so the test process keeps its own. Sysctls are written in a child with its
// own UTS, IPC and network namespaces, where a write cannot reach the host's settings.
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <sched.h>
#include <sys/capability.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "base/fs.hpp"
#include "forked_child.hpp"
#include "run/privileges.hpp"
#include "temp_dir.hpp"

// Last: CppUTest redefines new, which the standard headers above must not see.
#include <CppUTest/TestHarness.h>

using namespace ocipod;
using ocipod::test::run_in_child;
using ocipod::test::skip_unless_root;

namespace {

// The 14 capabilities containerd and moby give a container by default (THREATS §2.4).
const std::vector<int> default_caps = {
    CAP_CHOWN,   CAP_DAC_OVERRIDE, CAP_FSETID,           CAP_FOWNER,
    CAP_MKNOD,   CAP_NET_RAW,      CAP_SETGID,           CAP_SETUID,
    CAP_SETFCAP, CAP_SETPCAP,      CAP_NET_BIND_SERVICE, CAP_SYS_CHROOT,
    CAP_KILL,    CAP_AUDIT_WRITE,
};

uint64_t mask_of(const std::vector<int>& caps) {
    uint64_t m = 0;
    for (int c : caps) m |= uint64_t(1) << c;
    return m;
}

SpecCapabilities all_sets(const std::vector<int>& caps) {
    SpecCapabilities c;
    c.bounding = c.effective = c.permitted = caps;
    return c;
}

std::string read_text(const std::string& path) {
    auto r = read_file_capped(AT_FDCWD, path, 1 << 16);
    return r.ok() ? *r : "(unreadable)";
}

// One field of /proc/self/status as text ("CapEff" -> "00000000a80425fb").
std::string status_field(const char* name) {
    std::string text = read_text("/proc/self/status");
    std::string key = std::string("\n") + name + ":";
    size_t at = text.find(key);
    if (at == std::string::npos) return "?";
    at += key.size();
    while (at < text.size() && (text[at] == '\t' || text[at] == ' ')) ++at;
    size_t end = text.find('\n', at);
    return text.substr(at, end - at);
}

std::string hex(uint64_t v) {
    char buf[17];
    snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
    return buf;
}

// "Bnd=... Prm=... Eff=... Inh=... Amb=..." of this process, to compare in one string.
std::string cap_sets() {
    return "Bnd=" + status_field("CapBnd") + " Prm=" + status_field("CapPrm") +
           " Eff=" + status_field("CapEff") + " Inh=" + status_field("CapInh") +
           " Amb=" + status_field("CapAmb");
}

std::string expected_sets(uint64_t bnd, uint64_t prm, uint64_t eff, uint64_t inh, uint64_t amb) {
    return "Bnd=" + hex(bnd) + " Prm=" + hex(prm) + " Eff=" + hex(eff) + " Inh=" + hex(inh) +
           " Amb=" + hex(amb);
}

std::string error_text(const Status& s) {
    return s.ok() ? std::string("ok") : "error: " + s.error().message;
}

SpecProcess process_as(uint32_t uid, uint32_t gid, std::vector<uint32_t> groups) {
    SpecProcess p;
    p.user.uid = uid;
    p.user.gid = gid;
    p.user.additional_gids = std::move(groups);
    return p;
}

bool has_cap_now(int cap) {
    return (std::stoull(status_field("CapEff"), nullptr, 16) >> cap) & 1;
}

std::string trimmed(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    return s;
}

}  // namespace

TEST_GROUP(Privileges){};

TEST(Privileges, RlimitsAreSetAndVisible) {
    auto r = run_in_child([] {
        std::vector<SpecRlimit> limits = {{RLIMIT_NOFILE, 321, 654}, {RLIMIT_CORE, 0, 0}};
        Status s = apply_rlimits(limits);
        if (!s.ok()) return error_text(s);
        struct rlimit nofile = {}, core = {};
        getrlimit(RLIMIT_NOFILE, &nofile);
        getrlimit(RLIMIT_CORE, &core);
        return std::to_string(nofile.rlim_cur) + ":" + std::to_string(nofile.rlim_max) + " " +
               std::to_string(core.rlim_cur) + ":" + std::to_string(core.rlim_max);
    });
    STRCMP_EQUAL("321:654 0:0", r.report.c_str());
}

TEST(Privileges, RaisingTheHardLimitNeedsSysResource) {
    if (skip_unless_root("raising a hard limit")) return;
    auto r = run_in_child([] {
        struct rlimit cur = {};
        getrlimit(RLIMIT_NOFILE, &cur);
        // Lower it first, so that raising it back is a raise whatever the test started with.
        std::vector<SpecRlimit> lower = {{RLIMIT_NOFILE, 64, 128}};
        Status s = apply_rlimits(lower);
        if (!s.ok()) return error_text(s);
        std::vector<SpecRlimit> raise = {{RLIMIT_NOFILE, 256, 4096}};
        s = apply_rlimits(raise);
        struct rlimit now = {};
        getrlimit(RLIMIT_NOFILE, &now);
        std::string got = std::to_string(now.rlim_cur) + ":" + std::to_string(now.rlim_max);
        return (has_cap_now(CAP_SYS_RESOURCE) ? "cap " : "nocap ") + got + " " + error_text(s);
    });
    // This machine may run without CAP_SYS_RESOURCE (a container's bounding set): then the
    // raise must fail, naming the limit, and leave the lowered one.
    if (starts_with(r.report, "cap "))
        STRCMP_EQUAL("cap 256:4096 ok", r.report.c_str());
    else
        STRCMP_EQUAL(
            "nocap 64:128 error: setting RLIMIT_NOFILE to 256:4096: Operation not permitted",
            r.report.c_str());
}

TEST(Privileges, RlimitErrorNamesTheLimit) {
    auto r = run_in_child([] {
        std::vector<SpecRlimit> bad = {{RLIMIT_STACK, 2048, 1024}};  // soft above hard
        return error_text(apply_rlimits(bad));
    });
    STRCMP_EQUAL("error: setting RLIMIT_STACK to 2048:1024: Invalid argument", r.report.c_str());
}

TEST(Privileges, OomScoreAdjIsWritten) {
    auto r = run_in_child([] {
        Status s = apply_oom_score_adj(617);
        if (!s.ok()) return error_text(s);
        return trimmed(read_text("/proc/self/oom_score_adj"));
    });
    STRCMP_EQUAL("617", r.report.c_str());
}

TEST(Privileges, RootKeepsTheDefaultCapsOnlyAndLosesHostGroups) {
    if (skip_unless_root("changing credentials")) return;
    auto r = run_in_child([] {
        gid_t host_groups[] = {4242, 4343};  // stand-ins for the caller's supplementary groups
        if (setgroups(2, host_groups) < 0) return std::string("setgroups failed");
        SpecProcess p = process_as(0, 0, {});
        p.capabilities = all_sets(default_caps);
        Status s = apply_identity_and_capabilities(p);
        if (!s.ok()) return error_text(s);
        return cap_sets() + " groups=" + std::to_string(getgroups(0, nullptr)) +
               " keepcaps=" + std::to_string(prctl(PR_GET_KEEPCAPS, 0, 0, 0, 0));
    });
    uint64_t m = mask_of(default_caps);
    STRCMP_EQUAL((expected_sets(m, m, m, 0, 0) + " groups=0 keepcaps=0").c_str(), r.report.c_str());
}

TEST(Privileges, NonRootUserKeepsListedCaps) {
    if (skip_unless_root("changing credentials")) return;
    auto r = run_in_child([] {
        SpecProcess p = process_as(1000, 1001, {10, 20});
        p.capabilities = all_sets(default_caps);
        Status s = apply_identity_and_capabilities(p);
        if (!s.ok()) return error_text(s);
        uid_t ru, eu, su;
        gid_t rg, eg, sg;
        getresuid(&ru, &eu, &su);
        getresgid(&rg, &eg, &sg);
        gid_t groups[8];
        int n = getgroups(8, groups);
        std::string out = strf("uid=%u,%u,%u gid=%u,%u,%u groups=", ru, eu, su, rg, eg, sg);
        for (int i = 0; i < n; ++i) out += (i ? "," : "") + std::to_string(groups[i]);
        return out + " " + cap_sets();
    });
    uint64_t m = mask_of(default_caps);
    STRCMP_EQUAL(
        ("uid=1000,1000,1000 gid=1001,1001,1001 groups=10,20 " + expected_sets(m, m, m, 0, 0))
            .c_str(),
        r.report.c_str());
}

TEST(Privileges, AbsentCapabilitiesLeaveEverySetEmpty) {
    if (skip_unless_root("changing credentials")) return;
    auto r = run_in_child([] {
        Status s = apply_identity_and_capabilities(process_as(0, 0, {}));
        if (!s.ok()) return error_text(s);
        return cap_sets();
    });
    STRCMP_EQUAL(expected_sets(0, 0, 0, 0, 0).c_str(), r.report.c_str());
}

TEST(Privileges, AmbientIsRaisedWhenPermittedAndInheritable) {
    if (skip_unless_root("changing credentials")) return;
    auto r = run_in_child([] {
        SpecProcess p = process_as(1000, 1000, {});
        SpecCapabilities c = all_sets({CAP_NET_BIND_SERVICE, CAP_KILL});
        c.inheritable = {CAP_NET_BIND_SERVICE};
        c.ambient = {CAP_NET_BIND_SERVICE};
        p.capabilities = c;
        Status s = apply_identity_and_capabilities(p);
        if (!s.ok()) return error_text(s);
        return cap_sets();
    });
    uint64_t both = mask_of({CAP_NET_BIND_SERVICE, CAP_KILL});
    uint64_t nbs = mask_of({CAP_NET_BIND_SERVICE});
    STRCMP_EQUAL(expected_sets(both, both, both, nbs, nbs).c_str(), r.report.c_str());
}

TEST(Privileges, AmbientWithoutInheritableIsRefused) {
    if (skip_unless_root("changing credentials")) return;
    auto r = run_in_child([] {
        SpecProcess p = process_as(1000, 1000, {});
        SpecCapabilities c = all_sets({CAP_NET_BIND_SERVICE});
        c.ambient = {CAP_NET_BIND_SERVICE};
        p.capabilities = c;
        return error_text(apply_identity_and_capabilities(p)) + " Amb=" + status_field("CapAmb");
    });
    STRCMP_EQUAL(
        "error: ambient capability 'CAP_NET_BIND_SERVICE' is not both permitted and "
        "inheritable, refusing Amb=0000000000000000",
        r.report.c_str());
}

TEST(Privileges, CapsUnknownToTheKernelAreNeverGranted) {
    if (skip_unless_root("changing credentials")) return;
    auto r = run_in_child([] {
        SpecProcess p = process_as(0, 0, {});
        SpecCapabilities c = all_sets({CAP_KILL, 62});  // 62: beyond any kernel so far
        c.inheritable = c.ambient = {CAP_KILL, 62};
        p.capabilities = c;
        Status s = apply_identity_and_capabilities(p);
        if (!s.ok()) return error_text(s);
        return cap_sets();
    });
    uint64_t m = mask_of({CAP_KILL});
    STRCMP_EQUAL(expected_sets(m, m, m, m, m).c_str(), r.report.c_str());
}

TEST(Privileges, UmaskIsApplied) {
    if (skip_unless_root("changing credentials")) return;
    auto r = run_in_child([] {
        umask(022);
        SpecProcess p = process_as(0, 0, {});
        p.user.umask = 0057;
        Status s = apply_identity_and_capabilities(p);
        if (!s.ok()) return error_text(s);
        return strf("%04o", static_cast<unsigned>(umask(0)));
    });
    STRCMP_EQUAL("0057", r.report.c_str());
}

TEST(Privileges, NoNewPrivsIsSet) {
    auto r = run_in_child([] {
        std::string before = status_field("NoNewPrivs");
        Status s = set_no_new_privs();
        if (!s.ok()) return error_text(s);
        return before + "->" + status_field("NoNewPrivs");
    });
    STRCMP_EQUAL("0->1", r.report.c_str());
}

// A binary with cap_sys_admin in its permitted and inheritable file capabilities must not give
// the pod CAP_SYS_ADMIN when the spec did not (THREATS §2.4): not as root (whose exec takes the
// bounding and inheritable sets) and not as another user.
TEST(Privileges, FileCapsDoNotAddCapsBeyondTheSpec) {
    if (skip_unless_root("setting file capabilities")) return;
    test::TempDir dir("privileges");
    CHECK(!dir.path().empty());
    chmod(dir.path().c_str(), 0755);
    std::string cat = dir / "cat";
    auto copied = run_in_child([&] {
        execl("/bin/cp", "cp", "/bin/cat", cat.c_str(), static_cast<char*>(nullptr));
        return std::string("exec cp failed");
    });
    CHECK(WIFEXITED(copied.status) && WEXITSTATUS(copied.status) == 0);
    cap_t file_caps = cap_from_text("cap_sys_admin+ei");
    int set = cap_set_file(cat.c_str(), file_caps);
    cap_free(file_caps);
    if (set < 0) {
        printf("\n  skipped: file capabilities not supported here: %s\n", strerror(errno));
        return;
    }
    for (uint32_t uid : {0u, 1000u}) {
        auto r = run_in_child([&] {
            SpecProcess p = process_as(uid, uid, {});
            p.capabilities = all_sets(default_caps);
            Status s = apply_identity_and_capabilities(p);
            if (!s.ok()) return error_text(s);
            int fds[2];
            if (pipe(fds) < 0) return std::string("pipe failed");
            pid_t pid = fork();
            if (pid == 0) {
                dup2(fds[1], 1);
                execl(cat.c_str(), "cat", "/proc/self/status", static_cast<char*>(nullptr));
                _exit(127);
            }
            close(fds[1]);
            std::string out;
            char buf[4096];
            ssize_t n;
            while ((n = read(fds[0], buf, sizeof buf)) > 0) out.append(buf, size_t(n));
            int status;
            waitpid(pid, &status, 0);
            size_t at = out.find("CapEff:\t");
            if (at == std::string::npos) return "no CapEff in: " + out;
            uint64_t eff = std::stoull(out.substr(at + 8, 16), nullptr, 16);
            return std::string((eff >> CAP_SYS_ADMIN) & 1 ? "gained sys_admin" : "no sys_admin");
        });
        STRCMP_EQUAL("no sys_admin", r.report.c_str());
    }
}

namespace {

// Runs body in a child with its own UTS, IPC and network namespaces (and mount namespace when
// asked, with mounts kept from the host), so sysctl writes stay in them.
test::ChildResult in_own_namespaces(bool own_mounts, const std::function<std::string()>& body) {
    return run_in_child([&] {
        int flags = CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET | (own_mounts ? CLONE_NEWNS : 0);
        if (unshare(flags) < 0) return std::string("unshare: ") + strerror(errno);
        if (own_mounts && mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) < 0)
            return std::string("making / private: ") + strerror(errno);
        return body();
    });
}

std::string sysctl_now(const std::string& path) {
    return trimmed(read_text("/proc/sys/" + path));
}

}  // namespace

TEST(Privileges, NamespacedSysctlsAreWritten) {
    if (skip_unless_root("new namespaces")) return;
    auto r = in_own_namespaces(false, [] {
        // Values that differ from whatever the new namespaces start with.
        std::string forward = sysctl_now("net/ipv4/ip_forward") == "1" ? "0" : "1";
        std::map<std::string, std::string> sysctls = {
            {"kernel.domainname", "pod.example"},
            {"kernel.shmmax", "123456789"},
            {"net.ipv4.ip_forward", forward},
        };
        Status s = apply_sysctls(sysctls, true, true, true);
        if (!s.ok()) return error_text(s);
        return sysctl_now("kernel/domainname") + " " + sysctl_now("kernel/shmmax") + " " +
               (sysctl_now("net/ipv4/ip_forward") == forward ? "forward-set" : "forward-unset");
    });
    STRCMP_EQUAL("pod.example 123456789 forward-set", r.report.c_str());
}

// Every key is checked before the first write: "kernel.domainname" sorts before the refused key
// and still is not written.
TEST(Privileges, HostSysctlsAreRefusedByNameAndNothingIsWritten) {
    if (skip_unless_root("new namespaces")) return;
    // The host's own value, so that even a broken check would leave the host as it was.
    std::string panic = sysctl_now("kernel/panic");
    auto r = in_own_namespaces(false, [&] {
        if (setdomainname("before", 6) < 0) return std::string("setdomainname failed");
        std::map<std::string, std::string> sysctls = {
            {"kernel.domainname", "after"},
            {"kernel.panic", panic},
        };
        return error_text(apply_sysctls(sysctls, true, true, true)) + " " +
               sysctl_now("kernel/domainname");
    });
    STRCMP_EQUAL("error: sysctl 'kernel.panic' is not namespaced, refusing before",
                 r.report.c_str());
}

TEST(Privileges, SysctlKeysMustBePlainNames) {
    if (skip_unless_root("new namespaces")) return;
    // The ".." keys lead to kernel/domainname, which the child's own UTS namespace holds.
    const char* keys[] = {"net.ipv4/../../kernel.domainname",
                          "net.ipv4.conf.all/../../../kernel/domainname",
                          "net.ipv4/ip_forward",
                          "net..ipv4.ip_forward",
                          "net.ipv4.",
                          ".net.ipv4",
                          "net.ipv4...ip_forward",
                          ""};
    for (const char* key : keys) {
        auto r = in_own_namespaces(false, [&] {
            std::map<std::string, std::string> sysctls = {{key, "1"}};
            return error_text(apply_sysctls(sysctls, true, true, true));
        });
        std::string expected =
            strf("error: sysctl '%s' is not a dot-separated name, refusing", key);
        STRCMP_EQUAL(expected.c_str(), r.report.c_str());
    }
}

TEST(Privileges, SysctlsNeedThePodsOwnNamespace) {
    if (skip_unless_root("new namespaces")) return;
    struct Case {
        const char* key;
        bool net, ipc, uts;
        const char* expected;
    } cases[] = {
        {"net.ipv4.ip_forward", false, true, true,
         "error: sysctl 'net.ipv4.ip_forward' needs the pod's own network namespace, refusing"},
        {"kernel.shmmax", true, false, true,
         "error: sysctl 'kernel.shmmax' needs the pod's own IPC namespace, refusing"},
        {"fs.mqueue.msg_max", true, false, true,
         "error: sysctl 'fs.mqueue.msg_max' needs the pod's own IPC namespace, refusing"},
        {"kernel.hostname", true, true, false,
         "error: sysctl 'kernel.hostname' needs the pod's own UTS namespace, refusing"},
        {"vm.swappiness", true, true, true,
         "error: sysctl 'vm.swappiness' is not namespaced, refusing"},
        {"kernel.core_pattern", true, true, true,
         "error: sysctl 'kernel.core_pattern' is not namespaced, refusing"},
    };
    for (const Case& c : cases) {
        // The current value, so that even a broken check would change nothing on the host.
        std::string path = c.key;
        for (char& ch : path)
            if (ch == '.') ch = '/';
        std::string value = sysctl_now(path);
        auto r = in_own_namespaces(false, [&] {
            std::map<std::string, std::string> sysctls = {{c.key, value}};
            return error_text(apply_sysctls(sysctls, c.net, c.ipc, c.uts));
        });
        STRCMP_EQUAL(c.expected, r.report.c_str());
    }
}

// CVE-2025-52881: a file mounted over a sysctl, or something other than procfs on /proc/sys,
// must not take the write.
TEST(Privileges, SysctlWritesStayOnProcfs) {
    if (skip_unless_root("mounting")) return;
    test::TempDir dir("privileges");
    std::string decoy = dir / "decoy";
    auto dir_fd = open_dir(AT_FDCWD, dir.path(), false);
    CHECK(dir_fd.ok());
    CHECK(write_file_atomic(dir_fd->get(), "decoy", "decoy\n", 0644).ok());
    auto r = in_own_namespaces(true, [&] {
        if (mount(decoy.c_str(), "/proc/sys/kernel/domainname", nullptr, MS_BIND, nullptr) < 0)
            return std::string("bind mount: ") + strerror(errno);
        std::map<std::string, std::string> sysctls = {{"kernel.domainname", "pod.example"}};
        std::string over_file = error_text(apply_sysctls(sysctls, true, true, true));
        if (mount("tmpfs", "/proc/sys", "tmpfs", 0, nullptr) < 0)
            return std::string("tmpfs mount: ") + strerror(errno);
        return over_file + " | " + error_text(apply_sysctls(sysctls, true, true, true));
    });
    STRCMP_EQUAL(
        "error: setting sysctl 'kernel.domainname': opening 'kernel/domainname': Invalid "
        "cross-device link | error: '/proc/sys' is not on procfs, refusing",
        r.report.c_str());
    STRCMP_EQUAL("decoy\n", read_text(decoy).c_str());
}
