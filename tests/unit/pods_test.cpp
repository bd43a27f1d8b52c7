#include <signal.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "cli/options.hpp"
#include "store/pods.hpp"
#include "store_fixture.hpp"

#include <CppUTest/TestHarness.h>

using namespace ocipod;
using ocipod::test::TempDir;

namespace {

PodRecord record(const std::string& name) {
    PodRecord r;
    r.name = name;
    r.image = "docker.io/library/busybox:latest";
    r.image_digest = "sha256:" + std::string(64, 'a');
    r.created = "2026-11-27T15:00:00Z";
    r.command = {"/bin/sh", "-c", "echo hi"};
    r.stop_signal = SIGINT;
    r.stop_timeout_sec = 3;
    return r;
}

bool contains(const std::string& s, const char* part) {
    return s.find(part) != std::string::npos;
}

}  // namespace

TEST_GROUP(Pods) {
    TempDir tmp{"pods"};
    PodDirs dirs{tmp.path()};
};

TEST(Pods, DirsOfTheDefaultRootAndOfOthers) {
    PodDirs def("/var/lib/oci-pod");
    STRCMP_EQUAL("/run/oci-pod", def.run_root().c_str());
    STRCMP_EQUAL("/run/oci-pod/runtime", def.runtime_root().c_str());
    STRCMP_EQUAL("/run/oci-pod/pods/web/lock", def.lock_file("web").c_str());
    STRCMP_EQUAL("/var/lib/oci-pod/pods/web/bundle", def.bundle_dir("web").c_str());
    PodDirs other("/srv/store/");
    STRCMP_EQUAL("/srv/store/run", other.run_root().c_str());
    STRCMP_EQUAL("/srv/store/pods/web/exit.json", other.exit_file("web").c_str());
    STRCMP_EQUAL("/srv/store/pods/web/log", other.log_file("web").c_str());
}

TEST(Pods, NamesAreMachineNames) {
    const std::string longest(64, 'x');
    for (const std::string ok : {"web", "a", "web-1", "my_pod.2", "A9", longest.c_str()})
        CHECK_TEXT(check_pod_name(ok).ok(), ok.c_str());
    for (const char* bad : {"", "-web", ".web", "web.", "a..b", "a/b", "a b", "caf\xc3\xa9", "x:y"})
        LONGS_EQUAL_TEXT(EINVAL, check_pod_name(bad).error().code, bad);
    LONGS_EQUAL(EINVAL, check_pod_name(std::string(65, 'x')).error().code);
}

TEST(Pods, CreateReadListRemove) {
    CHECK(list_pods(dirs)->empty());
    CHECK(create_pod(dirs, record("web")).ok());
    CHECK(create_pod(dirs, record("db")).ok());
    auto names = list_pods(dirs);
    CHECK(names.ok());
    CHECK((std::vector<std::string>{"db", "web"}) == *names);

    auto r = read_pod(dirs, "web");
    CHECK_TEXT(r.ok(), r.ok() ? "" : r.error().message.c_str());
    STRCMP_EQUAL("web", r->name.c_str());
    STRCMP_EQUAL("docker.io/library/busybox:latest", r->image.c_str());
    CHECK(record("web").command == r->command);
    LONGS_EQUAL(SIGINT, r->stop_signal.value_or(0));
    LONGS_EQUAL(3, r->stop_timeout_sec);
    CHECK(!r->remove && !r->detach && r->unit.empty());

    r->unit = "oci-pod-web.service";
    r->remove = true;
    CHECK(update_pod(dirs, *r).ok());
    auto again = read_pod(dirs, "web");
    STRCMP_EQUAL("oci-pod-web.service", again->unit.c_str());
    CHECK(again->remove);

    auto lock = lock_pod(dirs, "web");
    CHECK(lock.ok());
    CHECK(test::path_exists(dirs.lock_file("web")));
    CHECK(remove_pod_dirs(dirs, "web").ok());
    CHECK(!test::path_exists(dirs.pod_dir("web")));
    CHECK(!test::path_exists(dirs.lock_file("web")));
    CHECK((std::vector<std::string>{"db"}) == *list_pods(dirs));
    LONGS_EQUAL(ENOENT, read_pod(dirs, "web").error().code);
}

TEST(Pods, ADuplicateNameIsRefusedLikePodman) {
    CHECK(create_pod(dirs, record("web")).ok());
    auto again = create_pod(dirs, record("web"));
    LONGS_EQUAL(EEXIST, again.error().code);
    std::string m = again.error().message;
    CHECK_TEXT(contains(m, "pod 'web' exists; remove it with 'oci-pod rm web'"), m.c_str());
    // The first record is untouched.
    CHECK(read_pod(dirs, "web").ok());
}

