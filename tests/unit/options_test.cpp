#include <cstdlib>

#include "cli/options.hpp"

#include <CppUTest/TestHarness.h>

using namespace ocipod;

namespace {

Result<CommandLine> parse(std::vector<std::string> args, Program program = Program::oci_pod) {
    return parse_command_line(args, "/default/root", program);
}

// The refusal's message, or "" when the command line was accepted.
std::string refusal(std::vector<std::string> args, Program program = Program::oci_pod) {
    auto r = parse(std::move(args), program);
    if (r) return "";
    LONGS_EQUAL(EINVAL, r.error().code);
    return r.error().message;
}

bool contains(const std::string& s, const char* part) {
    return s.find(part) != std::string::npos;
}

}  // namespace

TEST_GROUP(Options){};

TEST(Options, PullWithEveryOption) {
    auto r = parse({"pull", "--platform", "linux/arm/v7", "--tls-verify=false", "--creds",
                    "user:pa:ss", "-q", "quay.io/team/app:1"});
    CHECK(r.ok());
    CHECK(r->command == Command::pull);
    STRCMP_EQUAL("quay.io/team/app:1", r->pull.source.c_str());
    CHECK(r->pull.platform.has_value());
    STRCMP_EQUAL("linux/arm/v7", r->pull.platform->str().c_str());
    LONGS_EQUAL(0, r->pull.tls_verify);
    CHECK(r->pull.credentials.has_value());
    STRCMP_EQUAL("user", r->pull.credentials->username.c_str());
    STRCMP_EQUAL("pa:ss", r->pull.credentials->password.c_str());
    CHECK(r->pull.quiet);
    STRCMP_EQUAL("/default/root", r->global.root.c_str());
}

TEST(Options, PullDefaults) {
    auto r = parse({"pull", "alpine"});
    CHECK(r.ok());
    LONGS_EQUAL(-1, r->pull.tls_verify);
    CHECK(!r->pull.platform);
    CHECK(!r->pull.credentials);
    CHECK(!r->pull.quiet);
    CHECK(!r->global.log_level);
}

TEST(Options, TlsVerifyValues) {
    LONGS_EQUAL(1, parse({"pull", "--tls-verify", "x"})->pull.tls_verify);
    LONGS_EQUAL(1, parse({"pull", "--tls-verify=true", "x"})->pull.tls_verify);
    LONGS_EQUAL(0, parse({"pull", "--tls-verify=false", "x"})->pull.tls_verify);
    std::string e = refusal({"pull", "--tls-verify=maybe", "x"});
    CHECK_TEXT(contains(e, "'maybe'") && contains(e, "--tls-verify"), e.c_str());
    CHECK_TEXT(contains(e, "see 'oci-pod pull --help'"), e.c_str());
}

TEST(Options, PlatformMustHaveAnArchitecture) {
    std::string e = refusal({"pull", "--platform", "linux", "alpine"});
    CHECK_TEXT(contains(e, "--platform") && contains(e, "'linux'"), e.c_str());
    CHECK(refusal({"pull", "--platform=linux/amd64", "alpine"}).empty());
}

TEST(Options, CredsNeedAColonAndAreNeverEchoed) {
    std::string e = refusal({"pull", "--creds", "justauser", "alpine"});
    CHECK_TEXT(contains(e, "--creds"), e.c_str());
    CHECK_TEXT(!contains(e, "justauser"), e.c_str());
}

TEST(Options, MissingValues) {
    std::string e = refusal({"pull", "alpine", "--platform"});
    CHECK_TEXT(contains(e, "'--platform' needs a value"), e.c_str());
    e = refusal({"--root"});
    CHECK_TEXT(contains(e, "'--root' needs a value"), e.c_str());
    e = refusal({"--root=", "images"});
    CHECK_TEXT(contains(e, "--root"), e.c_str());
    e = refusal({"pull"});
    CHECK_TEXT(contains(e, "missing SOURCE"), e.c_str());
    e = refusal({"inspect"});
    CHECK_TEXT(contains(e, "missing REF"), e.c_str());
    e = refusal({"rmi"});
    CHECK_TEXT(contains(e, "missing REF"), e.c_str());
    e = refusal({});
    CHECK_TEXT(contains(e, "missing command") && contains(e, "see 'oci-pod --help'"), e.c_str());
}

