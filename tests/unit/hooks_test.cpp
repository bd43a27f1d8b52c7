// OCI lifecycle hooks: each runs with exactly its own args and env, the state JSON on stdin and
// nothing else of the runner's but stdout and stderr; failures, signals, timeouts and exec errors
// are reported naming the phase and the hook. Hooks are small /bin/sh scripts that write what
// they saw into files of a temp dir.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <set>
#include <string>
#include <vector>

#include "base/fs.hpp"
#include "forked_child.hpp"
#include "run/hooks.hpp"
#include "temp_dir.hpp"

// Last: CppUTest redefines new, which the standard headers above must not see.
#include <CppUTest/TestHarness.h>

using namespace ocipod;
using namespace ocipod::test;

namespace {

constexpr const char* state_json =
    R"({"ociVersion":"1.2.0","id":"hooked","status":"creating","pid":42,"bundle":"/b"})";

// An executable /bin/sh script named name in dir with body; its path.
std::string write_script(const TempDir& dir, const std::string& name, const std::string& body,
                         mode_t mode = 0755) {
    std::string path = dir / name;
    UniqueFd fd(open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode));
    if (!fd || !write_all(fd.get(), "#!/bin/sh\n" + body).ok()) return "write failed";
    return path;
}

std::string read_file(const std::string& path) {
    auto r = read_file_capped(AT_FDCWD, path, 4 << 20);
    return r.ok() ? r.take() : "<" + r.error().message + ">";
}

bool exists(const std::string& path) {
    return access(path.c_str(), F_OK) == 0;
}

SpecHook hook(const std::string& path, std::vector<std::string> args = {},
              std::vector<std::string> env = {}) {
    SpecHook h;
    h.path = path;
    h.args = std::move(args);
    h.env = std::move(env);
    return h;
}

}  // namespace

TEST_GROUP(Hooks){};

// The hook is /bin/sh itself, so its argv[0] is ours to check: a script path would be replaced
// by the kernel's #! handling. /proc/$$/environ is the env as execve passed it (the shell's own
// `env` would add PWD).
TEST(Hooks, HookGetsTheStateOnStdinAndExactlyItsArgsAndEnv) {
    TempDir dir("hooks");
    std::string script = write_script(dir, "record.sh",
                                      "cat > \"$1/stdin\"\n"
                                      "tr '\\0' '\\n' < /proc/$$/environ > \"$1/env\"\n"
                                      "tr '\\0' '\\n' < /proc/$$/cmdline > \"$1/cmdline\"\n");
    CHECK_FALSE(getenv("OCI_POD_HOOK_TEST") != nullptr);
    setenv("OCI_POD_HOOK_TEST", "leaked", 1);
    Status st = run_hooks({hook("/bin/sh", {"state-hook", script, dir.path(), "two words"},
                                {"A=1", "B=two words", "EMPTY="})},
                          state_json, "createRuntime");
    unsetenv("OCI_POD_HOOK_TEST");
    CHECK_TRUE_TEXT(st.ok(), st.ok() ? "" : st.error().message.c_str());
    STRCMP_EQUAL(state_json, read_file(dir / "stdin").c_str());
    STRCMP_EQUAL("A=1\nB=two words\nEMPTY=\n", read_file(dir / "env").c_str());
    STRCMP_EQUAL(("state-hook\n" + script + "\n" + dir.path() + "\ntwo words\n").c_str(),
                 read_file(dir / "cmdline").c_str());
}

TEST(Hooks, HookWithoutArgsOrEnvGetsItsPathAndAnEmptyEnvironment) {
    TempDir dir("hooks");
    std::string out = dir / "env";
    std::string script = write_script(
        dir, "noenv.sh",
        "tr '\\0' '\\n' < /proc/$$/environ > '" + out + "'\necho \"$0\" > '" + out + ".argv0'\n");
    Status st = run_hooks({hook(script)}, state_json, "prestart");
    CHECK_TRUE_TEXT(st.ok(), st.ok() ? "" : st.error().message.c_str());
    CHECK_TRUE(exists(out));
    STRCMP_EQUAL("", read_file(out).c_str());
    STRCMP_EQUAL((script + "\n").c_str(), read_file(out + ".argv0").c_str());
}

TEST(Hooks, FailingHookStopsTheChainAndIsNamed) {
    TempDir dir("hooks");
    std::string first = write_script(dir, "fails.sh", "cat >/dev/null\nexit 3\n");
    std::string second = write_script(dir, "second.sh", "touch \"$1/marker\"\n");
    // The second hook works on its own: its marker is what the chain must not reach.
    CHECK_TRUE(run_hooks({hook(second, {second, dir.path()})}, state_json, "prestart").ok());
    CHECK_TRUE(exists(dir / "marker"));
    CHECK_EQUAL(0, unlink((dir / "marker").c_str()));

    Status st =
        run_hooks({hook(first), hook(second, {second, dir.path()})}, state_json, "createRuntime");
    CHECK_FALSE(st.ok());
    STRCMP_EQUAL(("createRuntime hook '" + first + "' exited with status 3").c_str(),
                 st.error().message.c_str());
    CHECK_FALSE(exists(dir / "marker"));
}