TEST(Pods, ListSkipsWhatIsNotAPod) {
    CHECK(create_pod(dirs, record("web")).ok());
    test::write_path(tmp / "pods/stray-file", "x");
    CHECK(mkdir((tmp / "pods/.hidden").c_str(), 0700) == 0);
    CHECK((std::vector<std::string>{"web"}) == *list_pods(dirs));
}

TEST(Pods, RecordsAreReadStrictly) {
    CHECK(parse_pod_record(pod_record_json(record("web"))).ok());
    LONGS_EQUAL(EBADMSG, parse_pod_record("[]").error().code);
    CHECK(!parse_pod_record("{\"name\":\"../x\",\"image\":\"i\"}").ok());
    CHECK(!parse_pod_record("{\"name\":\"web\"}").ok());
    CHECK(!parse_pod_record("{\"name\":\"web\",\"image\":\"i\",\"stopSignal\":99}").ok());
    CHECK(!parse_pod_record("{\"name\":\"web\",\"image\":\"i\",\"stopTimeout\":-1}").ok());
    // A record whose name is not its directory's is refused.
    CHECK(create_pod(dirs, record("web")).ok());
    test::write_path(dirs.pod_dir("web") + "/pod.json", pod_record_json(record("other")));
    LONGS_EQUAL(EBADMSG, read_pod(dirs, "web").error().code);
}

TEST(Pods, ExitRecords) {
    CHECK(create_pod(dirs, record("web")).ok());
    CHECK(!read_pod_exit(dirs, "web").value());
    PodExit e{
        .exit_code = 143, .signal = "SIGTERM", .finished_at = "2026-11-27T15:01:00Z", .error = ""};
    CHECK(write_pod_exit(dirs, "web", e).ok());
    auto got = read_pod_exit(dirs, "web");
    CHECK(got.ok() && got->has_value());
    LONGS_EQUAL(143, (*got)->exit_code);
    STRCMP_EQUAL("SIGTERM", (*got)->signal.c_str());
    STRCMP_EQUAL("2026-11-27T15:01:00Z", (*got)->finished_at.c_str());
    CHECK(clear_pod_exit(dirs, "web").ok());
    CHECK(!read_pod_exit(dirs, "web").value());
    CHECK(clear_pod_exit(dirs, "web").ok());

    // The runtime's status file form (runtime.hpp RunRequest::status_file).
    auto runtime_form =
        parse_pod_exit("{\"exitCode\":3,\"signal\":null,\"finishedAt\":\"2026-11-27T15:02:00Z\"}");
    CHECK(runtime_form.ok());
    LONGS_EQUAL(3, runtime_form->exit_code);
    CHECK(runtime_form->signal.empty());
    for (const char* bad : {"{}", "{\"exitCode\":256}", "{\"exitCode\":-1}", "{\"exitCode\":\"1\"}",
                            "[1]", "{\"exitCode\":1,\"signal\":9}"})
        CHECK_TEXT(!parse_pod_exit(bad).ok(), bad);
}

TEST(Pods, TheLockExcludesASecondRunnerAndShowsTheFirst) {
    auto first = lock_pod(dirs, "web");
    CHECK(first.ok());
    PodRunner r = pod_runner(dirs, "web");
    CHECK(r.running);
    LONGS_EQUAL(getpid(), r.pid);
    CHECK(r.started > 0);

    // Another open description, in this process or another, is refused.
    auto second = lock_pod(dirs, "web");
    LONGS_EQUAL(EBUSY, second.error().code);
    CHECK_TEXT(contains(second.error().message, "pod 'web' is already running, refusing"),
               second.error().message.c_str());
    int status = test::run_child([&] { return lock_pod(dirs, "web").ok() ? 0 : 1; });
    LONGS_EQUAL(1, test::exit_code(status));

    // Released when the holder goes: the pod counts as not running (stale state shows exited).
    *first = PodLock();
    CHECK(!pod_runner(dirs, "web").running);
    status = test::run_child([&] {
        auto l = lock_pod(dirs, "web");
        return l.ok() && pod_runner(dirs, "web").pid == getpid() ? 0 : 1;
    });
    LONGS_EQUAL(0, test::exit_code(status));
    // The child exited: its lock went with it.
    CHECK(!pod_runner(dirs, "web").running);
    CHECK(!pod_runner(dirs, "never-ran").running);
}

TEST(Pods, AnInheritedLockStaysHeld) {
    // The monitor model: the lock's description passes to a child across fork and the parent
    // closes its own fd; the pod must not look stopped in between.
    auto lock = lock_pod(dirs, "web");
    CHECK(lock.ok());
    int fds[2];
    CHECK(pipe2(fds, O_CLOEXEC) == 0);
    pid_t child = fork();
    if (child == 0) {
        close(fds[1]);
        char c;
        (void)!read(fds[0], &c, 1);  // until the parent has dropped its fd and checked
        _exit(0);
    }
    close(fds[0]);
    *lock = PodLock();
    CHECK(pod_runner(dirs, "web").running);
    close(fds[1]);
    waitpid(child, nullptr, 0);
    CHECK(!pod_runner(dirs, "web").running);
}