TEST(Options, UnknownCommandsAndOptions) {
    std::string e = refusal({"frobnicate"});
    CHECK_TEXT(contains(e, "unknown command 'frobnicate'"), e.c_str());
    CHECK_TEXT(contains(e, "see 'oci-pod --help'"), e.c_str());
    e = refusal({"--bogus", "images"});
    CHECK_TEXT(contains(e, "unknown option '--bogus'") && contains(e, "'oci-pod --help'"),
               e.c_str());
    e = refusal({"images", "--bogus"});
    CHECK_TEXT(contains(e, "unknown option '--bogus'"), e.c_str());
    CHECK_TEXT(contains(e, "see 'oci-pod images --help'"), e.c_str());
    e = refusal({"images", "-x"});
    CHECK_TEXT(contains(e, "unknown option '-x'"), e.c_str());
    // Command options belong to their command.
    e = refusal({"images", "--platform", "linux/amd64"});
    CHECK_TEXT(contains(e, "unknown option '--platform'"), e.c_str());
    e = refusal({"--quiet", "pull", "alpine"});
    CHECK_TEXT(contains(e, "unknown option '--quiet'"), e.c_str());
    e = refusal({"images", "--json=yes"});
    CHECK_TEXT(contains(e, "'--json' takes no value"), e.c_str());
    e = refusal({"store", "fix"});
    CHECK_TEXT(contains(e, "unknown command 'store fix'"), e.c_str());
    e = refusal({"store"});
    CHECK_TEXT(contains(e, "store verify"), e.c_str());
}

TEST(Options, RootBeforeOrAfterTheCommand) {
    auto a = parse({"--root", "/a", "images"});
    CHECK(a.ok());
    STRCMP_EQUAL("/a", a->global.root.c_str());
    auto b = parse({"images", "--root=/b"});
    CHECK(b.ok());
    STRCMP_EQUAL("/b", b->global.root.c_str());
    CHECK(b->command == Command::images);
    auto c = parse({"pull", "alpine", "--root", "/c", "--log-level", "debug"});
    CHECK(c.ok());
    STRCMP_EQUAL("/c", c->global.root.c_str());
    STRCMP_EQUAL("alpine", c->pull.source.c_str());
    CHECK(c->global.log_level == LogLevel::debug);
    std::string e = refusal({"--log-level=loud", "images"});
    CHECK_TEXT(contains(e, "'loud'"), e.c_str());
}

TEST(Options, ArgumentCounts) {
    std::string e = refusal({"pull", "a", "b"});
    CHECK_TEXT(contains(e, "unexpected argument 'b'"), e.c_str());
    e = refusal({"images", "alpine"});
    CHECK_TEXT(contains(e, "unexpected argument 'alpine'"), e.c_str());
    e = refusal({"store", "verify", "now"});
    CHECK_TEXT(contains(e, "unexpected argument 'now'"), e.c_str());
    auto r = parse({"rmi", "a", "b:1", "c"});
    CHECK(r.ok());
    LONGS_EQUAL(3, r->rmi.refs.size());
    STRCMP_EQUAL("b:1", r->rmi.refs[1].c_str());
    CHECK(parse({"store", "verify"})->command == Command::store_verify);
    // rm, stop and kill take several pods; status and the other pod commands take one.
    auto rm = parse({"rm", "-f", "a", "b", "c"});
    CHECK(rm.ok());
    STRCMP_EQUAL("a", rm->pod.name.c_str());
    CHECK(rm->pod.more_names == (std::vector<std::string>{"b", "c"}));
    e = refusal({"rm", "a", "../b"});
    CHECK_TEXT(contains(e, "invalid pod name '../b'"), e.c_str());
    auto stop = parse({"stop", "-t", "3", "a", "b"});
    CHECK(stop.ok() && stop->pod.more_names == (std::vector<std::string>{"b"}));
    e = refusal({"status", "a", "b"});
    CHECK_TEXT(contains(e, "unexpected argument 'b'"), e.c_str());
}