TEST(Hooks, HookKilledBySignalIsNamed) {
    TempDir dir("hooks");
    std::string script = write_script(dir, "killed.sh", "kill -TERM $$\n");
    Status st = run_hooks({hook(script)}, state_json, "poststop");
    CHECK_FALSE(st.ok());
    STRCMP_EQUAL(("poststop hook '" + script + "' was killed by signal SIGTERM").c_str(),
                 st.error().message.c_str());
}

// Coarse: the check is that the call returns at all with the timeout reported (a hook that is
// not killed would hold it for 30 s), not how long it took.
TEST(Hooks, HookPastItsTimeoutIsKilledAndReported) {
    SpecHook h = hook("/bin/sleep", {"sleep", "30"});
    h.timeout = 1;
    Status st = run_hooks({h}, state_json, "prestart");
    CHECK_FALSE(st.ok());
    CHECK_EQUAL(ETIMEDOUT, st.error().code);
    STRCMP_EQUAL("prestart hook '/bin/sleep' timed out after 1 s", st.error().message.c_str());
}

TEST(Hooks, HookThatCannotBeExecutedIsReported) {
    TempDir dir("hooks");
    std::string plain = write_script(dir, "plain.sh", "exit 0\n", 0644);
    Status st = run_hooks({hook(plain)}, state_json, "poststart");
    CHECK_FALSE(st.ok());
    CHECK_EQUAL(EACCES, st.error().code);
    STRCMP_CONTAINS(("poststart hook '" + plain + "' cannot be run: ").c_str(),
                    st.error().message.c_str());

    std::string missing = dir / "missing";
    Status gone = run_hooks({hook(missing)}, state_json, "poststart");
    CHECK_FALSE(gone.ok());
    CHECK_EQUAL(ENOENT, gone.error().code);
    STRCMP_CONTAINS("cannot be run", gone.error().message.c_str());
}

// A hook that exits without reading a state larger than any pipe buffer: the runner's write
// meets a closed pipe, which must be neither a SIGPIPE for it nor a failure of the hook. Run in
// a child so that a SIGPIPE shows as a failed test, not a dead test run; afterwards SIGPIPE is
// neither left blocked nor pending.
TEST(Hooks, HookIgnoringALargeStateDoesNotHurtTheRunner) {
    TempDir dir("hooks");
    // The second closes its stdin and stays a moment, so the write surely meets the closed pipe
    // while the hook still runs (the first may be gone before the runner notices the pipe).
    std::string lingers = write_script(dir, "lingers.sh", "exec 0<&-\nsleep 0.3\n");
    std::string big(1 << 20, ' ');
    big.front() = '{';
    big.back() = '}';
    int status = exit_code_in_child([&] {
        Status st = run_hooks({hook("/bin/true"), hook(lingers)}, big, "poststart");
        if (!st.ok()) return 1;
        sigset_t mask, pending;
        sigprocmask(SIG_BLOCK, nullptr, &mask);
        sigpending(&pending);
        if (sigismember(&mask, SIGPIPE) || sigismember(&pending, SIGPIPE)) return 2;
        return 0;
    });
    CHECK_EQUAL(0, status);
}

// THREATS §2.2: the hook runs on the host, so a leaked fd of the runner would be a leaked host
// resource; only 0 (the state pipe), 1, 2 and the listing's own directory fd may be open.
TEST(Hooks, HookSeesNoFdOfTheRunner) {
    TempDir dir("hooks");
    std::string listing = dir / "fds";
    int status = exit_code_in_child([&] {
        int leaked = open((dir / "leaked-file").c_str(), O_RDWR | O_CREAT, 0600);
        if (leaked < 0 || dup2(leaked, 100) != 100) return 10;
        int out = open(listing.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (out < 0 || dup2(out, STDOUT_FILENO) != STDOUT_FILENO) return 11;
        close(out);
        Status st = run_hooks({hook("/bin/ls", {"ls", "-l", "/proc/self/fd"})}, "{}", "prestart");
        return st.ok() ? 0 : 1;
    });
    CHECK_EQUAL(0, status);
    std::string text = read_file(listing);
    std::set<int> fds;
    for (const std::string& line : split(text, '\n')) {
        size_t arrow = line.find(" -> ");
        if (arrow == std::string::npos) continue;
        size_t start = line.rfind(' ', arrow - 1);
        fds.insert(atoi(line.c_str() + start + 1));
    }
    CHECK_TRUE_TEXT(fds == std::set<int>({0, 1, 2, 3}), text.c_str());
    CHECK_TRUE_TEXT(text.find("leaked-file") == std::string::npos, text.c_str());
    STRCMP_CONTAINS("0 -> pipe:", text.c_str());
}
