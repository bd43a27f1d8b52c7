#include <CppUTest/TestHarness.h>

#include <unistd.h>

#include <string>

#include "conf_fixture.hpp"
#include "fetch/certs.hpp"

using namespace ocipod;
using ocipod::conftest::ScopedEnv;
using ocipod::conftest::ScratchDir;

namespace {

// The result relative to the scratch directory, as one comparable string.
std::string describe(const ScratchDir& dir, const TlsFiles& f) {
    auto rel = [&](const std::string& p) {
        return p.rfind(dir.path() + "/", 0) == 0 ? p.substr(dir.path().size() + 1) : "!" + p;
    };
    std::string out = "ca:";
    for (const std::string& c : f.ca_files) out += " " + rel(c);
    out += " cert: " + (f.client_cert.empty() ? "-" : rel(f.client_cert));
    out += " key: " + (f.client_key.empty() ? "-" : rel(f.client_key));
    return out;
}

}  // namespace

TEST_GROUP(Certs) {
    ScratchDir* dir = nullptr;
    ScopedEnv* env = nullptr;
    void setup() override {
        dir = new ScratchDir;
        env = new ScopedEnv("OCI_POD_CERTS_DIRS", (*dir / "one") + ":" + (*dir / "two"));
    }
    void teardown() override {
        delete env;
        delete dir;
    }
    std::string files_for(const char* host) {
        auto r = tls_files_for(host);
        if (!r.ok()) return "error: " + r.error().message;
        return describe(*dir, *r);
    }
};

TEST(Certs, CaFilesAndOneClientPair) {
    dir->write("one/reg.example.com:5000/z-ca.crt", "z");
    dir->write("one/reg.example.com:5000/a-ca.crt", "a");
    dir->write("one/reg.example.com:5000/client.cert", "c");
    dir->write("one/reg.example.com:5000/client.key", "k");
    dir->write("one/reg.example.com:5000/README", "ignored");
    dir->mkdirs("one/reg.example.com:5000/sub.crt");  // a directory, not a certificate
    STRCMP_EQUAL(
        "ca: one/reg.example.com:5000/a-ca.crt one/reg.example.com:5000/z-ca.crt "
        "cert: one/reg.example.com:5000/client.cert key: one/reg.example.com:5000/client.key",
        files_for("reg.example.com:5000").c_str());
    // The port is part of the name.
    STRCMP_EQUAL("ca: cert: - key: -", files_for("reg.example.com").c_str());
}

TEST(Certs, FirstExistingHostDirectoryWins) {
    dir->write("two/only-two.io/ca.crt", "x");
    STRCMP_EQUAL("ca: two/only-two.io/ca.crt cert: - key: -", files_for("only-two.io").c_str());
    dir->write("one/both.io/one.crt", "x");
    dir->write("two/both.io/two.crt", "x");
    dir->write("two/both.io/c.cert", "x");
    dir->write("two/both.io/c.key", "x");
    STRCMP_EQUAL("ca: one/both.io/one.crt cert: - key: -", files_for("both.io").c_str());
    // An empty host directory still counts as the one to use.
    dir->mkdirs("one/empty.io");
    dir->write("two/empty.io/two.crt", "x");
    STRCMP_EQUAL("ca: cert: - key: -", files_for("empty.io").c_str());
}

TEST(Certs, SymlinkedFilesCount) {
    std::string target = dir->write("elsewhere/site-ca.pem", "x");
    dir->mkdirs("one/link.io");
    CHECK(symlink(target.c_str(), (*dir / "one/link.io/ca.crt").c_str()) == 0);
    CHECK(symlink("/nonexistent", (*dir / "one/link.io/dangling.crt").c_str()) == 0);
    STRCMP_EQUAL("ca: one/link.io/ca.crt cert: - key: -", files_for("link.io").c_str());
}

TEST(Certs, HalfAPairIsAnError) {
    dir->write("one/nokey.io/client.cert", "c");
    std::string r = files_for("nokey.io");
    CHECK_TEXT(r.find("error: client certificate") == 0, r.c_str());
    CHECK_TEXT(r.find("nokey.io/client.cert' has no key 'client.key'") != std::string::npos,
               r.c_str());
    dir->write("one/nocert.io/client.key", "k");
    r = files_for("nocert.io");
    CHECK_TEXT(
        r.find("nocert.io/client.key' has no certificate 'client.cert'") != std::string::npos,
        r.c_str());
    // A mismatched pair is two halves.
    dir->write("one/mismatch.io/a.cert", "c");
    dir->write("one/mismatch.io/b.key", "k");
    r = files_for("mismatch.io");
    CHECK_TEXT(r.find("has no key 'a.key'") != std::string::npos, r.c_str());
    auto e = tls_files_for("nokey.io");
    LONGS_EQUAL(ENOENT, e.error().code);
}

TEST(Certs, TwoClientPairsAreRefused) {
    dir->write("one/two.io/a.cert", "c");
    dir->write("one/two.io/a.key", "k");
    dir->write("one/two.io/b.cert", "c");
    dir->write("one/two.io/b.key", "k");
    auto r = tls_files_for("two.io");
    CHECK(!r.ok());
    LONGS_EQUAL(EINVAL, r.error().code);
    CHECK(r.error().message.find("2 client certificates") != std::string::npos);
}

TEST(Certs, HostsThatCouldLeaveTheDirectoryAreRefused) {
    dir->write("one/ca.crt", "x");
    for (const char* bad : {"..", ".", "", "a/b", "../one", "a b"}) {
        auto r = tls_files_for(bad);
        CHECK_TEXT(!r.ok(), bad);
        LONGS_EQUAL(EINVAL, r.error().code);
    }
}

TEST(Certs, DefaultDirectoriesWhenUnset) {
    ScopedEnv unset("OCI_POD_CERTS_DIRS", nullptr);
    // Whatever /etc holds for this made-up host, the lookup must not fail.
    auto r = tls_files_for("no-such-registry.invalid:1");
    CHECK(r.ok());
    LONGS_EQUAL(0, r->ca_files.size());
}
