#include <CppUTest/TestHarness.h>

#include <time.h>

#include <string>

#include "conf_fixture.hpp"
#include "fetch/credential_helper.hpp"
#include "fetch/credentials.hpp"

using namespace ocipod;
using ocipod::conftest::ScopedEnv;
using ocipod::conftest::ScratchDir;

namespace {

std::string b64(const std::string& in) {
    static const char* abc = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    size_t i = 0;
    for (; i + 2 < in.size(); i += 3) {
        uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8) | uint8_t(in[i + 2]);
        for (int k = 18; k >= 0; k -= 6) out += abc[(v >> k) & 63];
    }
    if (in.size() - i == 1) {
        uint32_t v = uint8_t(in[i]) << 16;
        out += abc[(v >> 18) & 63];
        out += abc[(v >> 12) & 63];
        out += "==";
    } else if (in.size() - i == 2) {
        uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8);
        out += abc[(v >> 18) & 63];
        out += abc[(v >> 12) & 63];
        out += abc[(v >> 6) & 63];
        out += '=';
    }
    return out;
}

std::string auth_entry(const std::string& key, const std::string& userpass) {
    return "\"" + key + "\": {\"auth\": \"" + b64(userpass) + "\"}";
}

std::string auth_file(const std::vector<std::string>& entries, const std::string& extra = "") {
    std::string out = "{\"auths\": {";
    for (size_t i = 0; i < entries.size(); ++i) out += (i ? ", " : "") + entries[i];
    return out + "}" + extra + "}";
}

// "user:password" or "token=..." or "none", so results compare as one string.
std::string found(const CredentialStore& store, const char* registry, const char* repo) {
    auto r = store.lookup(registry, repo);
    if (!r.ok()) return "error: " + r.error().message;
    if (!r->has_value()) return "none";
    const Credentials& c = **r;
    if (!c.identity_token.empty()) return c.username + " token=" + c.identity_token;
    return c.username + ":" + c.password;
}

// The credentials of one file with this content, written into dir.
CredentialStore store_of(ScratchDir& dir, const std::string& content,
                         const std::string& name = "auth.json") {
    return CredentialStore::from_files({dir.write(name, content)});
}

int64_t monotonic_ms() {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return int64_t(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

const char* helper_script = R"(#!/bin/sh
[ "$1" = get ] || { echo "bad arguments: $*" >&2; exit 3; }
server=$(cat)
case "$server" in
  helper.example.com) printf '{"ServerURL":"%s","Username":"hu","Secret":"hs"}' "$server" ;;
  token.example.com) printf '{"ServerURL":"%s","Username":"<token>","Secret":"tok"}' "$server" ;;
  env.example.com) printf '{"Username":"%s","Secret":"%s"}' "${HOME:-unset}" "${LEAKED:-clean}" ;;
  https://index.docker.io/v1/) printf '{"Username":"legacyhub","Secret":"lp"}' ;;
  broken.example.com) echo "keychain locked" >&2; exit 2 ;;
  garbage.example.com) echo "not json" ;;
  slow.example.com) sleep 5 ;;
  chatty.example.com) i=0; while [ $i -lt 200 ]; do echo "0123456789012345678901234567890123456789"; i=$((i+1)); done ;;
  *) echo "credentials not found in native keychain"; exit 1 ;;
esac
)";

}  // namespace

TEST_GROUP(Credentials){};

TEST(Credentials, TestEncoderMatchesKnownVectors) {
    STRCMP_EQUAL("dTpw", b64("u:p").c_str());
    STRCMP_EQUAL("cXVheTpzZWNyZXQ=", b64("quay:secret").c_str());
    STRCMP_EQUAL("Zmlyc3Q6MQ==", b64("first:1").c_str());
}

TEST(Credentials, ParseCredsOption) {
    auto c = parse_creds_option("user:pa:ss");
    CHECK(c.ok());
    STRCMP_EQUAL("user", c->username.c_str());
    STRCMP_EQUAL("pa:ss", c->password.c_str());
    auto empty_pw = parse_creds_option("user:");
    CHECK(empty_pw.ok());
    STRCMP_EQUAL("", empty_pw->password.c_str());
    for (const char* bad : {"user", ":pw", ""}) {
        auto r = parse_creds_option(bad);
        CHECK_TEXT(!r.ok(), bad);
        LONGS_EQUAL(EINVAL, r.error().code);
    }
}

