#include <CppUTest/TestHarness.h>

#include <string>

#include "conf_fixture.hpp"
#include "fetch/registries_conf.hpp"

using namespace ocipod;
using ocipod::conftest::ScopedEnv;
using ocipod::conftest::ScratchDir;

namespace {

Reference ref(const char* registry, const char* repository, bool by_digest = false) {
    Reference r;
    r.registry = registry;
    r.repository = repository;
    r.tag = by_digest ? "" : "latest";
    if (by_digest) r.digest = Digest::of(HashAlg::sha256, "image");
    return r;
}

RegistriesConf conf_of(const std::string& text) {
    RegistriesConf conf;
    auto st = conf.merge(text, "r.conf");
    if (!st.ok()) FAIL(st.error().message.c_str());
    return conf;
}

void expect_conf_error(const std::string& text, int line, const char* what) {
    RegistriesConf conf;
    auto st = conf.merge(text, "r.conf");
    CHECK_TEXT(!st.ok(), ("accepted: " + text).c_str());
    if (st.ok()) return;
    LONGS_EQUAL(EINVAL, st.error().code);
    const std::string& msg = st.error().message;
    std::string prefix = "r.conf:" + std::to_string(line) + ": ";
    CHECK_TEXT(msg.rfind(prefix, 0) == 0, msg.c_str());
    CHECK_TEXT(msg.find(what) != std::string::npos, msg.c_str());
}

std::vector<Endpoint> endpoints(const RegistriesConf& conf, const Reference& r,
                                int override_ = -1) {
    auto eps = conf.endpoints_for(r, override_);
    if (!eps.ok()) FAIL(eps.error().message.c_str());
    return eps.ok() ? eps.take() : std::vector<Endpoint>{};
}

// "host/repository" plus flags, so a whole list compares in one string.
std::string describe(const std::vector<Endpoint>& eps) {
    std::string out;
    for (const Endpoint& e : eps) {
        if (!out.empty()) out += " ";
        out += e.host + "/" + e.repository;
        if (e.mirror) out += "[m]";
        if (e.plain_http) out += "[http]";
        if (!e.tls_verify) out += "[noverify]";
    }
    return out;
}

// describe() of where a pull of registry/repository:latest goes.
std::string routes(const RegistriesConf& conf, const char* registry, const char* repository) {
    return describe(endpoints(conf, ref(registry, repository)));
}

}  // namespace

TEST_GROUP(RegistriesConf){};

TEST(RegistriesConf, NoEntryMeansTheRegistryItselfOverVerifiedTls) {
    RegistriesConf conf;
    auto eps = endpoints(conf, ref("docker.io", "library/alpine"));
    LONGS_EQUAL(1, eps.size());
    STRCMP_EQUAL("registry-1.docker.io/library/alpine", describe(eps).c_str());
    STRCMP_EQUAL("https://registry-1.docker.io", eps[0].base_url().c_str());
    STRCMP_EQUAL("quay.io/a/b", routes(conf, "quay.io", "a/b").c_str());
}

TEST(RegistriesConf, RegistryApiHost) {
    STRCMP_EQUAL("registry-1.docker.io", registry_api_host("docker.io").c_str());
    STRCMP_EQUAL("quay.io", registry_api_host("quay.io").c_str());
    STRCMP_EQUAL("127.0.0.1:5000", registry_api_host("127.0.0.1:5000").c_str());
    STRCMP_EQUAL("index.docker.io", registry_api_host("index.docker.io").c_str());
}