TEST_GROUP(RunOptions){};

namespace {
Result<CommandLine> parse(std::vector<std::string> args) {
    return parse_command_line(args, "/default/root");
}
std::string refusal(std::vector<std::string> args) {
    auto r = parse(std::move(args));
    if (r) return "";
    LONGS_EQUAL(EINVAL, r.error().code);
    return r.error().message;
}
}  // namespace

TEST(RunOptions, EveryRunOption) {
    auto r = parse({"run",
                    "--name",
                    "web",
                    "--rm",
                    "-d",
                    "-t",
                    "-i",
                    "-e",
                    "A=1",
                    "--env-file",
                    "f.env",
                    "-v",
                    "/srv:/data",
                    "-v",
                    "rel:/ro:ro",
                    "--tmpfs",
                    "/scratch",
                    "-w",
                    "/data",
                    "-u",
                    "app:wheel",
                    "--hostname",
                    "h1",
                    "--memory",
                    "64M",
                    "--cpus",
                    "1.5",
                    "--pids-limit",
                    "100",
                    "--cap-add",
                    "net_admin",
                    "--cap-drop",
                    "ALL",
                    "--read-only",
                    "--network",
                    "host",
                    "--stop-signal",
                    "SIGINT",
                    "--stop-timeout",
                    "3",
                    "--rootfs",
                    "copy",
                    "--pull",
                    "never",
                    "busybox",
                    "sh",
                    "-c",
                    "echo hi"});
    CHECK_TEXT(r.ok(), r.ok() ? "" : r.error().message.c_str());
    CHECK(r->command == Command::run);
    const RunArgs& a = r->run;
    STRCMP_EQUAL("web", a.name.c_str());
    CHECK(a.remove && a.detach && a.interactive && a.render.tty && a.render.read_only);
    CHECK((std::vector<std::string>{"A=1"}) == a.render.env);
    CHECK((std::vector<std::string>{"f.env"}) == a.env_files);
    LONGS_EQUAL(3, a.mounts.size());
    STRCMP_EQUAL("/srv", a.mounts[0].source.c_str());
    STRCMP_EQUAL("/data", a.mounts[0].destination.c_str());
    CHECK(!a.mounts[0].read_only && !a.mounts[0].tmpfs);
    STRCMP_EQUAL("rel", a.mounts[1].source.c_str());
    CHECK(a.mounts[1].read_only);
    CHECK(a.mounts[2].tmpfs);
    STRCMP_EQUAL("/scratch", a.mounts[2].destination.c_str());
    STRCMP_EQUAL("/data", a.render.workdir->c_str());
    STRCMP_EQUAL("app:wheel", a.render.user->c_str());
    STRCMP_EQUAL("h1", a.render.hostname.c_str());
    LONGS_EQUAL(64 << 20, *a.resources.memory_bytes);
    LONGS_EQUAL(1500, *a.resources.cpu_millis);
    LONGS_EQUAL(100, *a.resources.pids_limit);
    CHECK((std::vector<std::string>{"CAP_NET_ADMIN"}) == a.cap_add);
    CHECK((std::vector<std::string>{"ALL"}) == a.cap_drop);
    CHECK(a.host_network);
    STRCMP_EQUAL("SIGINT", a.stop_signal.c_str());
    LONGS_EQUAL(3, *a.stop_timeout);
    CHECK(a.render.rootfs == RootfsMode::copy);
    CHECK(a.render.pull_policy == PullPolicy::never);
    STRCMP_EQUAL("busybox", a.render.pull.source.c_str());
    CHECK((std::vector<std::string>{"sh", "-c", "echo hi"}) == *a.render.command);
}

TEST(RunOptions, WordsAfterTheImageAreTheCommands) {
    auto r = parse({"run", "--rm", "busybox", "ls", "--name", "x", "-d"});
    CHECK(r.ok());
    CHECK(r->run.name.empty() && !r->run.detach);
    CHECK((std::vector<std::string>{"ls", "--name", "x", "-d"}) == *r->run.render.command);
    auto dashdash = parse({"run", "--", "busybox", "-x"});
    CHECK(dashdash.ok());
    STRCMP_EQUAL("busybox", dashdash->run.render.pull.source.c_str());
    CHECK((std::vector<std::string>{"-x"}) == *dashdash->run.render.command);
}