TEST(Credentials, HostKeysAndMissingFiles) {
    ScratchDir dir;
    std::string f = dir.write("auth.json", auth_file({auth_entry("quay.io", "quay:secret"),
                                                      auth_entry("127.0.0.1:5000", "u:p")}));
    auto store = CredentialStore::from_files({dir / "missing.json", f});
    STRCMP_EQUAL("quay:secret", found(store, "quay.io", "team/app").c_str());
    STRCMP_EQUAL("u:p", found(store, "127.0.0.1:5000", "x").c_str());
    STRCMP_EQUAL("none", found(store, "127.0.0.1:5001", "x").c_str());
    STRCMP_EQUAL("none", found(store, "docker.io", "library/alpine").c_str());
}

TEST(Credentials, Base64PaddingVariants) {
    ScratchDir dir;
    for (std::string pw : {"a", "ab", "abc", "abcd", "p\xc3\xa9:x"}) {
        std::string unpadded = b64("u:" + pw);
        while (!unpadded.empty() && unpadded.back() == '=') unpadded.pop_back();
        for (const std::string& enc : {b64("u:" + pw), unpadded}) {
            std::string f =
                dir.write("auth.json", "{\"auths\": {\"r.io\": {\"auth\": \"" + enc + "\"}}}");
            STRCMP_EQUAL(("u:" + pw).c_str(),
                         found(CredentialStore::from_files({f}), "r.io", "x").c_str());
        }
    }
}

TEST(Credentials, DockerHubLegacyKeysAndAliases) {
    ScratchDir dir;
    std::string legacy =
        dir.write("legacy.json", auth_file({auth_entry("https://index.docker.io/v1/", "legacy:pw"),
                                            auth_entry("http://old.example.com:5000/v2/", "u:p")}));
    auto store = CredentialStore::from_files({legacy});
    STRCMP_EQUAL("legacy:pw", found(store, "docker.io", "library/alpine").c_str());
    STRCMP_EQUAL("legacy:pw", found(store, "registry-1.docker.io", "library/alpine").c_str());
    STRCMP_EQUAL("legacy:pw", found(store, "index.docker.io", "user/app").c_str());
    STRCMP_EQUAL("u:p", found(store, "old.example.com:5000", "x").c_str());

    // Written exactly as asked beats a key that only normalises to it, wherever it appears.
    std::string both =
        dir.write("both.json", auth_file({auth_entry("https://index.docker.io/v1/", "legacy:pw"),
                                          auth_entry("docker.io", "hub:pw")}));
    STRCMP_EQUAL("hub:pw",
                 found(CredentialStore::from_files({both}), "docker.io", "library/x").c_str());
    std::string alias = dir.write("alias.json", auth_file({auth_entry("index.docker.io", "i:1")}));
    STRCMP_EQUAL("i:1",
                 found(CredentialStore::from_files({alias}), "docker.io", "library/x").c_str());
}

TEST(Credentials, NamespacedKeysMostSpecificWins) {
    ScratchDir dir;
    auto store =
        store_of(dir, auth_file({auth_entry("r.io", "reg:3"), auth_entry("r.io/ns/a/b", "ns-ab:1"),
                                 auth_entry("r.io/ns/a/", "ns-a:2")}));
    STRCMP_EQUAL("ns-ab:1", found(store, "r.io", "ns/a/b").c_str());
    STRCMP_EQUAL("ns-ab:1", found(store, "r.io", "ns/a/b/c").c_str());
    STRCMP_EQUAL("ns-a:2", found(store, "r.io", "ns/a/x").c_str());
    STRCMP_EQUAL("ns-a:2", found(store, "r.io", "ns/a").c_str());
    // Component boundaries: "ns/ab" is not below "ns/a".
    STRCMP_EQUAL("reg:3", found(store, "r.io", "ns/ab").c_str());
    STRCMP_EQUAL("reg:3", found(store, "r.io", "other").c_str());
    // A namespace key never matches another registry.
    STRCMP_EQUAL("none", found(store, "r.io.evil", "ns/a/b").c_str());
}

TEST(Credentials, EmptyEntriesFallThroughAndTokensAreKept) {
    ScratchDir dir;
    auto store = store_of(
        dir, "{\"auths\": {\"r.io/team\": {}, \"r.io\": {\"auth\": \"" + b64("reg:3") +
                 "\"}, \"t.io\": {\"auth\": \"" + b64("tok-user:") +
                 "\", \"identitytoken\": \"refresh\"}, \"o.io\": {\"identitytoken\": \"only\"}},"
                 " \"HttpHeaders\": {\"User-Agent\": \"x\"}, \"psFormat\": \"table\"}");
    STRCMP_EQUAL("reg:3", found(store, "r.io", "team/app").c_str());
    STRCMP_EQUAL("tok-user token=refresh", found(store, "t.io", "x").c_str());
    STRCMP_EQUAL(" token=only", found(store, "o.io", "x").c_str());
}