TEST(RegistriesConf, TlsVerifyOverrideAppliesToEveryEndpoint) {
    RegistriesConf conf = conf_of(
        "[[registry]]\nprefix = \"example.com\"\ninsecure = true\n"
        "[[registry.mirror]]\nlocation = \"mirror.example.net\"\n");
    Reference r = ref("example.com", "x");
    STRCMP_EQUAL("mirror.example.net/x[m] example.com/x[noverify]",
                 describe(endpoints(conf, r)).c_str());
    STRCMP_EQUAL("mirror.example.net/x[m][http][noverify] example.com/x[http][noverify]",
                 describe(endpoints(conf, r, 0)).c_str());
    STRCMP_EQUAL("mirror.example.net/x[m] example.com/x", describe(endpoints(conf, r, 1)).c_str());
    RegistriesConf empty;
    STRCMP_EQUAL("quay.io/x[http][noverify]",
                 describe(endpoints(empty, ref("quay.io", "x"), 0)).c_str());
}

TEST(RegistriesConf, InsecureMeansPlainHttpOnlyOnLoopback) {
    RegistriesConf conf = conf_of(
        "[[registry]]\nlocation = \"127.0.0.1:5000\"\ninsecure = true\n"
        "[[registry]]\nlocation = \"localhost:5001\"\ninsecure = true\n"
        "[[registry]]\nlocation = \"[::1]:5002\"\ninsecure = true\n"
        "[[registry]]\nlocation = \"127.0.0.1.nip.io\"\ninsecure = true\n"
        "[[registry]]\nlocation = \"10.0.0.1:5000\"\ninsecure = true\n"
        "[[registry]]\nlocation = \"127.0.0.2\"\ninsecure = false\n");
    STRCMP_EQUAL("127.0.0.1:5000/x[http][noverify]", routes(conf, "127.0.0.1:5000", "x").c_str());
    STRCMP_EQUAL("localhost:5001/x[http][noverify]", routes(conf, "localhost:5001", "x").c_str());
    STRCMP_EQUAL("[::1]:5002/x[http][noverify]", routes(conf, "[::1]:5002", "x").c_str());
    STRCMP_EQUAL("127.0.0.1.nip.io/x[noverify]", routes(conf, "127.0.0.1.nip.io", "x").c_str());
    STRCMP_EQUAL("10.0.0.1:5000/x[noverify]", routes(conf, "10.0.0.1:5000", "x").c_str());
    STRCMP_EQUAL("127.0.0.2/x", routes(conf, "127.0.0.2", "x").c_str());
    // A different port is a different registry: no entry, so secure.
    STRCMP_EQUAL("127.0.0.1:5999/x", routes(conf, "127.0.0.1:5999", "x").c_str());
}

TEST(RegistriesConf, PrefixesMatchWholeComponentsAndTheLongestWins) {
    RegistriesConf conf = conf_of(
        "[[registry]]\nprefix = \"example.com\"\nlocation = \"a.example.net\"\n"
        "[[registry]]\nprefix = \"example.com/foo\"\nlocation = \"b.example.net/base\"\n"
        "[[registry]]\nprefix = \"example.com/foo/bar/baz\"\nlocation = \"c.example.net\"\n");
    STRCMP_EQUAL("b.example.net/base/bar", routes(conf, "example.com", "foo/bar").c_str());
    STRCMP_EQUAL("b.example.net/base/x", routes(conf, "example.com", "foo/x").c_str());
    STRCMP_EQUAL("a.example.net/foobar", routes(conf, "example.com", "foobar").c_str());
    STRCMP_EQUAL("c.example.net/q", routes(conf, "example.com", "foo/bar/baz/q").c_str());
    // Not the same registry, although "example.com" is a string prefix of both.
    STRCMP_EQUAL("example.com:5000/foo/x", routes(conf, "example.com:5000", "foo/x").c_str());
    STRCMP_EQUAL("example.community/x", routes(conf, "example.community", "x").c_str());
}