TEST(Options, ARelativeRootIsMadeAbsolute) {
    char cwd[4096];
    CHECK(getcwd(cwd, sizeof cwd) != nullptr);
    auto r = parse({"--root", "store", "images"});
    CHECK(r.ok());
    STRCMP_EQUAL((std::string(cwd) + "/store").c_str(), r->global.root.c_str());
}

TEST(Options, DoubleDashEndsOptions) {
    auto r = parse({"rmi", "--", "--root"});
    CHECK(r.ok());
    LONGS_EQUAL(1, r->rmi.refs.size());
    STRCMP_EQUAL("--root", r->rmi.refs[0].c_str());
    STRCMP_EQUAL("/default/root", r->global.root.c_str());
}

TEST(Options, ShortOptions) {
    auto r = parse({"pull", "-qh"});
    CHECK(r.ok());
    CHECK(r->pull.quiet);
    CHECK(r->help);
    auto f = parse({"inspect", "-f", "config", "alpine"});
    CHECK(f.ok());
    CHECK(f->inspect.format == InspectFormat::config);
    auto g = parse({"inspect", "-fmanifest", "alpine"});
    CHECK(g.ok());
    CHECK(g->inspect.format == InspectFormat::manifest);
    CHECK(parse({"inspect", "alpine"})->inspect.format == InspectFormat::both);
    std::string e = refusal({"inspect", "--format", "yaml", "alpine"});
    CHECK_TEXT(contains(e, "'yaml'"), e.c_str());
}

TEST(Options, HelpAndVersionNeedNoArguments) {
    auto h = parse({"--help"});
    CHECK(h.ok());
    CHECK(h->help);
    CHECK(h->command == Command::none);
    auto p = parse({"pull", "--help"});
    CHECK(p.ok());
    CHECK(p->help);
    CHECK(p->command == Command::pull);
    auto v = parse({"--version"});
    CHECK(v.ok());
    CHECK(v->version);
    CHECK(contains(help_text(Command::pull), "--tls-verify"));
    CHECK(contains(help_text(Command::none), "/var/lib/oci-pod"));
    CHECK(contains(help_text(Command::pull, Program::fetch), "oci-pod-fetch"));
}

TEST(Options, FetchTakesPullArguments) {
    auto r = parse({"--root", "/r", "--platform", "linux/arm64", "oci:/tmp/x"}, Program::fetch);
    CHECK(r.ok());
    CHECK(r->command == Command::pull);
    STRCMP_EQUAL("oci:/tmp/x", r->pull.source.c_str());
    STRCMP_EQUAL("linux/arm64", r->pull.platform->str().c_str());
    // "pull" is not a command word for the helper: it is the image.
    auto s = parse({"pull"}, Program::fetch);
    CHECK(s.ok());
    STRCMP_EQUAL("pull", s->pull.source.c_str());
    std::string e = refusal({"--bogus", "x"}, Program::fetch);
    CHECK_TEXT(contains(e, "see 'oci-pod-fetch --help'"), e.c_str());
    e = refusal({}, Program::fetch);
    CHECK_TEXT(contains(e, "missing SOURCE"), e.c_str());
}

