// The runner's systemd side against a real systemd and machined: run inside the systemd test box
// by tests/integration/systemd_api.sh, which sets OCI_POD_IN_SYSTEMD_BOX=1 (anywhere else every
// test prints why it does nothing and passes, so the binary never touches a host's systemd).
// The expectations are read back through machinectl and systemctl, not through our own bus code.
//
//   SystemdScope     CreateMachine: machine-NAME.scope with the pod's limits, the leader in it,
//                    EEXIST for a live duplicate, a stale machine of the same name cleared
//   SystemdService   StartTransientUnit / StopUnit / ActiveState, EEXIST, a failing start
//   SystemdUnit      this binary started as a transient service running SystemdInUnit, which
//                    takes the "unit" placement: RegisterMachine, the leader in payload/
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "base/strings.hpp"
#include "run/machine_registration.hpp"
#include "run/transient_service.hpp"
#include "run/unit_properties.hpp"

// CppUTest last: its operator-new macros must not meet the STL headers.
#include <CppUTest/TestHarness.h>

using namespace ocipod;

namespace {

constexpr const char* k_result_env = "OCI_POD_SYSTEMD_TEST_RESULT";

// Only inside the box: returns false (after saying why) anywhere else.
bool in_box(const char* what) {
    if (geteuid() != 0) {
        printf("\n  %s: skipped, needs root\n", what);
        return false;
    }
    const char* box = getenv("OCI_POD_IN_SYSTEMD_BOX");
    if (!box || std::string(box) != "1") {
        printf("\n  %s: skipped, runs only in the systemd test box (systemd_api.sh)\n", what);
        return false;
    }
    return true;
}

// A shell command's stdout+stderr and exit status.
struct CommandResult {
    int status = -1;
    std::string out;
};

CommandResult run_command(const std::string& cmd) {
    CommandResult r;
    FILE* p = popen((cmd + " 2>&1").c_str(), "re");
    if (!p) return r;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
    int st = pclose(p);
    r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    while (!r.out.empty() && r.out.back() == '\n') r.out.pop_back();
    return r;
}

std::string output_of(const std::string& cmd) {
    auto r = run_command(cmd);
    CHECK_EQUAL_TEXT(0, r.status, (cmd + ": " + r.out).c_str());
    return r.out;
}

// "NAME=value" lines in the order asked for ("systemctl show" and "machinectl show" print
// properties in their own order), one `TOOL show OBJECT -p NAME --value` each.
std::string shown(const std::string& tool, const std::string& object,
                  const std::vector<std::string>& names) {
    std::string out;
    for (const auto& name : names) {
        if (!out.empty()) out += "\n";
        out += name + "=" + output_of(tool + " show " + object + " -p " + name + " --value");
    }
    return out;
}

// A process that stands for a pod's init held on its sync channel: it blocks reading a pipe
// until released (EOF) or killed. Sent a byte, it forks a grandchild first (blocked on the same
// pipe) and reports its PID: a process of the pod that may outlive its init.
struct BlockedChild {
    pid_t pid = -1;
    int gate_fd = -1, report_fd = -1;

    static void block_on(int fd) {
        char b;
        while (read(fd, &b, 1) < 0 && errno == EINTR) {
        }
    }

    static BlockedChild start() {
        int gate[2], report[2];
        CHECK(pipe2(gate, O_CLOEXEC) == 0);
        CHECK(pipe2(report, O_CLOEXEC) == 0);
        BlockedChild c;
        c.pid = fork();
        CHECK(c.pid >= 0);
        if (c.pid == 0) {
            close(gate[1]);
            close(report[0]);
            char b;
            ssize_t n;
            while ((n = read(gate[0], &b, 1)) < 0 && errno == EINTR) {
            }
            if (n == 1) {
                pid_t g = fork();
                if (g == 0) {
                    block_on(gate[0]);
                    _exit(0);
                }
                (void)!write(report[1], &g, sizeof g);
                block_on(gate[0]);
            }
            _exit(0);
        }
        close(gate[0]);
        close(report[1]);
        c.gate_fd = gate[1];
        c.report_fd = report[0];
        return c;
    }

    pid_t fork_grandchild() {
        CHECK(write(gate_fd, "f", 1) == 1);
        pid_t g = -1;
        CHECK(read(report_fd, &g, sizeof g) == sizeof g);
        return g;
    }