TEST(RegistriesConf, LocationRewritesTheMatchedPrefix) {
    RegistriesConf conf = conf_of(
        "[[registry]]\nprefix = \"docker.io/library/foo\"\nlocation = \"mirror:5000/bar\"\n"
        "[[registry]]\nprefix = \"docker.io/library/whole\"\nlocation = \"mirror:5000\"\n"
        "[[registry]]\nprefix = \"quay.io\"\nlocation = \"docker.io/quaymirror/\"\n");
    STRCMP_EQUAL("mirror:5000/bar/x", routes(conf, "docker.io", "library/foo/x").c_str());
    STRCMP_EQUAL("mirror:5000/bar", routes(conf, "docker.io", "library/foo").c_str());
    // Rewritten onto docker.io, the API host is used.
    STRCMP_EQUAL("registry-1.docker.io/quaymirror/team/app",
                 routes(conf, "quay.io", "team/app").c_str());
    // A location that leaves no repository is refused, not turned into a request for "/".
    auto bad = conf.endpoints_for(ref("docker.io", "library/whole"));
    CHECK(!bad.ok());
    LONGS_EQUAL(EINVAL, bad.error().code);
    CHECK(bad.error().message.find("names no repository") != std::string::npos);
}

TEST(RegistriesConf, MirrorsComeFirstInOrderAndDigestOnlyNeedsADigest) {
    RegistriesConf conf = conf_of(
        "[[registry]]\n"
        "prefix = \"docker.io\"\n"
        "[[registry.mirror]]\n"
        "location = \"m1.example.net\"\n"
        "[[registry.mirror]]\n"
        "location = \"m2.example.net/cache\"\n"
        "pull-from-mirror = \"digest-only\"\n"
        "[[registry.mirror]]\n"
        "location = \"127.0.0.1:5000\"\n"
        "insecure = true\n"
        "pull-from-mirror = \"all\"\n");
    STRCMP_EQUAL(
        "m1.example.net/library/alpine[m] 127.0.0.1:5000/library/alpine[m][http][noverify] "
        "registry-1.docker.io/library/alpine",
        routes(conf, "docker.io", "library/alpine").c_str());
    STRCMP_EQUAL(
        "m1.example.net/library/alpine[m] m2.example.net/cache/library/alpine[m] "
        "127.0.0.1:5000/library/alpine[m][http][noverify] "
        "registry-1.docker.io/library/alpine",
        describe(endpoints(conf, ref("docker.io", "library/alpine", true))).c_str());
    LONGS_EQUAL(3, conf.registries()[0].mirrors.size());
    CHECK(conf.registries()[0].mirrors[1].digest_only);
}

TEST(RegistriesConf, TagOnlyMirrorsAreSkippedForDigests) {
    RegistriesConf conf = conf_of(
        "[[registry]]\nprefix = \"quay.io\"\n"
        "[[registry.mirror]]\nlocation = \"m.example.net\"\npull-from-mirror = \"tag-only\"\n");
    STRCMP_EQUAL("m.example.net/a[m] quay.io/a", routes(conf, "quay.io", "a").c_str());
    STRCMP_EQUAL("quay.io/a", describe(endpoints(conf, ref("quay.io", "a", true))).c_str());
    CHECK(conf.registries()[0].mirrors[0].tag_only);
}

TEST(RegistriesConf, BlockedErrorNamesTheFileAndLine) {
    RegistriesConf conf;
    CHECK(conf.merge("\n[[registry]]\nprefix = \"docker.io/evil\"\nblocked = true\n",
                     "/etc/containers/registries.conf.d/50-block.conf")
              .ok());
    auto r = conf.endpoints_for(ref("docker.io", "evil/app"), 1);
    CHECK(!r.ok());
    CHECK_TEXT(r.error().message.find("/etc/containers/registries.conf.d/50-block.conf:2") !=
                   std::string::npos,
               r.error().message.c_str());
}