TEST(Options, DefaultRootFromEnvironment) {
    const char* saved = getenv("OCI_POD_ROOT");
    std::string keep = saved ? saved : "";
    setenv("OCI_POD_ROOT", "/srv/pods", 1);
    STRCMP_EQUAL("/srv/pods", default_root_from_environment().c_str());
    setenv("OCI_POD_ROOT", "", 1);
    STRCMP_EQUAL("/var/lib/oci-pod", default_root_from_environment().c_str());
    unsetenv("OCI_POD_ROOT");
    STRCMP_EQUAL("/var/lib/oci-pod", default_root_from_environment().c_str());
    if (saved) setenv("OCI_POD_ROOT", keep.c_str(), 1);
}

TEST(Options, RenderWithEveryOption) {
    auto r = parse({"render",
                    "--bundle",
                    "/b",
                    "--rootfs=copy",
                    "--entrypoint",
                    "[\"/bin/sh\",\"-c\"]",
                    "-e",
                    "A=1",
                    "--env=B",
                    "-u",
                    "app:staff",
                    "-w",
                    "/srv",
                    "--hostname",
                    "box",
                    "-t",
                    "--read-only",
                    "--jobs",
                    "3",
                    "--max-layer-size",
                    "10G",
                    "--max-layer-entries=5000",
                    "--json",
                    "-q",
                    "--pull",
                    "never",
                    "--platform",
                    "linux/arm64",
                    "--tls-verify=false",
                    "--creds",
                    "u:p",
                    "alpine:3.20"});
    CHECK_TEXT(r.ok(), r ? "" : r.error().message.c_str());
    CHECK(r->command == Command::render);
    const RenderArgs& a = r->render;
    STRCMP_EQUAL("alpine:3.20", a.pull.source.c_str());
    STRCMP_EQUAL("/b", a.bundle.c_str());
    CHECK(a.rootfs == RootfsMode::copy);
    CHECK(a.entrypoint == std::vector<std::string>({"/bin/sh", "-c"}));
    CHECK(!a.command);
    CHECK(a.env == std::vector<std::string>({"A=1", "B"}));
    STRCMP_EQUAL("app:staff", a.user->c_str());
    STRCMP_EQUAL("/srv", a.workdir->c_str());
    STRCMP_EQUAL("box", a.hostname.c_str());
    CHECK(a.tty && a.read_only && a.json && a.pull.quiet);
    LONGS_EQUAL(3, a.jobs);
    CHECK(a.max_layer_bytes == 10ull << 30);
    CHECK(a.max_layer_entries == 5000u);
    CHECK(a.pull_policy == PullPolicy::never);
    STRCMP_EQUAL("linux/arm64", a.pull.platform->str().c_str());
    LONGS_EQUAL(0, a.pull.tls_verify);
    STRCMP_EQUAL("u", a.pull.credentials->username.c_str());
    // The pull command's own fields stay untouched.
    CHECK(!r->pull.quiet && !r->pull.platform && r->pull.source.empty() && !r->images.json);
}

TEST(Options, RenderDefaults) {
    auto r = parse({"render", "busybox", "--bundle", "b"});
    CHECK(r.ok());
    const RenderArgs& a = r->render;
    CHECK(a.rootfs == RootfsMode::automatic);
    CHECK(a.pull_policy == PullPolicy::missing);
    CHECK(!a.entrypoint && !a.command && !a.user && !a.workdir);
    CHECK(!a.max_layer_bytes && !a.max_layer_entries);
    CHECK(a.env.empty() && a.hostname.empty());
    CHECK(!a.tty && !a.read_only && !a.json && !a.pull.quiet);
    LONGS_EQUAL(0, a.jobs);
    LONGS_EQUAL(-1, a.pull.tls_verify);
    STRCMP_EQUAL("b", a.bundle.c_str());
}