TEST(Credentials, MalformedFilesAreErrorsNamingFileAndKey) {
    ScratchDir dir;
    struct Case {
        const char* content;
        const char* what;
    } cases[] = {
        {"{\"auths\": {\"r.io\": {\"auth\": \"!!!notbase64\"}}}",
         "'r.io': 'auth' is not valid base64"},
        {"{\"auths\": {\"r.io\": {\"auth\": \"bm9jb2xvbg==\"}}}", "'r.io': 'auth' does not decode"},
        {"{\"auths\": {\"r.io\": {\"auth\": \"dTpw=\"}}}", "not valid base64"},
        {"{\"auths\": {\"r.io\": {\"auth\": 3}}}", "'auth' is not a string"},
        {"{\"auths\": {\"r.io\": \"dTpw\"}}", "auths entry 'r.io' is not an object"},
        {"{\"auths\": []}", "'auths' is not an object"},
        {"{\"auths\": {}, \"credHelpers\": {\"r.io\": 1}}", "credHelpers"},
        {"{\"auths\": {}, \"credsStore\": 1}", "credsStore"},
        {"{\"auths\": {\"r.io\": {\"auth\": \"dTpw\"}", "malformed"},
        {"[]", "not a JSON object"},
        {"{\"auths\": {\"r.io\": {}, \"r.io\": {}}}", "malformed"},
    };
    for (const Case& c : cases) {
        std::string f = dir.write("bad.json", c.content);
        std::string good = dir.write("good.json", auth_file({auth_entry("r.io", "u:p")}));
        auto r = CredentialStore::from_files({f, good}).lookup("r.io", "x");
        CHECK_TEXT(!r.ok(), c.content);
        if (r.ok()) continue;
        LONGS_EQUAL(EBADMSG, r.error().code);
        CHECK_TEXT(r.error().message.find(f) != std::string::npos, r.error().message.c_str());
        CHECK_TEXT(r.error().message.find(c.what) != std::string::npos, r.error().message.c_str());
        // The secret itself never appears in a message.
        CHECK(r.error().message.find("u:p") == std::string::npos);
    }
}

TEST(Credentials, FilesAreTriedInOrderAndCliWins) {
    ScratchDir dir;
    std::string first = dir.write("first.json", auth_file({auth_entry("r.io", "first:1")}));
    std::string second = dir.write(
        "second.json", auth_file({auth_entry("r.io", "second:2"), auth_entry("s.io", "second:2")}));
    auto store = CredentialStore::from_files({first, second});
    STRCMP_EQUAL("first:1", found(store, "r.io", "x").c_str());
    STRCMP_EQUAL("second:2", found(store, "s.io", "x").c_str());
    STRCMP_EQUAL("second:2",
                 found(CredentialStore::from_files({second, first}), "r.io", "x").c_str());

    ScopedEnv a("REGISTRY_AUTH_FILE", first);
    Credentials cli{"cli", "pw", ""};
    auto with_cli = CredentialStore::from_environment(cli);
    STRCMP_EQUAL("cli:pw", found(with_cli, "anything.io", "x").c_str());
}

TEST(Credentials, EnvironmentSearchOrder) {
    ScratchDir dir;
    std::string explicit_file =
        dir.write("explicit.json", auth_file({auth_entry("r.io", "env:pw")}));
    dir.write("run/containers/auth.json", auth_file({auth_entry("r.io", "rt:1")}));
    dir.write("config/containers/auth.json",
              auth_file({auth_entry("r.io", "cfg:1"), auth_entry("c.io", "cfg:1")}));
    dir.write("home/.docker/config.json",
              auth_file({auth_entry("r.io", "dock:1"), auth_entry("c.io", "dock:1"),
                         auth_entry("d.io", "dock:1")}));
    ScopedEnv runtime("XDG_RUNTIME_DIR", dir / "run");
    ScopedEnv config("XDG_CONFIG_HOME", dir / "config");
    ScopedEnv home("HOME", dir / "home");
    {
        ScopedEnv a("REGISTRY_AUTH_FILE", explicit_file);
        STRCMP_EQUAL("env:pw", found(CredentialStore::from_environment(), "r.io", "x").c_str());
    }
    ScopedEnv a("REGISTRY_AUTH_FILE", nullptr);
    auto store = CredentialStore::from_environment();
    STRCMP_EQUAL("rt:1", found(store, "r.io", "x").c_str());
    STRCMP_EQUAL("cfg:1", found(store, "c.io", "x").c_str());
    STRCMP_EQUAL("dock:1", found(store, "d.io", "x").c_str());
    {
        // Without XDG_CONFIG_HOME the config file is under $HOME/.config.
        ScopedEnv no_config("XDG_CONFIG_HOME", nullptr);
        dir.write("home/.config/containers/auth.json", auth_file({auth_entry("c.io", "hc:1")}));
        STRCMP_EQUAL("hc:1", found(CredentialStore::from_environment(), "c.io", "x").c_str());
    }
}