TEST(RegistriesConf, MirrorByDigestOnlyAppliesToAllMirrors) {
    RegistriesConf conf = conf_of(
        "[[registry]]\nprefix = \"quay.io\"\nmirror-by-digest-only = true\n"
        "[[registry.mirror]]\nlocation = \"m.example.net\"\n");
    STRCMP_EQUAL("quay.io/a", routes(conf, "quay.io", "a").c_str());
    STRCMP_EQUAL("m.example.net/a[m] quay.io/a",
                 describe(endpoints(conf, ref("quay.io", "a", true))).c_str());
    expect_conf_error(
        "[[registry]]\nprefix = \"quay.io\"\nmirror-by-digest-only = true\n"
        "[[registry.mirror]]\nlocation = \"m.example.net\"\npull-from-mirror = \"all\"\n",
        3, "cannot be combined");
}

TEST(RegistriesConf, WildcardPrefixes) {
    RegistriesConf conf = conf_of(
        "[[registry]]\nprefix = \"*.example.com\"\ninsecure = true\n"
        "[[registry.mirror]]\nlocation = \"cache.local/ex\"\n"
        "[[registry]]\nprefix = \"*.b.example.com\"\nblocked = true\n"
        "[[registry]]\nprefix = \"exact.example.com\"\n"
        "[[registry]]\nprefix = \"*.other.org\"\nlocation = \"mirror.other.net\"\n");
    // Matches any subdomain and port; no location means no rewrite.
    STRCMP_EQUAL("cache.local/ex/team/app[m] a.example.com:5000/team/app[noverify]",
                 routes(conf, "a.example.com:5000", "team/app").c_str());
    STRCMP_EQUAL("cache.local/ex/x[m] x.y.example.com/x[noverify]",
                 routes(conf, "x.y.example.com", "x").c_str());
    // Not the bare domain itself, not a look-alike.
    STRCMP_EQUAL("example.com/x", routes(conf, "example.com", "x").c_str());
    STRCMP_EQUAL("aexample.com/x", routes(conf, "aexample.com", "x").c_str());
    // The longer wildcard is more specific.
    auto blocked = conf.endpoints_for(ref("c.b.example.com", "x"));
    CHECK(!blocked.ok());
    LONGS_EQUAL(EACCES, blocked.error().code);
    // An exact prefix beats a wildcard of the same length.
    STRCMP_EQUAL("exact.example.com/x", routes(conf, "exact.example.com", "x").c_str());
    // With a location, the whole registry part is replaced.
    STRCMP_EQUAL("mirror.other.net/p/q", routes(conf, "reg.other.org:443", "p/q").c_str());
}

TEST(RegistriesConf, BlockedEntriesRefuseWithEacces) {
    RegistriesConf conf = conf_of(
        "[[registry]]\nprefix = \"docker.io/evil\"\nblocked = true\n"
        "[[registry.mirror]]\nlocation = \"m.example.net\"\n");
    auto r = conf.endpoints_for(ref("docker.io", "evil/app", true), 1);
    CHECK(!r.ok());
    LONGS_EQUAL(EACCES, r.error().code);
    CHECK(r.error().message.find("'docker.io/evil/app' is blocked") != std::string::npos);
    CHECK(r.error().message.find("'docker.io/evil'") != std::string::npos);
    STRCMP_EQUAL("registry-1.docker.io/evilx/app", routes(conf, "docker.io", "evilx/app").c_str());
}