TEST(Options, RenderCommandFollowsTheImage) {
    // Options after IMAGE still count; the first other word starts COMMAND, whose words are
    // never taken as options, not even --bundle or --help.
    auto r = parse({"render", "img", "--bundle", "/b", "-q", "ls", "-l", "--bundle", "x", "-h", "",
                    "--root=/r"});
    CHECK(r.ok());
    CHECK(r->render.pull.quiet && !r->help);
    STRCMP_EQUAL("/b", r->render.bundle.c_str());
    STRCMP_EQUAL("/default/root", r->global.root.c_str());
    CHECK(r->render.command ==
          std::vector<std::string>({"ls", "-l", "--bundle", "x", "-h", "", "--root=/r"}));
    // "--" ends the options; IMAGE may follow it, then COMMAND.
    auto d = parse({"render", "--bundle=/b", "--", "-img", "--json"});
    CHECK(d.ok());
    STRCMP_EQUAL("-img", d->render.pull.source.c_str());
    CHECK(!d->render.json);
    CHECK(d->render.command == std::vector<std::string>({"--json"}));
    auto e = parse({"render", "--bundle=/b", "img", "--", "-x"});
    CHECK(e.ok());
    CHECK(e->render.command == std::vector<std::string>({"-x"}));
    // An empty COMMAND word is kept; an empty IMAGE is not.
    CHECK(!refusal({"render", "--bundle=/b", ""}).empty());
}

TEST(Options, RenderEntrypointForms) {
    auto one = parse({"render", "--bundle=/b", "--entrypoint", "/bin/true", "img"});
    CHECK(one->render.entrypoint == std::vector<std::string>({"/bin/true"}));
    // Only a word that starts with '[' is JSON.
    auto brace = parse({"render", "--bundle=/b", "--entrypoint", "{\"a\":1}", "img"});
    CHECK(brace->render.entrypoint == std::vector<std::string>({"{\"a\":1}"}));
    auto none = parse({"render", "--bundle=/b", "--entrypoint=", "img", "echo", "hi"});
    CHECK(none->render.entrypoint == std::vector<std::string>());
    CHECK(none->render.command == std::vector<std::string>({"echo", "hi"}));
    for (const char* bad : {"[", "[]", "[\"\"]", "[1]", "[\"a\",null]"}) {
        std::string e = refusal({"render", "--bundle=/b", "--entrypoint", bad, "img"});
        CHECK_TEXT(contains(e, "--entrypoint") && contains(e, "JSON array"), bad);
    }
}

TEST(Options, RenderRefusals) {
    struct Case {
        std::vector<std::string> args;
        const char* want;
    };
    const Case cases[] = {
        {{"render", "img"}, "missing '--bundle DIR'"},
        {{"render", "--bundle", "/b"}, "missing IMAGE"},
        {{"render", "--bundle="}, "'--bundle' needs a directory"},
        {{"render", "img", "--bundle"}, "'--bundle' needs a value"},
        {{"render", "--bundle=/b", "--rootfs", "tmpfs", "img"}, "'tmpfs' for '--rootfs'"},
        {{"render", "--bundle=/b", "--pull", "sometimes", "img"}, "'sometimes' for '--pull'"},
        {{"render", "--bundle=/b", "--jobs", "0", "img"}, "'0' for '--jobs'"},
        {{"render", "--bundle=/b", "--jobs", "257", "img"}, "'257' for '--jobs'"},
        {{"render", "--bundle=/b", "--jobs", "-1", "img"}, "'-1' for '--jobs'"},
        {{"render", "--bundle=/b", "--max-layer-size", "1.5G", "img"}, "'--max-layer-size'"},
        {{"render", "--bundle=/b", "--max-layer-size", "0", "img"}, "'--max-layer-size'"},
        {{"render", "--bundle=/b", "--max-layer-entries", "many", "img"}, "'--max-layer-entries'"},
        {{"render", "--bundle=/b", "-e", "=x", "img"}, "'=x' for '-e'"},
        {{"render", "--bundle=/b", "--env=", "img"}, "'' for '--env'"},
        {{"render", "--bundle=/b", "-w", "srv", "img"}, "'srv' for '-w'"},
        {{"render", "--bundle=/b", "-u", "app:", "img"}, "'app:' for '-u'"},
        {{"render", "--bundle=/b", "--hostname", "a/b", "img"}, "'a/b' for '--hostname'"},
        {{"render", "--bundle=/b", "--tty=yes", "img"}, "'--tty' takes no value"},
        {{"render", "--bundle=/b", "--no-trunc", "img"}, "unknown option '--no-trunc'"},
        {{"render", "img", "--bogus", "--bundle=/b"}, "unknown option '--bogus'"},
        {{"pull", "--bundle=/b", "img"}, "unknown option '--bundle'"},
    };
    for (const Case& c : cases) {
        std::string e = refusal(c.args);
        CHECK_TEXT(contains(e, c.want), (std::string(c.want) + " / got: " + e).c_str());
    }
    std::string e = refusal({"render", "img"});
    CHECK_TEXT(contains(e, "see 'oci-pod render --help'"), e.c_str());
}

