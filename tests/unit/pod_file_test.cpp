#include <fcntl.h>

#include "base/fs.hpp"
#include "base/unit_syntax.hpp"
#include "cli/pod_file.hpp"
#include "temp_dir.hpp"

#include <CppUTest/TestHarness.h>

using namespace ocipod;
using ocipod::test::TempDir;

namespace {

void write(const std::string& path, const std::string& text) {
    size_t slash = path.rfind('/');
    CHECK(make_dirs(path.substr(0, slash), 0755).ok());
    UniqueFd dir(open(path.substr(0, slash).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    CHECK(write_file_atomic(dir.get(), path.substr(slash + 1), text, 0644).ok());
}

Result<RunArgs> args_of(const std::string& text, const std::string& name = "web") {
    auto assignments = parse_unit_text(text, "web.pod");
    if (!assignments) return assignments.error();
    return pod_run_args(name, "web.pod", *assignments);
}

std::string error_of(const std::string& text) {
    auto r = args_of(text);
    if (r) return "";
    return r.error().message;
}

std::vector<std::string> words(const std::string& value) {
    auto w = split_unit_words(value);
    CHECK_TRUE(w.ok());
    return w.ok() ? *w : std::vector<std::string>{};
}

}  // namespace

TEST_GROUP(UnitSyntax){};

TEST(UnitSyntax, SectionsCommentsAndContinuations) {
    auto r = parse_unit_text(
        "# comment\n; also a comment\n\n[Pod]\nImage = alpine \nExec=sh -c \\\n"
        "# a comment inside the joined line\n  'echo hi'\n[X-Mine]\nAnything=goes\n",
        "f.pod");
    CHECK_TRUE(r.ok());
    LONGS_EQUAL(3, r->size());
    STRCMP_EQUAL("Pod", (*r)[0].section.c_str());
    STRCMP_EQUAL("Image", (*r)[0].key.c_str());
    STRCMP_EQUAL("alpine", (*r)[0].value.c_str());
    LONGS_EQUAL(5, (*r)[0].line);
    STRCMP_EQUAL("sh -c  'echo hi'", (*r)[1].value.c_str());
    LONGS_EQUAL(6, (*r)[1].line);
    STRCMP_EQUAL("X-Mine", (*r)[2].section.c_str());
}

TEST(UnitSyntax, RefusalsNameFileAndLine) {
    auto r = parse_unit_text("[Pod]\nImage=a\nnot an assignment\n", "f.pod");
    CHECK_FALSE(r.ok());
    STRCMP_EQUAL("f.pod:3: missing '=' in 'not an assignment'", r.error().message.c_str());
    r = parse_unit_text("Image=a\n", "f.pod");
    STRCMP_EQUAL("f.pod:1: assignment 'Image=' outside of any section", r.error().message.c_str());
    r = parse_unit_text("[Pod\n", "f.pod");
    STRCMP_EQUAL("f.pod:1: invalid section header '[Pod'", r.error().message.c_str());
    r = parse_unit_text("[Pod]\n=x\n", "f.pod");
    STRCMP_EQUAL("f.pod:2: assignment without a key", r.error().message.c_str());
    r = parse_unit_text(std::string("[Pod]\nImage=a\0b\n", 14), "f.pod");
    CHECK_FALSE(r.ok());
}

TEST(UnitSyntax, WordsQuotesAndEscapes) {
    std::vector<std::string> expected = {"sh", "-c", "echo \"a b\"", "it's", "x y", "tab\there"};
    CHECK(expected == words("sh -c 'echo \"a b\"' \"it's\" x\\sy tab\\there"));
    CHECK((std::vector<std::string>{"AB"}) == words("\\x41B"));
    CHECK((std::vector<std::string>{"a=1", "b=two words"}) == words("a=1 \"b=two words\""));
    CHECK(words("  ").empty());
    CHECK_FALSE(split_unit_words("'open").ok());
    CHECK_FALSE(split_unit_words("end\\").ok());
    CHECK_FALSE(split_unit_words("\\xZ1").ok());
}

TEST(UnitSyntax, QuotedWordsSplitBack) {
    std::vector<std::string> hard = {"plain",       "two words", "q\"uote", "back\\slash",
                                     "line\nbreak", "",          "it's"};
    std::string joined;
    for (auto& w : hard) joined += quote_unit_word(w) + " ";
    CHECK(hard == words(joined));
    STRCMP_EQUAL("plain", quote_unit_word("plain").c_str());
}

TEST(UnitSyntax, Booleans) {
    CHECK_TRUE(*parse_unit_boolean("Yes"));
    CHECK_TRUE(*parse_unit_boolean("on"));
    CHECK_FALSE(*parse_unit_boolean("0"));
    CHECK_FALSE(*parse_unit_boolean("off"));
    CHECK_FALSE(parse_unit_boolean("maybe").has_value());
}

TEST_GROUP(PodFile){};

TEST(PodFile, EveryKey) {
    auto r = args_of(
        "[Pod]\n"
        "Image=docker.io/library/busybox:1.36\n"
        "Exec=httpd -f -p 8080\n"
        "Entrypoint=/bin/sh -c\n"
        "Environment=A=1 \"B=two words\"\n"
        "Environment=C=3\n"
        "EnvironmentFile=/etc/web.env\n"
        "WorkingDir=/srv\n"
        "User=www\n"
        "Group=web\n"
        "HostName=web1\n"
        "Volume=/srv/data:/data:ro\n"
        "Tmpfs=/tmp\n"
        "ReadOnly=yes\n"
        "Network=host\n"
        "AddCapability=NET_ADMIN sys_time\n"
        "DropCapability=ALL\n"
        "Memory=64M\n"
        "CPUQuota=150%\n"
        "PidsLimit=100\n"
        "StopSignal=SIGINT\n"
        "StopTimeout=20\n"
        "Notify=yes\n"
        "Pull=never\n"
        "AutoUpdate=registry\n");
    CHECK_TRUE(r.ok());
    STRCMP_EQUAL("web", r->name.c_str());
    CHECK_TRUE(r->remove);
    STRCMP_EQUAL("docker.io/library/busybox:1.36", r->render.pull.source.c_str());
    CHECK((std::vector<std::string>{"httpd", "-f", "-p", "8080"}) == *r->render.command);
    CHECK((std::vector<std::string>{"/bin/sh", "-c"}) == *r->render.entrypoint);
    CHECK((std::vector<std::string>{"A=1", "B=two words", "C=3"}) == r->render.env);
    CHECK((std::vector<std::string>{"/etc/web.env"}) == r->env_files);
    STRCMP_EQUAL("/srv", r->render.workdir->c_str());
    STRCMP_EQUAL("www:web", r->render.user->c_str());
    STRCMP_EQUAL("web1", r->render.hostname.c_str());
    LONGS_EQUAL(2, r->mounts.size());
    STRCMP_EQUAL("/srv/data", r->mounts[0].source.c_str());
    CHECK_TRUE(r->mounts[0].read_only);
    CHECK_TRUE(r->mounts[1].tmpfs);
    CHECK_TRUE(r->render.read_only);
    CHECK_TRUE(r->host_network);
    CHECK((std::vector<std::string>{"CAP_NET_ADMIN", "CAP_SYS_TIME"}) == r->cap_add);
    CHECK((std::vector<std::string>{"ALL"}) == r->cap_drop);
    LONGS_EQUAL(64 << 20, *r->resources.memory_bytes);
    LONGS_EQUAL(1500, *r->resources.cpu_millis);
    LONGS_EQUAL(100, *r->resources.pids_limit);
    STRCMP_EQUAL("SIGINT", r->stop_signal.c_str());
    LONGS_EQUAL(20, *r->stop_timeout);
    CHECK_TRUE(r->app_notify);
    CHECK(r->render.pull_policy == PullPolicy::never);
    STRCMP_EQUAL("registry", r->auto_update.c_str());
}

TEST(PodFile, EmptyAssignmentResets) {
    auto r = args_of(
        "[Pod]\nImage=a\nVolume=/x:/x\nVolume=\nVolume=/y:/y\nMemory=1G\nMemory=\n"
        "Environment=A=1\nEnvironment=\nExec=one\nExec=two\n");
    CHECK_TRUE(r.ok());
    LONGS_EQUAL(1, r->mounts.size());
    STRCMP_EQUAL("/y", r->mounts[0].destination.c_str());
    CHECK_FALSE(r->resources.memory_bytes.has_value());
    CHECK_TRUE(r->render.env.empty());
    CHECK((std::vector<std::string>{"two"}) == *r->render.command);
}

TEST(PodFile, ErrorsNameFileLineAndKey) {
    STRCMP_EQUAL("web.pod:3: unknown key 'Memroy' in section [Pod]",
                 error_of("[Pod]\nImage=a\nMemroy=64M\n").c_str());
    STRCMP_EQUAL("web.pod:3: Memory=: invalid value 'lots' (expected a size such as 64M or 2G)",
                 error_of("[Pod]\nImage=a\nMemory=lots\n").c_str());
    STRCMP_EQUAL("web.pod: Image= is missing in section [Pod]",
                 error_of("[Pod]\nMemory=64M\n").c_str());
    STRCMP_EQUAL("web.pod:1: unknown section [Service]", error_of("[Service]\nImage=a\n").c_str());
    STRCMP_EQUAL("web.pod:2: Group=: needs User= as well",
                 error_of("[Pod]\nGroup=web\nImage=a\n").c_str());
    STRCMP_EQUAL("web.pod:2: Environment=: 'NOVALUE' is not NAME=VALUE",
                 error_of("[Pod]\nEnvironment=NOVALUE\nImage=a\n").c_str());
    STRCMP_EQUAL(
        "web.pod:2: CPUQuota=: invalid value '1.5' (expected a percentage of one CPU such as 50% "
        "or 150%)",
        error_of("[Pod]\nCPUQuota=1.5\nImage=a\n").c_str());
    STRCMP_EQUAL("web.pod:2: Exec=: unterminated quote in 'sh -c \"x'",
                 error_of("[Pod]\nExec=sh -c \"x\nImage=a\n").c_str());
    CHECK(error_of("[Pod]\nImage=a\nVolume=relative\n").find("web.pod:3: Volume=") == 0);
    CHECK(error_of("[Pod]\nImage=a\nStopSignal=SIGNOPE\n").find("web.pod:3: StopSignal=") == 0);
    CHECK(error_of("[Pod]\nImage=a\nNotify=maybe\n").find("web.pod:3: Notify=") == 0);
    CHECK(error_of("[Pod]\nImage=a\nAutoUpdate=local\n").find("web.pod:3: AutoUpdate=") == 0);
    CHECK(error_of("[Pod]\nImage=a\nNetwork=bridge\n").find("web.pod:3: Network=") == 0);
    CHECK(error_of("[Pod]\nImage=a\nAddCapability=FLY\n").find("web.pod:3: AddCapability=") == 0);
}

TEST(PodFile, SearchPathAndDropIns) {
    TempDir tmp("podfile");
    std::string etc = tmp / "etc", run = tmp / "run", lib = tmp / "lib";
    write(lib + "/web.pod", "[Pod]\nImage=from-lib\n");
    write(etc + "/web.pod", "[Pod]\nImage=from-etc\nMemory=1G\n");
    write(lib + "/web.pod.d/10-memory.conf", "[Pod]\nMemory=128M\n");
    write(run + "/web.pod.d/10-memory.conf", "[Pod]\nMemory=256M\n");  // hides lib's
    write(lib + "/web.pod.d/20-env.conf", "[Pod]\nEnvironment=A=1\n");
    write(etc + "/web.pod.d/notes.txt", "not a drop-in\n");
    write(run + "/other.pod", "[Pod]\nImage=x\n");
    std::vector<std::string> dirs = {etc, run, lib};
    auto pod = load_pod_file("web", dirs);
    CHECK_TRUE(pod.ok());
    STRCMP_EQUAL((etc + "/web.pod").c_str(), pod->path.c_str());
    STRCMP_EQUAL("from-etc", pod->run.render.pull.source.c_str());
    LONGS_EQUAL(2, pod->dropins.size());
    STRCMP_EQUAL((run + "/web.pod.d/10-memory.conf").c_str(), pod->dropins[0].c_str());
    LONGS_EQUAL(256 << 20, *pod->run.resources.memory_bytes);
    CHECK((std::vector<std::string>{"A=1"}) == pod->run.render.env);
    CHECK((std::vector<std::string>{"other", "web"}) == list_pod_files(dirs));

    auto missing = load_pod_file("nope", dirs);
    CHECK_FALSE(missing.ok());
    LONGS_EQUAL(ENOENT, missing.error().code);

    write(run + "/web.pod.d/30-bad.conf", "[Pod]\nPidsLimit=many\n");
    auto bad = load_pod_file("web", dirs);
    CHECK_FALSE(bad.ok());
    CHECK(bad.error().message.find(run + "/web.pod.d/30-bad.conf:2: PidsLimit=") == 0);

    auto at = load_pod_file_at(lib + "/web.pod");
    CHECK_TRUE(at.ok());
    STRCMP_EQUAL("web", at->name.c_str());
    LONGS_EQUAL(2, at->dropins.size());  // lib's own 10-memory.conf and 20-env.conf
    LONGS_EQUAL(128 << 20, *at->run.resources.memory_bytes);
}

TEST(PodFile, CreatedTextLoadsBack) {
    TempDir tmp("podfile");
    RunArgs args;
    args.name = "web";
    args.render.pull.source = "busybox";
    args.render.command = std::vector<std::string>{"sh", "-c", "echo \"hi there\"; sleep 1"};
    args.render.entrypoint = std::vector<std::string>{};
    args.render.env = {"A=1", "B=with space"};
    args.render.user = "www:web";
    args.render.workdir = "/srv";
    args.render.hostname = "h";
    args.render.read_only = true;
    args.render.pull_policy = PullPolicy::always;
    args.mounts = {PodMount{.destination = "/data", .source = tmp.path(), .read_only = true},
                   PodMount{.destination = "/tmp", .source = "", .tmpfs = true}};
    args.host_network = true;
    args.cap_add = {"CAP_NET_ADMIN"};
    args.cap_drop = {"CAP_CHOWN"};
    args.resources.memory_bytes = 64 << 20;
    args.resources.cpu_millis = 1250;
    args.resources.pids_limit = 50;
    args.stop_signal = "SIGINT";
    args.stop_timeout = 3;
    auto text = pod_file_text(args);
    CHECK_TRUE(text.ok());
    auto back = args_of(*text);
    CHECK_TRUE(back.ok());
    CHECK(*args.render.command == *back->render.command);
    CHECK(back->render.entrypoint && back->render.entrypoint->empty());
    CHECK(args.render.env == back->render.env);
    STRCMP_EQUAL("www:web", back->render.user->c_str());
    STRCMP_EQUAL("/srv", back->render.workdir->c_str());
    STRCMP_EQUAL("h", back->render.hostname.c_str());
    CHECK_TRUE(back->render.read_only);
    CHECK(back->render.pull_policy == PullPolicy::always);
    LONGS_EQUAL(2, back->mounts.size());
    STRCMP_EQUAL(tmp.path().c_str(), back->mounts[0].source.c_str());
    CHECK_TRUE(back->mounts[0].read_only);
    CHECK_TRUE(back->mounts[1].tmpfs);
    CHECK_TRUE(back->host_network);
    CHECK(args.cap_add == back->cap_add);
    CHECK(args.cap_drop == back->cap_drop);
    LONGS_EQUAL(64 << 20, *back->resources.memory_bytes);
    LONGS_EQUAL(1250, *back->resources.cpu_millis);
    LONGS_EQUAL(50, *back->resources.pids_limit);
    STRCMP_EQUAL("SIGINT", back->stop_signal.c_str());
    LONGS_EQUAL(3, *back->stop_timeout);

    args.render.env = {"NAME_ONLY"};
    CHECK_FALSE(pod_file_text(args).ok());
    args.render.env = {};
    args.render.workdir = "/with\nnewline";
    CHECK_FALSE(pod_file_text(args).ok());
}

#include "cli/garbage_collector.hpp"

TEST_GROUP(GcDuration){};

TEST(GcDuration, UnitsAndRefusals) {
    LONGS_EQUAL(90, *parse_duration("90"));
    LONGS_EQUAL(90, *parse_duration("90s"));
    LONGS_EQUAL(1800, *parse_duration("30m"));
    LONGS_EQUAL(7200, *parse_duration("2h"));
    LONGS_EQUAL(86400, *parse_duration("1d"));
    LONGS_EQUAL(0, *parse_duration("0"));
    CHECK_FALSE(parse_duration("").has_value());
    CHECK_FALSE(parse_duration("h").has_value());
    CHECK_FALSE(parse_duration("1.5h").has_value());
    CHECK_FALSE(parse_duration("-1").has_value());
    CHECK_FALSE(parse_duration("99999999999999999999d").has_value());
}