TEST(RegistriesConf, DropInsOverrideKeyByKeyAndReplaceSamePrefix) {
    ScratchDir dir;
    std::string main_conf = dir.write("registries.conf",
                                      "unqualified-search-registries = [\"a.io\", \"b.io\"]\n"
                                      "[[registry]]\nprefix = \"p.io\"\nlocation = \"one.io\"\n"
                                      "[[registry]]\nprefix = \"q.io\"\nlocation = \"q1.io\"\n");
    std::string d1 = dir.write("registries.conf.d/10-first.conf",
                               "[[registry]]\nprefix = \"p.io\"\nlocation = \"two.io\"\n"
                               "[[registry]]\nprefix = \"r.io\"\nblocked = true\n");
    std::string d2 = dir.write("registries.conf.d/20-second.conf",
                               "unqualified-search-registries = [\"c.io\"]\n");
    auto conf = RegistriesConf::load_files({main_conf, dir / "missing.conf", d1, d2});
    CHECK_TEXT(conf.ok(), conf.ok() ? "" : conf.error().message.c_str());
    LONGS_EQUAL(1, conf->unqualified_search_registries().size());
    STRCMP_EQUAL("c.io", conf->unqualified_search_registries()[0].c_str());
    const auto& regs = conf->registries();
    LONGS_EQUAL(3, regs.size());
    // Replaced in place, new prefixes appended.
    STRCMP_EQUAL("p.io", regs[0].prefix.c_str());
    STRCMP_EQUAL("two.io", regs[0].location.c_str());
    STRCMP_EQUAL("q.io", regs[1].prefix.c_str());
    STRCMP_EQUAL("r.io", regs[2].prefix.c_str());

    // The other order: the main file's values win when it comes last.
    auto reversed = RegistriesConf::load_files({d2, d1, main_conf});
    CHECK(reversed.ok());
    LONGS_EQUAL(2, reversed->unqualified_search_registries().size());
    STRCMP_EQUAL("one.io", reversed->registries()[0].location.c_str());
}

TEST(RegistriesConf, FailedMergeChangesNothingAndErrorsNameTheFile) {
    RegistriesConf conf = conf_of("unqualified-search-registries = [\"a.io\"]\n");
    auto st = conf.merge("unqualified-search-registries = [\"b.io\"]\n[[registry]]\nbogus = 1\n",
                         "/etc/x.conf");
    CHECK(!st.ok());
    STRCMP_EQUAL("/etc/x.conf:3: unknown key 'bogus' in [[registry]]", st.error().message.c_str());
    STRCMP_EQUAL("a.io", conf.unqualified_search_registries()[0].c_str());
    LONGS_EQUAL(0, conf.registries().size());

    ScratchDir dir;
    std::string bad = dir.write("bad.conf", "[[registry]\n");
    auto loaded = RegistriesConf::load_files({bad});
    CHECK(!loaded.ok());
    STRCMP_EQUAL((bad + ":1: expected ']]' to close a [[table]] header").c_str(),
                 loaded.error().message.c_str());
}

TEST(RegistriesConf, VersionOneIsRefusedWithAHint) {
    expect_conf_error("# old style\n\n[registries.search]\nregistries = ['docker.io']\n", 3,
                      "version 1 format");
    expect_conf_error("[registries.insecure]\nregistries = []\n", 1, "convert to version 2");
}