TEST(Options, ByteSizes) {
    CHECK(parse_byte_size("4096") == 4096u);
    CHECK(parse_byte_size("512M") == 512ull << 20);
    CHECK(parse_byte_size("10G") == 10ull << 30);
    CHECK(parse_byte_size("10g") == 10ull << 30);
    CHECK(parse_byte_size("2KiB") == 2048u);
    CHECK(parse_byte_size("2KB") == 2048u);
    CHECK(parse_byte_size("7B") == 7u);
    CHECK(parse_byte_size("1T") == 1ull << 40);
    CHECK(parse_byte_size("16777215T") == 16777215ull << 40);
    for (const char* bad : {"", "G", "1.5G", "-1", "10X", "10 G", "10GG", "10Gi", " 1", "1e3",
                            "16777216T", "99999999999999999999"})
        CHECK_TEXT(!parse_byte_size(bad), bad);
}

TEST(Options, Unrender) {
    auto r = parse({"unrender", "/srv/b", "--root", "/r"});
    CHECK(r.ok());
    CHECK(r->command == Command::unrender);
    STRCMP_EQUAL("/srv/b", r->unrender.bundle.c_str());
    std::string e = refusal({"unrender"});
    CHECK_TEXT(contains(e, "missing DIR") && contains(e, "'oci-pod unrender --help'"), e.c_str());
    e = refusal({"unrender", "a", "b"});
    CHECK_TEXT(contains(e, "unexpected argument 'b'"), e.c_str());
    e = refusal({"unrender", "--json", "a"});
    CHECK_TEXT(contains(e, "unknown option '--json'"), e.c_str());
}

TEST(Options, RenderHelperTakesRenderArguments) {
    auto r = parse({"--root", "/r", "-q", "render", "--bundle", "/b", "sh"}, Program::render);
    CHECK(r.ok());
    CHECK(r->command == Command::render);
    // "render" is not a command word for the helper: it is the image.
    STRCMP_EQUAL("render", r->render.pull.source.c_str());
    CHECK(r->render.command == std::vector<std::string>({"sh"}));
    STRCMP_EQUAL("/r", r->global.root.c_str());
    std::string e = refusal({"--bogus", "x"}, Program::render);
    CHECK_TEXT(contains(e, "see 'oci-pod-render --help'"), e.c_str());
    e = refusal({"--bundle=/b"}, Program::render);
    CHECK_TEXT(contains(e, "missing IMAGE"), e.c_str());
    CHECK(parse({"--help"}, Program::render)->help);
}

TEST(Options, RenderHelp) {
    std::string h = help_text(Command::render);
    for (const char* opt :
         {"--bundle", "--rootfs", "--entrypoint", "--env", "--user", "--workdir", "--hostname",
          "--tty", "--read-only", "--jobs", "--max-layer-size", "--max-layer-entries", "--json",
          "--quiet", "--pull", "--platform", "--tls-verify", "--creds", "--root"})
        CHECK_TEXT(contains(h, opt), opt);
    CHECK(contains(help_text(Command::render, Program::render), "Usage: oci-pod-render"));
    CHECK(contains(help_text(Command::unrender), "Usage: oci-pod unrender DIR"));
    CHECK(contains(help_text(Command::none), "render IMAGE"));
}

