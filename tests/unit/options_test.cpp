#include <CppUTest/TestHarness.h>

#include <cstdlib>

#include "cli/options.hpp"

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