TEST(RegistriesConf, UnknownKeysAndBadValuesAreRefused) {
    expect_conf_error("unqualified-search-registry = []\n", 1,
                      "unknown key "
                      "'unqualified-search-registry'");
    expect_conf_error("[[registry]]\nlocation = \"a.io\"\ninsecur = true\n", 3,
                      "unknown key 'insecur' in [[registry]]");
    expect_conf_error(
        "[[registry]]\nlocation = \"a.io\"\n[[registry.mirror]]\nlocation = "
        "\"m.io\"\nlocaton = \"n.io\"\n",
        5, "unknown key 'locaton' in [[registry.mirror]]");
    expect_conf_error("[[registry]]\nlocation = \"a.io\"\ninsecure = \"yes\"\n", 3,
                      "'insecure' in [[registry]] must be a boolean, not a string");
    expect_conf_error("unqualified-search-registries = \"docker.io\"\n", 1, "must be an array");
    expect_conf_error("unqualified-search-registries = [\"a.io\", 3]\n", 1, "must hold strings");
    expect_conf_error("unqualified-search-registries = [\"a.io/ns\"]\n", 1, "not a host[:port]");
    expect_conf_error(
        "[[registry]]\nlocation = \"a.io\"\n[[registry.mirror]]\n"
        "pull-from-mirror = \"sometimes\"\n",
        4, "'sometimes' is not one of");
    expect_conf_error("[[registry]]\nlocation = \"a.io\"\n[[registry.mirror]]\ninsecure = true\n",
                      3, "needs a location");
    expect_conf_error("[[registry]]\ninsecure = true\n", 1, "needs a prefix or a location");
    expect_conf_error("[[registry]]\nlocation = \"https://a.io\"\n", 2, "URL schemes");
    expect_conf_error("[[registry]]\nprefix = \"a.io/x:tag\"\n", 2, "tags are not supported");
    expect_conf_error("[[registry]]\nprefix = \"a.io/x@sha256:00\"\n", 2, "digests");
    expect_conf_error("[[registry]]\nprefix = \"*.example.com/foo\"\n", 2, "wildcard");
    expect_conf_error("[[registry]]\nprefix = \"a.*.com\"\n", 2, "wildcard");
    expect_conf_error("[[registry]]\nlocation = \"*.example.com\"\n", 2, "wildcard");
    expect_conf_error("[[registry]]\nlocation = \"a.io\"\n\n[[registry]]\nprefix = \"a.io\"\n", 4,
                      "prefix 'a.io' is already defined on line 1");
    expect_conf_error("[registry]\nlocation = \"a.io\"\n", 1, "[[registry]] tables");
    expect_conf_error("[[registry.mirror]]\nlocation = \"a.io\"\n", 1, "must follow");
    expect_conf_error(
        "[[registry]]\nlocation = \"a.io\"\n[registry.mirror]\nlocation = "
        "\"m.io\"\n",
        3, "[[registry.mirror]] tables");
    expect_conf_error("short-name-mode = \"strict\"\n", 1, "'strict' is not one of");
    expect_conf_error("credential-helpers = [\"secretservice\"]\n", 1,
                      "'secretservice' is not "
                      "supported");
    expect_conf_error("[aliases]\n\"x\" = 1\n", 2, "in [aliases] must be a string");
}

TEST(RegistriesConf, AcceptedButIgnoredSettings) {
    RegistriesConf conf = conf_of(
        "short-name-mode = \"enforcing\"\n"
        "credential-helpers = [\"containers-auth.json\"]\n"
        "[aliases]\n\"alpine\" = \"docker.io/library/alpine\"\n\"gone\" = \"\"\n");
    LONGS_EQUAL(0, conf.registries().size());
    LONGS_EQUAL(0, conf.unqualified_search_registries().size());
}

TEST(RegistriesConf, TheSystemFilesOfThisMachineLoad) {
    // Debian's containers-common ships a commented registries.conf and an [aliases] drop-in;
    // whatever is installed here must not be refused.
    ScopedEnv env("CONTAINERS_REGISTRIES_CONF", nullptr);
    auto conf = RegistriesConf::load();
    CHECK_TEXT(conf.ok(), conf.ok() ? "" : conf.error().message.c_str());
}

TEST(RegistriesConf, EnvironmentNamesTheOnlyFile) {
    ScratchDir dir;
    std::string f = dir.write("only.conf", "unqualified-search-registries = [\"env.io\"]\n");
    {
        ScopedEnv env("CONTAINERS_REGISTRIES_CONF", f);
        auto conf = RegistriesConf::load();
        CHECK(conf.ok());
        LONGS_EQUAL(1, conf->unqualified_search_registries().size());
        STRCMP_EQUAL("env.io", conf->unqualified_search_registries()[0].c_str());
    }
    {
        ScopedEnv env("CONTAINERS_REGISTRIES_CONF", dir / "nope.conf");
        auto conf = RegistriesConf::load();
        CHECK(!conf.ok());
        LONGS_EQUAL(ENOENT, conf.error().code);
    }
    {
        std::string bad = dir.write("bad.conf", "\n\nx = 1\n");
        ScopedEnv env("CONTAINERS_REGISTRIES_CONF", bad);
        auto conf = RegistriesConf::load();
        CHECK(!conf.ok());
        STRCMP_EQUAL((bad + ":3: unknown key 'x'").c_str(), conf.error().message.c_str());
    }
}