TEST(Options, RunPodFileAlone) {
    auto r = parse({"run", "--pod", "web"});
    CHECK(r.ok());
    STRCMP_EQUAL("web", r->run.pod.c_str());
    CHECK(contains(refusal({"run", "--pod=web", "busybox"}), "'--pod' takes no IMAGE"));
    CHECK(contains(refusal({"run", "--pod=web", "--memory", "1G"}), "no other option of run"));
    CHECK(contains(refusal({"run", "--pod=-bad"}), "invalid value '-bad' for '--pod'"));
    CHECK(parse({"--root", "/r", "run", "--pod=web"}).ok());
}

TEST(Options, PodCommands) {
    auto r = parse({"pod", "create", "web", "-m", "64M", "busybox", "httpd", "-f"});
    CHECK(r.ok());
    CHECK(r->command == Command::pod_create);
    STRCMP_EQUAL("web", r->pod_file.run.name.c_str());
    STRCMP_EQUAL("busybox", r->pod_file.run.render.pull.source.c_str());
    CHECK((std::vector<std::string>{"httpd", "-f"}) == *r->pod_file.run.render.command);
    LONGS_EQUAL(64 << 20, *r->pod_file.run.resources.memory_bytes);
    CHECK(contains(refusal({"pod", "create", "web", "--rm", "busybox"}), "unknown option '--rm'"));
    CHECK(contains(refusal({"pod", "create", "web"}), "missing IMAGE"));
    CHECK(contains(refusal({"pod", "create"}), "missing NAME"));
    r = parse({"pod", "validate", "/etc/oci-pod/pods/web.pod"});
    CHECK(r.ok());
    STRCMP_EQUAL("/etc/oci-pod/pods/web.pod", r->pod_file.target.c_str());
    CHECK(contains(refusal({"pod", "validate"}), "missing NAME or FILE"));
    r = parse({"pod", "list", "--json"});
    CHECK(r.ok());
    CHECK(r->pod_file.json);
    CHECK(contains(refusal({"pod"}), "missing command 'pod validate|create|list'"));
    CHECK(contains(refusal({"pod", "remove"}), "unknown command 'pod remove'"));
}

TEST(Options, ApplyRunOptionByName) {
    RunArgs run;
    CHECK(apply_run_option(run, "memory", "2G").ok());
    CHECK(apply_run_option(run, "read-only", "").ok());
    CHECK(apply_run_option(run, "volume", "/a:/b").ok());
    CHECK(apply_run_option(run, "volume", "/c:/d:ro").ok());
    LONGS_EQUAL(2, run.mounts.size());
    CHECK(run.render.read_only);
    LONGS_EQUAL(int64_t(2) << 30, *run.resources.memory_bytes);
    auto bad = apply_run_option(run, "memory", "x");
    STRCMP_EQUAL("invalid value 'x' (expected a size such as 64M or 2G)",
                 bad.error().message.c_str());
    CHECK_FALSE(apply_run_option(run, "pod", "web").ok());
    CHECK_FALSE(apply_run_option(run, "no-such", "1").ok());
}

TEST(Options, GcAndOciPodGc) {
    auto r = parse({"gc", "--dry-run", "--grace", "2h", "--json"});
    CHECK(r.ok());
    CHECK(r->command == Command::gc);
    CHECK(r->gc.dry_run);
    CHECK(r->gc.json);
    LONGS_EQUAL(7200, r->gc.grace_sec);
    r = parse({"-n"}, Program::gc);
    CHECK(r.ok());
    CHECK(r->command == Command::gc);
    CHECK(r->gc.dry_run);
    LONGS_EQUAL(1800, r->gc.grace_sec);
    CHECK(contains(refusal({"gc", "--grace", "soon"}), "expected a duration"));
    CHECK(contains(refusal({"extra"}, Program::gc), "see 'oci-pod-gc --help'"));
}
