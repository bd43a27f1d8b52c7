// compile_seccomp and SeccompFilter::load: each case compiles a filter, loads it in a forked child
// after no_new_privs (the order the pod uses, THREATS §2.6) and probes syscalls the filter should
// change, comparing with what they do without it.
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/personality.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include "forked_child.hpp"
#include "run/privileges.hpp"
#include "run/seccomp_filter.hpp"
#include "temp_dir.hpp"

// Last: CppUTest redefines new, which the standard headers above must not see.
#include <CppUTest/TestHarness.h>

using namespace ocipod;
using ocipod::test::run_in_child;

namespace {

SpecSeccompRule rule(std::vector<std::string> names, const char* action,
                     std::optional<unsigned> errno_ret = std::nullopt,
                     std::vector<SpecSeccompArg> args = {}) {
    SpecSeccompRule r;
    r.names = std::move(names);
    r.action = action;
    r.errno_ret = errno_ret;
    r.args = std::move(args);
    return r;
}

SpecSeccomp allow_by_default(std::vector<SpecSeccompRule> rules) {
    SpecSeccomp s;
    s.default_action = "SCMP_ACT_ALLOW";
    s.architectures = {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"};
    s.syscalls = std::move(rules);
    return s;
}

// "errno name" of the last failure, or "ok".
std::string outcome(long rc) {
    if (rc >= 0) return "ok";
    const char* name = strerrorname_np(errno);
    return name ? name : std::to_string(errno);
}

// The probe's report, run once without and once with the filter: "without -> with".
// Everything the probe needs is allocated before the filter is loaded.
std::string probe_with(const SpecSeccomp& spec, const std::function<std::string()>& probe) {
    auto without = run_in_child(probe);
    auto with = run_in_child([&] {
        auto filter = compile_seccomp(spec);
        if (!filter.ok()) return "compile: " + filter.error().message;
        Status s = set_no_new_privs();
        if (!s.ok()) return s.error().message;
        s = filter->load();
        if (!s.ok()) return "load: " + s.error().message;
        return probe();
    });
    return without.report + " -> " + with.report;
}

// mkdir in a fresh directory, removed again; "ok" or the errno's name.
std::function<std::string()> mkdir_probe(const std::string& path) {
    return [path] {
        std::string r = outcome(mkdir(path.c_str(), 0700));
        rmdir(path.c_str());
        return r;
    };
}

}  // namespace

TEST_GROUP(SeccompFilter){};

TEST(SeccompFilter, ErrnoRuleFailsTheSyscall) {
    test::TempDir dir("seccomp");
    SpecSeccomp spec = allow_by_default({rule({"mkdir", "mkdirat"}, "SCMP_ACT_ERRNO")});
    STRCMP_EQUAL("ok -> EPERM", probe_with(spec, mkdir_probe(dir / "d")).c_str());
}

TEST(SeccompFilter, ErrnoRetIsReturned) {
    if (test::skip_unless_root("unshare")) return;
    SpecSeccomp spec = allow_by_default({
        rule({"unshare"}, "SCMP_ACT_ERRNO", EACCES),
        rule({"clone3"}, "SCMP_ACT_ERRNO", ENOSYS),  // as moby's profile, so glibc uses clone
    });
    auto probe = [] {
        std::string u = outcome(unshare(CLONE_NEWUTS));
        // clone3 with a null argument: EFAULT or EINVAL from the kernel, ENOSYS from the filter.
        long rc = syscall(SYS_clone3, nullptr, 0);
        std::string c = rc < 0 && errno == ENOSYS ? "ENOSYS" : "kernel";
        return u + "," + c;
    };
    STRCMP_EQUAL("ok,kernel -> EACCES,ENOSYS", probe_with(spec, probe).c_str());
}

TEST(SeccompFilter, DefaultErrnoWithAnAllowList) {
    SpecSeccomp spec;
    spec.default_action = "SCMP_ACT_ERRNO";
    spec.default_errno_ret = EPROTO;
    spec.syscalls = {
        rule({"write", "exit_group", "exit", "rt_sigreturn", "getppid"}, "SCMP_ACT_ALLOW")};
    auto probe = [] {
        std::string r = outcome(syscall(SYS_getppid)) + ",";
        r += outcome(syscall(SYS_getuid));
        return r;
    };
    STRCMP_EQUAL("ok,ok -> ok,EPROTO", probe_with(spec, probe).c_str());
}

TEST(SeccompFilter, MaskedEqualCompareUsesValueTwo) {
    // personality(PER_LINUX32) refused; querying (0xffffffff) and PER_LINUX allowed.
    SpecSeccompArg masked{0, 0xff, PER_LINUX32, "SCMP_CMP_MASKED_EQ"};
    SpecSeccomp spec = allow_by_default({rule({"personality"}, "SCMP_ACT_ERRNO", {}, {masked})});
    auto probe = [] {
        std::string r = outcome(syscall(SYS_personality, 0xffffffffUL)) + ",";
        r += outcome(syscall(SYS_personality, static_cast<unsigned long>(PER_LINUX32))) + ",";
        r += outcome(syscall(SYS_personality, static_cast<unsigned long>(PER_LINUX)));
        return r;
    };
    STRCMP_EQUAL("ok,ok,ok -> ok,EPERM,ok", probe_with(spec, probe).c_str());
}

TEST(SeccompFilter, ComparesOfOneArgumentAreAlternatives) {
    constexpr unsigned linux32_norandom = unsigned(PER_LINUX32) | unsigned(ADDR_NO_RANDOMIZE);
    SpecSeccompArg a{0, PER_LINUX32, 0, "SCMP_CMP_EQ"};
    SpecSeccompArg b{0, linux32_norandom, 0, "SCMP_CMP_EQ"};
    SpecSeccomp spec = allow_by_default({rule({"personality"}, "SCMP_ACT_ERRNO", {}, {a, b})});
    auto probe = [] {
        std::string r = outcome(syscall(SYS_personality, unsigned(PER_LINUX32))) + ",";
        r += outcome(syscall(SYS_personality, linux32_norandom)) + ",";
        r += outcome(syscall(SYS_personality, unsigned(PER_LINUX)));
        return r;
    };
    STRCMP_EQUAL("ok,ok,ok -> EPERM,EPERM,ok", probe_with(spec, probe).c_str());
}

TEST(SeccompFilter, ComparesOfSeveralArgumentsMustAllHold) {
    test::TempDir dir("seccomp");
    int dir_fd = open(dir.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    CHECK(dir_fd >= 0);
    // mkdirat(dir_fd, ..., 0700) refused; another mode, or another directory fd, allowed.
    SpecSeccompArg fd{0, static_cast<uint64_t>(dir_fd), 0, "SCMP_CMP_EQ"};
    SpecSeccompArg mode{2, 0700, 0, "SCMP_CMP_EQ"};
    SpecSeccomp spec = allow_by_default({rule({"mkdirat"}, "SCMP_ACT_ERRNO", {}, {fd, mode})});
    std::string path = dir / "d";
    auto probe = [dir_fd, path] {
        std::string r = outcome(syscall(SYS_mkdirat, dir_fd, "d", 0700)) + ",";
        rmdir(path.c_str());
        r += outcome(syscall(SYS_mkdirat, dir_fd, "d", 0755)) + ",";
        rmdir(path.c_str());
        r += outcome(syscall(SYS_mkdirat, AT_FDCWD, path.c_str(), 0700));
        rmdir(path.c_str());
        return r;
    };
    STRCMP_EQUAL("ok,ok,ok -> EPERM,ok,ok", probe_with(spec, probe).c_str());
    close(dir_fd);
}

TEST(SeccompFilter, UnknownSyscallNamesAreSkipped) {
    test::TempDir dir("seccomp");
    SpecSeccomp spec = allow_by_default(
        {rule({"no_such_syscall_anywhere", "mkdir", "mkdirat"}, "SCMP_ACT_ERRNO")});
    STRCMP_EQUAL("ok -> EPERM", probe_with(spec, mkdir_probe(dir / "d")).c_str());
}

// socketcall and ipc exist on x86 but not on x86_64: a filter for the native architecture only
// still takes the rule for the syscalls it has.
TEST(SeccompFilter, SyscallsMissingOnTheArchitectureAreSkipped) {
    test::TempDir dir("seccomp");
    SpecSeccomp spec =
        allow_by_default({rule({"socketcall", "ipc", "mkdir", "mkdirat"}, "SCMP_ACT_ERRNO")});
    spec.architectures.clear();
    STRCMP_EQUAL("ok -> EPERM", probe_with(spec, mkdir_probe(dir / "d")).c_str());
}

TEST(SeccompFilter, RuleRepeatingTheDefaultIsSkipped) {
    test::TempDir dir("seccomp");
    SpecSeccomp spec = allow_by_default(
        {rule({"getpid"}, "SCMP_ACT_ALLOW"), rule({"mkdir", "mkdirat"}, "SCMP_ACT_ERRNO")});
    STRCMP_EQUAL("ok -> EPERM", probe_with(spec, mkdir_probe(dir / "d")).c_str());
}

TEST(SeccompFilter, KillProcessEndsTheProcess) {
    SpecSeccomp spec = allow_by_default({rule({"getppid"}, "SCMP_ACT_KILL_PROCESS")});
    auto r = run_in_child([&] {
        auto filter = compile_seccomp(spec);
        if (!filter.ok() || !set_no_new_privs().ok() || !filter->load().ok())
            return std::string("setup failed");
        syscall(SYS_getppid);
        return std::string("survived");
    });
    STRCMP_EQUAL("", r.report.c_str());
    CHECK(WIFSIGNALED(r.status));
    LONGS_EQUAL(SIGSYS, WTERMSIG(r.status));
}

namespace {

int tsync_pipe[2] = {-1, -1};
const char* tsync_path = nullptr;
int tsync_errno = 0;

// Waits until the main thread has loaded the filter, then tries mkdir.
void* tsync_thread(void*) {
    char c;
    (void)!read(tsync_pipe[0], &c, 1);
    tsync_errno = mkdir(tsync_path, 0700) < 0 ? errno : 0;
    return nullptr;
}

}  // namespace

// With SECCOMP_FILTER_FLAG_TSYNC the filter reaches a thread started before it was loaded.
TEST(SeccompFilter, TsyncCoversEveryThread) {
    test::TempDir dir("seccomp");
    std::string path = dir / "d";
    SpecSeccomp spec = allow_by_default({rule({"mkdir", "mkdirat"}, "SCMP_ACT_ERRNO")});
    spec.flags = {"SECCOMP_FILTER_FLAG_TSYNC"};
    auto r = run_in_child([&] {
        tsync_path = path.c_str();
        if (pipe(tsync_pipe) < 0) return std::string("pipe failed");
        pthread_t t;
        if (pthread_create(&t, nullptr, tsync_thread, nullptr) != 0)
            return std::string("thread failed");
        auto filter = compile_seccomp(spec);
        if (!filter.ok()) return filter.error().message;
        Status s = set_no_new_privs();
        if (s.ok()) s = filter->load();
        if (!s.ok()) return s.error().message;
        (void)!write(tsync_pipe[1], "x", 1);
        pthread_join(t, nullptr);
        return std::string(tsync_errno ? strerrorname_np(tsync_errno) : "ok");
    });
    STRCMP_EQUAL("EPERM", r.report.c_str());
}

TEST(SeccompFilter, UnsupportedFlagIsRefused) {
    SpecSeccomp spec = allow_by_default({});
    spec.flags = {"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"};
    auto filter = compile_seccomp(spec);
    CHECK(!filter.ok());
    STRCMP_EQUAL("seccomp flag 'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV' is not supported, refusing",
                 filter.error().message.c_str());
}

TEST(SeccompFilter, LogAndSpecAllowFlagsCompile) {
    SpecSeccomp spec = allow_by_default({rule({"mkdir"}, "SCMP_ACT_LOG")});
    spec.flags = {"SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW"};
    auto filter = compile_seccomp(spec);
    CHECK_TEXT(filter.ok(), filter.ok() ? "" : filter.error().message.c_str());
}