TEST_GROUP(CredentialHelper) {
    ScratchDir* dir = nullptr;
    ScopedEnv* path = nullptr;
    void setup() override {
        dir = new ScratchDir;
        dir->write("bin/docker-credential-test", helper_script, 0755);
        dir->write("bin/docker-credential-noexec", helper_script, 0644);
        const char* old = getenv("PATH");
        path = new ScopedEnv("PATH", (*dir / "bin") + ":" + (old ? old : "/usr/bin:/bin"));
    }
    void teardown() override {
        delete path;
        delete dir;
    }
};

TEST(CredentialHelper, CredHelpersAnswerForTheirHostOnly) {
    auto store =
        store_of(*dir, "{\"auths\": {\"helper.example.com\": {\"auth\": \"" + b64("file:pw") +
                           "\"}, \"other.example.com\": {\"auth\": \"" + b64("file:pw") +
                           "\"}}, \"credHelpers\": {\"helper.example.com\": \"test\", "
                           "\"token.example.com\": \"test\", \"missing.example.com\": \"test\"}}");
    // The helper wins over auths for its host; other hosts still use auths.
    STRCMP_EQUAL("hu:hs", found(store, "helper.example.com", "x").c_str());
    STRCMP_EQUAL(" token=tok", found(store, "token.example.com", "x").c_str());
    STRCMP_EQUAL("file:pw", found(store, "other.example.com", "x").c_str());
    STRCMP_EQUAL("none", found(store, "missing.example.com", "x").c_str());
}

TEST(CredentialHelper, CredsStoreIsTheFallbackAndDockerHubUsesItsLegacyServerName) {
    auto store =
        store_of(*dir, "{\"auths\": {\"docker.io\": {}}, \"credsStore\": \"test\"}", "config.json");
    STRCMP_EQUAL("hu:hs", found(store, "helper.example.com", "x").c_str());
    STRCMP_EQUAL("legacyhub:lp", found(store, "docker.io", "library/alpine").c_str());
    STRCMP_EQUAL("none", found(store, "nothing.example.com", "x").c_str());
}

TEST(CredentialHelper, RunsWithAMinimalEnvironment) {
    ScopedEnv leak("LEAKED", "secret-from-parent");
    auto r = run_credential_helper("test", "env.example.com");
    CHECK_TEXT(r.ok(), r.ok() ? "" : r.error().message.c_str());
    CHECK(r->has_value());
    STRCMP_EQUAL("clean", (*r)->password.c_str());
    STRCMP_EQUAL(getenv("HOME"), (*r)->username.c_str());
}

TEST(CredentialHelper, FailuresAreReported) {
    auto broken = run_credential_helper("test", "broken.example.com");
    CHECK(!broken.ok());
    LONGS_EQUAL(EIO, broken.error().code);
    CHECK(broken.error().message.find("exit status 2: keychain locked") != std::string::npos);

    auto garbage = run_credential_helper("test", "garbage.example.com");
    CHECK(!garbage.ok());
    CHECK(garbage.error().message.find("docker-credential-test") != std::string::npos);

    auto missing = run_credential_helper("nosuchhelper", "x");
    CHECK(!missing.ok());
    LONGS_EQUAL(ENOENT, missing.error().code);
    auto noexec = run_credential_helper("noexec", "x");
    CHECK(!noexec.ok());
    LONGS_EQUAL(ENOENT, noexec.error().code);

    for (const char* bad : {"../test", "a/b", "", ".hidden", "x y"}) {
        auto r = run_credential_helper(bad, "x");
        CHECK_TEXT(!r.ok(), bad);
        LONGS_EQUAL(EINVAL, r.error().code);
    }
}

TEST(CredentialHelper, TimeoutKillsTheHelper) {
    CredentialHelperLimits limits;
    limits.timeout_ms = 300;
    int64_t start = monotonic_ms();
    auto r = run_credential_helper("test", "slow.example.com", limits);
    int64_t took = monotonic_ms() - start;
    CHECK(!r.ok());
    LONGS_EQUAL(ETIMEDOUT, r.error().code);
    CHECK_TEXT(took < 3000, std::to_string(took).c_str());
}

TEST(CredentialHelper, OutputIsCapped) {
    CredentialHelperLimits limits;
    limits.output_cap = 1000;
    auto r = run_credential_helper("test", "chatty.example.com", limits);
    CHECK(!r.ok());
    LONGS_EQUAL(EFBIG, r.error().code);
    // Under the default cap the same output is read whole (and is not JSON).
    auto whole = run_credential_helper("test", "chatty.example.com");
    CHECK(!whole.ok());
    LONGS_EQUAL(EBADMSG, whole.error().code);
}