TEST(RunOptions, Refusals) {
    struct Case {
        std::vector<std::string> args;
        const char* says;
    } cases[] = {
        {{"run"}, "missing IMAGE"},
        {{"run", "--name", "-bad", "i"}, "'--name'"},
        {{"run", "--name", std::string(65, 'a'), "i"}, "'--name'"},
        {{"run", "-v", "/srv", "i"}, "'-v'"},
        {{"run", "-v", "/srv:rel", "i"}, "'-v'"},
        {{"run", "-v", "/srv:/d:rx", "i"}, "'-v'"},
        {{"run", "--tmpfs", "rel", "i"}, "'--tmpfs'"},
        {{"run", "--memory", "0", "i"}, "'--memory'"},
        {{"run", "--memory", "1.5G", "i"}, "'--memory'"},
        {{"run", "--cpus", "0", "i"}, "'--cpus'"},
        {{"run", "--cpus", "1.", "i"}, "'--cpus'"},
        {{"run", "--cpus", "0.0001", "i"}, "'--cpus'"},
        {{"run", "--pids-limit", "0", "i"}, "'--pids-limit'"},
        {{"run", "--cap-add", "CAP_NOPE", "i"}, "'--cap-add'"},
        {{"run", "--network", "bridge", "i"}, "'--network'"},
        {{"run", "--stop-signal", "SIGNOPE", "i"}, "'--stop-signal'"},
        {{"run", "--stop-timeout", "-1", "i"}, "'--stop-timeout'"},
        {{"run", "--bundle", "/b", "i"}, "unknown option '--bundle'"},
    };
    for (const Case& c : cases) {
        std::string e = refusal(c.args);
        CHECK_TEXT(contains(e, c.says), (c.args.back() + ": " + e).c_str());
        if (!e.empty()) CHECK_TEXT(contains(e, "see 'oci-pod run --help'"), e.c_str());
    }
}

TEST(RunOptions, CpusText) {
    LONGS_EQUAL(1500, parse_cpus("1.5").value_or(0));
    LONGS_EQUAL(250, parse_cpus("0.25").value_or(0));
    LONGS_EQUAL(250, parse_cpus(".25").value_or(0));
    LONGS_EQUAL(2000, parse_cpus("2").value_or(0));
    LONGS_EQUAL(1, parse_cpus("0.001").value_or(0));
    for (const char* bad : {"", ".", "0", "0.0", "-1", "1e3", "1,5", "1001", "abc"})
        CHECK_TEXT(!parse_cpus(bad), bad);
}

TEST(RunOptions, PodCommands) {
    auto ps = parse({"ps", "-a", "--json"});
    CHECK(ps.ok() && ps->command == Command::ps && ps->ps.all && ps->ps.json);
    auto status = parse({"status", "--json", "web"});
    CHECK(status.ok() && status->command == Command::status && status->pod.json);
    STRCMP_EQUAL("web", status->pod.name.c_str());
    auto stop = parse({"stop", "-t", "5", "web"});
    CHECK(stop.ok() && stop->command == Command::stop && *stop->pod.timeout == 5);
    auto kill = parse({"kill", "-s", "SIGUSR1", "web"});
    CHECK(kill.ok() && kill->command == Command::kill);
    STRCMP_EQUAL("SIGUSR1", kill->pod.signal.c_str());
    auto rm = parse({"rm", "-f", "web"});
    CHECK(rm.ok() && rm->command == Command::rm && rm->pod.force);
    auto logs = parse({"logs", "-f", "web"});
    CHECK(logs.ok() && logs->command == Command::logs && logs->pod.follow);
    auto enter = parse({"enter", "web", "ps", "-ef"});
    CHECK(enter.ok() && enter->command == Command::enter);
    STRCMP_EQUAL("web", enter->pod.name.c_str());
    CHECK((std::vector<std::string>{"ps", "-ef"}) == enter->pod.command);
    auto shell = parse({"enter", "web"});
    CHECK(shell.ok() && shell->pod.command.empty());

    CHECK(contains(refusal({"stop"}), "missing NAME"));
    CHECK(contains(refusal({"kill", "-s", "NOPE", "web"}), "'-s'"));
    CHECK(contains(refusal({"stop", "-t", "x", "web"}), "'-t'"));
    CHECK(contains(refusal({"status", "a", "b"}), "unexpected argument 'b'"));
    CHECK(contains(refusal({"status", "../x"}), "invalid pod name"));
    CHECK(contains(refusal({"ps", "web"}), "unexpected argument"));
    CHECK(parse({"run", "--help"})->help);
    CHECK(contains(help_text(Command::run), "--stop-timeout"));
    for (Command c : {Command::ps, Command::status, Command::stop, Command::kill, Command::rm,
                      Command::enter, Command::logs})
        CHECK(contains(help_text(c), "Usage: oci-pod "));
    CHECK(contains(help_text(Command::none), "enter NAME"));
}