    // Dies without closing the pipe: a grandchild stays blocked.
    void kill_only_this() {
        kill(pid, SIGKILL);
        waitpid(pid, nullptr, 0);
        pid = -1;
    }

    void release() {
        if (gate_fd >= 0) close(gate_fd);
        if (report_fd >= 0) close(report_fd);
        gate_fd = report_fd = -1;
        if (pid > 0) waitpid(pid, nullptr, 0);
        pid = -1;
    }
};

// Wait for a condition the system reaches asynchronously (a unit collected, a process reaped);
// the bound only stops a hang, it is not what the test measures.
template <class F>
bool eventually(F done) {
    for (int i = 0; i < 600; i++) {
        if (done()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return done();
}

bool process_gone(pid_t pid) {
    return kill(pid, 0) < 0 && errno == ESRCH;
}

std::vector<UnitProperty> pod_limits() {
    SpecResources r;
    r.memory_limit = 64 * 1024 * 1024;
    r.pids_limit = 50;
    r.cpu_quota = 50000;
    r.cpu_period = 100000;
    SpecDeviceRule deny_all;
    deny_all.allow = false;
    deny_all.type = 'a';
    deny_all.access = "rwm";
    SpecDeviceRule null_dev;
    null_dev.allow = true;
    null_dev.type = 'c';
    null_dev.major = 1;
    null_dev.minor = 3;
    null_dev.access = "rwm";
    r.devices = {deny_all, null_dev};
    auto p = unit_properties_for(r);
    CHECK_TEXT(p.ok(), p.ok() ? "" : p.error().message.c_str());
    return p.take();
}

MachineRequest request_for(const std::string& name, pid_t leader) {
    MachineRequest req;
    req.name = name;
    req.root_directory = "/var/lib/oci-pod-test/" + name;
    req.leader = leader;
    req.properties = pod_limits();
    req.description = "oci-pod test pod " + name;
    return req;
}

std::string cgroup_line(pid_t pid, const std::string& prefix) {
    for (const auto& line : split(output_of(strf("cat /proc/%d/cgroup", int(pid))), '\n'))
        if (starts_with(line, prefix)) return line.substr(prefix.size());
    return "";
}

// The name=systemd hierarchy's line ("N:name=systemd:PATH") on a legacy or hybrid system.
std::string named_systemd_cgroup(pid_t pid) {
    const std::string tag = ":name=systemd:";
    for (const auto& line : split(output_of(strf("cat /proc/%d/cgroup", int(pid))), '\n')) {
        auto at = line.find(tag);
        if (at != std::string::npos) return line.substr(at + tag.size());
    }
    return "";
}

}  // namespace

TEST_GROUP(SystemdScope){};

TEST(SystemdScope, CreateMachineMakesAScopeWithThePodsLimits) {
    if (!in_box("scope registration")) return;
    CHECK(detect_systemd_placement() == SystemdPlacement::scope);
    auto child = BlockedChild::start();
    auto reg = register_machine(request_for("scopepod", child.pid), SystemdPlacement::scope);
    CHECK_TEXT(reg.ok(), reg.ok() ? "" : reg.error().message.c_str());
    CHECK(reg->registered);
    STRCMP_EQUAL("machine-scopepod.scope", reg->unit.c_str());

    CHECK(output_of("machinectl list --no-legend").find("scopepod") != std::string::npos);
    STRCMP_EQUAL(
        "Unit=machine-scopepod.scope\nClass=container\nService=oci-pod\n"
        "RootDirectory=/var/lib/oci-pod-test/scopepod",
        shown("machinectl", "scopepod", {"Unit", "Class", "Service", "RootDirectory"}).c_str());
    STRCMP_EQUAL(strf("%d", int(child.pid)).c_str(),
                 output_of("machinectl show scopepod -p Leader --value").c_str());
    STRCMP_EQUAL("oci-pod test pod scopepod",
                 output_of("systemctl show machine-scopepod.scope -p Description --value").c_str());
    // systemctl prints what systemd applied, in its own units.
    STRCMP_EQUAL("MemoryMax=67108864\nTasksMax=50\nCPUQuotaPerSecUSec=500ms\nDevicePolicy=closed",
                 shown("systemctl", "machine-scopepod.scope",
                       {"MemoryMax", "TasksMax", "CPUQuotaPerSecUSec", "DevicePolicy"})
                     .c_str());
    STRCMP_EQUAL("DeviceAllow=/dev/char/1:3 rwm",
                 output_of("systemctl show machine-scopepod.scope -p DeviceAllow").c_str());
    STRCMP_EQUAL("/machine.slice/machine-scopepod.scope", cgroup_line(child.pid, "0::").c_str());

    // A second pod of the same name while the first one's leader lives.
    auto other = BlockedChild::start();
    auto dup = register_machine(request_for("scopepod", other.pid), SystemdPlacement::scope);
    CHECK_FALSE(dup.ok());
    LONGS_EQUAL(EEXIST, dup.error().code);
    STRCMP_CONTAINS(
        strf("a machine named 'scopepod' is already running (leader PID %d)", int(child.pid))
            .c_str(),
        dup.error().message.c_str());
    STRCMP_EQUAL(strf("%d", int(child.pid)).c_str(),
                 output_of("machinectl show scopepod -p Leader --value").c_str());
    other.release();

    CHECK(unregister_machine(*reg).ok());
    CHECK_FALSE(reg->registered);
    CHECK(run_command("machinectl show scopepod").status != 0);
    CHECK(unregister_machine(*reg).ok());  // harmless twice
    child.release();
    CHECK(eventually(
        [] { return run_command("systemctl is-active machine-scopepod.scope").status != 0; }));
}

// The scope's name is computed, not asked for: machined escapes the machine name as a unit name
// ('-' becomes \x2d), and the registration must name the same unit.
TEST(SystemdScope, TheRecordedUnitIsMachinedsForADashedName) {
    if (!in_box("scope registration")) return;
    auto child = BlockedChild::start();
    auto reg = register_machine(request_for("scope-pod.2", child.pid), SystemdPlacement::scope);
    CHECK_TEXT(reg.ok(), reg.ok() ? "" : reg.error().message.c_str());
    STRCMP_EQUAL("machine-scope\\x2dpod.2.scope", reg->unit.c_str());
    STRCMP_EQUAL(output_of("machinectl show scope-pod.2 -p Unit --value").c_str(),
                 reg->unit.c_str());
    CHECK(unregister_machine(*reg).ok());
    child.release();
}

// A pod that died without unregistering: its leader is gone, a leftover process keeps the scope
// (and so the machine) alive. The next pod of that name clears it.
TEST(SystemdScope, AStaleMachineOfTheSameNameIsCleared) {
    if (!in_box("stale machine")) return;
    auto dead = BlockedChild::start();
    auto reg = register_machine(request_for("stalepod", dead.pid), SystemdPlacement::scope);
    CHECK_TEXT(reg.ok(), reg.ok() ? "" : reg.error().message.c_str());
    pid_t leftover = dead.fork_grandchild();  // after registration, so inside the scope
    CHECK(leftover > 0);
    STRCMP_EQUAL("/machine.slice/machine-stalepod.scope", cgroup_line(leftover, "0::").c_str());
    pid_t dead_leader = dead.pid;
    dead.kill_only_this();
    // Still registered, with a leader that no longer exists: the case to clean.
    STRCMP_EQUAL(strf("%d", int(dead_leader)).c_str(),
                 output_of("machinectl show stalepod -p Leader --value").c_str());

    auto next = BlockedChild::start();
    auto again = register_machine(request_for("stalepod", next.pid), SystemdPlacement::scope);
    CHECK_TEXT(again.ok(), again.ok() ? "" : again.error().message.c_str());
    STRCMP_EQUAL(strf("%d", int(next.pid)).c_str(),
                 output_of("machinectl show stalepod -p Leader --value").c_str());
    STRCMP_EQUAL("/machine.slice/machine-stalepod.scope", cgroup_line(next.pid, "0::").c_str());
    // Terminating the stale machine stopped its scope, leftover included.
    CHECK(eventually([&] { return process_gone(leftover); }));
    dead.release();

    CHECK(unregister_machine(*again).ok());
    next.release();
}

TEST(SystemdScope, RefusalsBeforeAnyBusCall) {
    if (!in_box("refusals")) return;
    auto bad = register_machine(request_for("-bad", getpid()), SystemdPlacement::scope);
    CHECK_FALSE(bad.ok());
    LONGS_EQUAL(EINVAL, bad.error().code);
    STRCMP_CONTAINS("'-bad' is not a valid machine name", bad.error().message.c_str());
    auto relative = request_for("relroot", getpid());
    relative.root_directory = "var/lib/x";
    CHECK_FALSE(register_machine(relative, SystemdPlacement::scope).ok());

    // No systemd: nothing registered, nothing to unregister.
    auto none = register_machine(request_for("nonepod", getpid()), SystemdPlacement::none);
    CHECK(none.ok());
    CHECK_FALSE(none->registered);
    CHECK(run_command("machinectl show nonepod").status != 0);
    CHECK(unregister_machine(*none).ok());

    // A machine machined never heard of (or already dropped) unregisters fine.
    MachineRegistration gone{"neverregistered", "machine-neverregistered.scope", true};
    auto st = unregister_machine(gone);
    CHECK_TEXT(st.ok(), st.ok() ? "" : st.error().message.c_str());
}

TEST_GROUP(SystemdService){};

TEST(SystemdService, StartsWithPropertiesRefusesADuplicateAndStops) {
    if (!in_box("transient service")) return;
    TransientService svc;
    svc.unit = "oci-pod-sleeper.service";
    svc.description = "oci-pod test sleeper";
    svc.argv = {"/bin/sleep", "1000"};
    svc.environment = {"OCI_POD_TEST=one two"};
    svc.properties = pod_limits();
    svc.stop_timeout_sec = 7;
    auto st = start_transient_service(svc);
    CHECK_TEXT(st.ok(), st.ok() ? "" : st.error().message.c_str());

    auto state = unit_active_state(svc.unit);
    CHECK(state.ok());
    STRCMP_EQUAL("active", state->c_str());
    STRCMP_EQUAL(
        "Type=exec\nKillMode=mixed\nDelegate=yes\nCollectMode=inactive-or-failed\n"
        "StandardOutput=journal\nStandardError=journal\nSyslogIdentifier=sleeper\n"
        "TimeoutStopUSec=7s\nDescription=oci-pod test sleeper",
        shown("systemctl", "oci-pod-sleeper.service",
              {"Type", "KillMode", "Delegate", "CollectMode", "StandardOutput", "StandardError",
               "SyslogIdentifier", "TimeoutStopUSec", "Description"})
            .c_str());
    STRCMP_EQUAL("MemoryMax=67108864\nTasksMax=50\nCPUQuotaPerSecUSec=500ms\nDevicePolicy=closed",
                 shown("systemctl", "oci-pod-sleeper.service",
                       {"MemoryMax", "TasksMax", "CPUQuotaPerSecUSec", "DevicePolicy"})
                     .c_str());
    STRCMP_EQUAL("Environment=\"OCI_POD_TEST=one two\"",
                 output_of("systemctl show oci-pod-sleeper.service -p Environment").c_str());
    std::string pid = output_of("systemctl show oci-pod-sleeper.service -p MainPID --value");
    STRCMP_EQUAL("/bin/sleep 1000",
                 output_of("tr '\\0' ' ' </proc/" + pid + "/cmdline | sed 's/ $//'").c_str());

    auto dup = start_transient_service(svc);
    CHECK_FALSE(dup.ok());
    LONGS_EQUAL(EEXIST, dup.error().code);
    STRCMP_CONTAINS("'oci-pod-sleeper.service' already exists", dup.error().message.c_str());

    st = stop_unit(svc.unit);
    CHECK_TEXT(st.ok(), st.ok() ? "" : st.error().message.c_str());
    CHECK(process_gone(pid_t(std::stoi(pid))) ||
          eventually([&] { return process_gone(pid_t(std::stoi(pid))); }));
    // Stopped, then collected (CollectMode=inactive-or-failed).
    CHECK(eventually([&] {
        auto s = unit_active_state(svc.unit);
        return !s.ok() && s.error().code == ENOENT;
    }));
    auto again = stop_unit(svc.unit);
    CHECK_FALSE(again.ok());
    LONGS_EQUAL(ENOENT, again.error().code);
}

TEST(SystemdService, AStartThatCannotExecFails) {
    if (!in_box("failing service")) return;
    TransientService svc;
    svc.unit = "oci-pod-broken.service";
    svc.argv = {"/nonexistent/oci-pod-test-binary", "x"};
    auto st = start_transient_service(svc);
    CHECK_FALSE(st.ok());
    STRCMP_CONTAINS("starting 'oci-pod-broken.service' failed: job result 'failed'",
                    st.error().message.c_str());
    STRCMP_CONTAINS("journalctl -u oci-pod-broken.service", st.error().message.c_str());
    CHECK(eventually([&] {
        auto s = unit_active_state(svc.unit);
        return !s.ok() && s.error().code == ENOENT;
    }));
}

TEST(SystemdService, UnknownUnitsAreENOENT) {
    if (!in_box("unknown units")) return;
    auto s = unit_active_state("oci-pod-never-started.service");
    CHECK_FALSE(s.ok());
    LONGS_EQUAL(ENOENT, s.error().code);
    auto st = stop_unit("oci-pod-never-started.service");
    CHECK_FALSE(st.ok());
    LONGS_EQUAL(ENOENT, st.error().code);
    STRCMP_CONTAINS("'oci-pod-never-started.service' is not loaded", st.error().message.c_str());
    TransientService relative;
    relative.unit = "oci-pod-rel.service";
    relative.argv = {"sleep", "1"};
    CHECK_FALSE(start_transient_service(relative).ok());
}

TEST_GROUP(SystemdUnit){};

// This binary as `oci-pod run -d` would start the runner: a transient service (Delegate=yes)
// whose main process registers its pod with RegisterMachine.
TEST(SystemdUnit, InsideAServiceTheMachineIsTheServiceAndTheLeaderGoesToPayload) {
    if (!in_box("unit placement")) return;
    const char* result_file = "/run/oci-pod-systemd-unit-test.result";
    unlink(result_file);
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    CHECK(n > 0);
    self[n] = '\0';

    TransientService svc;
    svc.unit = "oci-pod-unitpod.service";
    svc.argv = {self, "-sg", "SystemdInUnit", "-v"};
    svc.environment = {"OCI_POD_IN_SYSTEMD_BOX=1", strf("%s=%s", k_result_env, result_file)};
    auto st = start_transient_service(svc);
    CHECK_TEXT(st.ok(), st.ok() ? "" : st.error().message.c_str());
    // The service exits when its test is done; CollectMode then removes it.
    bool finished = eventually([&] {
        auto s = unit_active_state(svc.unit);
        return !s.ok() || *s == "inactive" || *s == "failed";
    });
    std::string journal = run_command("journalctl -q -o cat -u oci-pod-unitpod.service").out;
    CHECK_TEXT(finished, journal.c_str());
    auto result = run_command(strf("cat %s", result_file));
    STRCMP_EQUAL_TEXT("ok", result.out.c_str(), journal.c_str());
    CHECK_TEXT(journal.find(", 1 ran, ") != std::string::npos, journal.c_str());
    unlink(result_file);
}

TEST_GROUP(SystemdInUnit){};

TEST(SystemdInUnit, RegistersFromTheService) {
    const char* result_file = getenv(k_result_env);
    if (!result_file || !in_box("in-unit half")) {
        printf("\n  in-unit half: skipped, started only by SystemdUnit\n");
        return;
    }
    CHECK(detect_systemd_placement() == SystemdPlacement::unit);
    auto child = BlockedChild::start();
    auto req = request_for("unitpod", child.pid);
    req.properties.clear();
    auto reg = register_machine(req, SystemdPlacement::unit);
    CHECK_TEXT(reg.ok(), reg.ok() ? "" : reg.error().message.c_str());
    STRCMP_EQUAL("oci-pod-unitpod.service", reg->unit.c_str());
    STRCMP_EQUAL("Unit=oci-pod-unitpod.service\nClass=container\nService=oci-pod",
                 shown("machinectl", "unitpod", {"Unit", "Class", "Service"}).c_str());
    // The runner stays in the unit's cgroup, the pod goes one level down (both hierarchies
    // systemd tracks on a hybrid box).
    STRCMP_EQUAL("/system.slice/oci-pod-unitpod.service", cgroup_line(getpid(), "0::").c_str());
    STRCMP_EQUAL("/system.slice/oci-pod-unitpod.service/payload",
                 cgroup_line(child.pid, "0::").c_str());
    std::string named = named_systemd_cgroup(child.pid);
    if (!named.empty())
        STRCMP_EQUAL("/system.slice/oci-pod-unitpod.service/payload", named.c_str());

    CHECK(unregister_machine(*reg).ok());
    CHECK(run_command("machinectl show unitpod").status != 0);
    child.release();
    FILE* f = fopen(result_file, "we");
    CHECK(f != nullptr);
    fputs("ok", f);
    fclose(f);
}
