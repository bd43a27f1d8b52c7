// RegistryClient against tests/fixtures/fake_registry.py, for the faults whose handling depends on
// FetchPolicy knobs or on API details the CLI does not expose (THREATS.md §3.2): exact stall
// detection, the no-progress bound, 416 on resume, insufficient_scope, identity tokens, Basic
// challenges, credentials and plain-http realms, extra CA files and client certificates, bounded
// error bodies, the foreign-URL switch, request counting. tests/integration/fetch_faults.sh covers
// the same server through the oci-pod CLI.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "base/fs.hpp"
#include "c/json.hpp"
#include "fetch/registry.hpp"
#include "oci/descriptor.hpp"
#include "oci/digest.hpp"
#include "store/store.hpp"

// CppUTest last: its operator-new macros must not meet the STL headers.
#include <CppUTest/TestHarness.h>

extern char** environ;

using namespace ocipod;

namespace {

const char* python = "/usr/bin/python3";

std::string top_srcdir() {
    const char* s = getenv("srcdir");
    return s && *s ? s : TOP_SRCDIR;
}

void write_file(const std::string& path, std::string_view data) {
    FILE* f = fopen(path.c_str(), "we");
    CHECK_TEXT(f != nullptr, path.c_str());
    CHECK(fwrite(data.data(), 1, data.size(), f) == data.size());
    CHECK(fclose(f) == 0);
}

std::string random_bytes(size_t n, uint64_t seed) {
    std::string s(n, '\0');
    uint64_t x = seed * 0x9e3779b97f4a7c15ull + 1;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        s[i] = char(x);
    }
    return s;
}

// An OCI layout with a config and random-byte "layers" (the client does not look inside), tagged
// v1. urls, when given, go on the first layer.
struct TestImage {
    std::string dir;
    Descriptor config;
    std::vector<Descriptor> layers;
    std::vector<Descriptor> blobs() const {
        std::vector<Descriptor> all{config};
        all.insert(all.end(), layers.begin(), layers.end());
        return all;
    }
};

Descriptor put_blob(const std::string& dir, std::string_view media_type, std::string_view data) {
    Descriptor d;
    d.media_type = media_type;
    d.digest = Digest::of(HashAlg::sha256, data);
    d.size = int64_t(data.size());
    write_file(dir + "/blobs/sha256/" + d.digest.hex(), data);
    return d;
}

TestImage make_image(const std::string& dir, const std::vector<size_t>& sizes,
                     const std::vector<std::string>& urls = {}) {
    TestImage img;
    img.dir = dir;
    for (const char* sub : {"", "/blobs", "/blobs/sha256"})
        CHECK(mkdir((dir + sub).c_str(), 0755) == 0 || errno == EEXIST);
    img.config = put_blob(dir, "application/vnd.oci.image.config.v1+json",
                          R"({"architecture":"amd64","os":"linux","rootfs":{"type":"layers"}})");
    for (size_t i = 0; i < sizes.size(); i++) {
        img.layers.push_back(put_blob(dir, "application/vnd.oci.image.layer.v1.tar+gzip",
                                      random_bytes(sizes[i], i + 1)));
        if (i == 0) img.layers.back().urls = urls;
    }
    JsonPtr m(json_object());
    json_object_set_new(m.get(), "schemaVersion", json_integer(2));
    json_object_set_new(m.get(), "mediaType",
                        json_string("application/vnd.oci.image.manifest.v1+json"));
    json_object_set_new(m.get(), "config", descriptor_to_json(img.config).release());
    json_t* layers = json_array();
    for (const auto& l : img.layers) json_array_append_new(layers, descriptor_to_json(l).release());
    json_object_set_new(m.get(), "layers", layers);
    Descriptor md = put_blob(dir, "application/vnd.oci.image.manifest.v1+json", json_dump(m.get()));
    md.annotations["org.opencontainers.image.ref.name"] = "v1";
    JsonPtr index(json_object());
    json_object_set_new(index.get(), "schemaVersion", json_integer(2));
    json_t* ms = json_array();
    json_array_append_new(ms, descriptor_to_json(md).release());
    json_object_set_new(index.get(), "manifests", ms);
    write_file(dir + "/index.json", json_dump(index.get()));
    write_file(dir + "/oci-layout", R"({"imageLayoutVersion":"1.0.0"})");
    return img;
}

// One fake_registry.py process; stopped (SIGTERM) when destroyed.
class FakeRegistry {
public:
    FakeRegistry(const std::string& tmp, const std::string& layout,
                 const std::vector<std::string>& extra = {})
        : faults_(tmp + "/faults.json"), log_(tmp + "/requests.jsonl") {
        write_file(faults_, "{}");
        write_file(log_, "");
        std::vector<std::string> args{python,     top_srcdir() + "/tests/fixtures/fake_registry.py",
                                      "--layout", "lib/img=" + layout,
                                      "--faults", faults_,
                                      "--log",    log_};
        args.insert(args.end(), extra.begin(), extra.end());
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        int fds[2];
        CHECK(pipe2(fds, O_CLOEXEC) == 0);
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
        CHECK(posix_spawn(&pid_, python, &fa, nullptr, argv.data(), environ) == 0);
        posix_spawn_file_actions_destroy(&fa);
        close(fds[1]);
        std::string line;
        char c;
        while (read(fds[0], &c, 1) == 1 && c != '\n') line += c;
        close(fds[0]);
        port = atoi(line.c_str());
        CHECK_TEXT(port > 0, "fake registry did not start");
    }
    ~FakeRegistry() {
        if (pid_ > 0) {
            kill(pid_, SIGTERM);
            waitpid(pid_, nullptr, 0);
        }
    }
    FakeRegistry(const FakeRegistry&) = delete;
    FakeRegistry& operator=(const FakeRegistry&) = delete;

    std::string host() const { return "127.0.0.1:" + std::to_string(port); }

    // New faults (the server re-reads the file when it changes) and an empty log.
    void faults(const std::string& json) {
        write_file(log_, "");
        write_file(faults_ + ".tmp", json);
        CHECK(rename((faults_ + ".tmp").c_str(), faults_.c_str()) == 0);
    }

    // Log entries for which pred holds. The server logs a request after its last byte, so the
    // client may be done first: wait until the log stops growing (20 ms without a new line).
    int count(const std::function<bool(const json_t*)>& pred) const {
        off_t size = -1;
        for (int i = 0; i < 100; i++) {
            struct stat st {};
            if (stat(log_.c_str(), &st) == 0 && st.st_size == size) break;
            size = st.st_size;
            usleep(20000);
        }
        auto text = read_file_capped(AT_FDCWD, log_, 64 << 20);
        CHECK(text.ok());
        int n = 0;
        for (const auto& line : split(*text, '\n')) {
            if (line.empty()) continue;
            auto e = json_parse(line, "log line");
            CHECK(e.ok());
            n += pred(e->get()) ? 1 : 0;
        }
        return n;
    }
    // count(), polled for up to 5 s until it reaches expected: for a request whose response the
    // client abandons (a bounded error body), the server logs only when its write fails, which
    // on a loaded machine can come after the log has been quiet for a while.
    int count_reaching(int expected, const std::function<bool(const json_t*)>& pred) const {
        int n = count(pred);
        for (int i = 0; i < 250 && n < expected; i++) {
            usleep(20000);
            n = count(pred);
        }
        return n;
    }
    int entries() const {
        return count([](const json_t*) { return true; });
    }

    int port = 0;

private:
    std::string faults_, log_;
    pid_t pid_ = -1;
};

std::string str(const json_t* e, const char* key) {
    const char* s = json_string_value(json_object_get(e, key));
    return s ? s : "";
}
bool is_get_of(const json_t* e, const Digest& d) {
    return str(e, "method") == "GET" && ends_with(str(e, "path"), "/blobs/" + d.str());
}

class Progress : public ProgressSink {
public:
    void blob_started(const Descriptor&, int64_t) override {}
    void blob_progress(const Descriptor&, int64_t) override {}
    void blob_finished(const Descriptor&, bool present) override { (present ? present_ : done_)++; }
    void blob_retrying(const Descriptor&, const char*) override { retries_++; }
    int done_ = 0, present_ = 0, retries_ = 0;
};

bool have_openssl() {
    return system("command -v openssl >/dev/null 2>&1") == 0;
}

// A CA and a certificate for 127.0.0.1 signed by it: DIR/NAME-ca.crt, DIR/NAME.crt, DIR/NAME.key.
void make_cert(const std::string& dir, const std::string& name) {
    std::string cmd = strf(
        "cd '%s' && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
        "-keyout %s-ca.key -out %s-ca.crt -days 2 -subj '/CN=%s CA' && openssl req -newkey ec "
        "-pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout %s.key -out "
        "%s.csr -subj /CN=127.0.0.1 && printf 'subjectAltName=IP:127.0.0.1\\n' > %s.ext && "
        "openssl x509 -req -in %s.csr -CA %s-ca.crt -CAkey %s-ca.key -CAcreateserial -out %s.crt "
        "-days 2 -extfile %s.ext",
        dir.c_str(), name.c_str(), name.c_str(), name.c_str(), name.c_str(), name.c_str(),
        name.c_str(), name.c_str(), name.c_str(), name.c_str(), name.c_str(), name.c_str());
    CHECK_EQUAL(0, system(("(" + cmd + ") >/dev/null 2>&1").c_str()));
}

}  // namespace

TEST_GROUP(RegistryClient) {
    std::string tmp;
    TestImage img;
    std::unique_ptr<FakeRegistry> fake;
    FetchPolicy policy;
    Endpoint ep;

    void setup() override {
        char tmpl[] = "/var/tmp/oci-pod-registry-client.XXXXXX";
        CHECK(mkdtemp(tmpl) != nullptr);
        tmp = tmpl;
        img = make_image(tmp + "/img", {1000, 300000, 200000});
        fake = std::make_unique<FakeRegistry>(tmp, img.dir);
        policy.initial_backoff = std::chrono::milliseconds(10);
        policy.max_backoff = std::chrono::milliseconds(100);
        ep.host = fake->host();
        ep.repository = "lib/img";
        ep.plain_http = true;
    }
    void teardown() override {
        fake.reset();
        CHECK(remove_tree(AT_FDCWD, tmp).ok());
    }

    Store store(const char* name = "root") {
        auto s = Store::open(tmp + "/" + name);
        CHECK(s.ok());
        return s.take();
    }
    Status pull(RegistryClient & c, Store & s, Progress* p = nullptr) {
        TRY(c.ping());
        auto m = c.get_manifest("v1", std::nullopt);
        if (!m.ok()) return std::move(m).error();
        return c.fetch_blobs(img.blobs(), s, p);
    }
    const Descriptor& big() const {
        return img.layers[1];
    }
    int gets_of(const Digest& d) const {
        return fake->count([&](const json_t* e) { return is_get_of(e, d); });
    }
};

TEST(RegistryClient, PullsCountsRequestsAndSkipsWhatIsStored) {
    RegistryClient c(ep, std::nullopt, {}, policy);
    Store s = store();
    Progress p;
    CHECK(pull(c, s, &p).ok());
    LONGS_EQUAL(4, p.done_);
    LONGS_EQUAL(fake->entries(), long(c.request_count()));
    for (const auto& b : img.blobs()) CHECK(s.has_blob(b.digest));
    unsigned long before = c.request_count();
    Progress again;
    CHECK(c.fetch_blobs(img.blobs(), s, &again).ok());
    LONGS_EQUAL(4, again.present_);
    LONGS_EQUAL(before, long(c.request_count()));
}

TEST(RegistryClient, StallIsDetectedAndResumed) {
    fake->faults(R"({"faults":[{"kind":"stall","seconds":6,"fraction":0.5,"times":1,"match":")" +
                 big().digest.str() + R"("}]})");
    policy.stall_seconds = 1;
    RegistryClient c(ep, std::nullopt, {}, policy);
    Store s = store();
    auto t0 = std::chrono::steady_clock::now();
    CHECK(pull(c, s).ok());
    CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(4));
    CHECK(s.has_blob(big().digest));
    // (The stalled request is logged only when its handler wakes up, after this test.)
    LONGS_EQUAL(1, fake->count([&](const json_t* e) {
        return is_get_of(e, big().digest) &&
               str(e, "range") == strf("bytes=%lld-", (long long)big().size / 2);
    }));
}

TEST(RegistryClient, ResetsWithoutProgressAreBounded) {
    fake->faults(R"({"faults":[{"kind":"truncate","fraction":0,"match":")" + big().digest.str() +
                 R"("}]})");
    RegistryClient c(ep, std::nullopt, {}, policy);
    Store s = store();
    Status st = pull(c, s);
    CHECK(!st.ok());
    LONGS_EQUAL(3, gets_of(big().digest));
    CHECK(!s.has_blob(big().digest));
}

TEST(RegistryClient, ResetsWithProgressKeepResuming) {
    fake->faults(R"({"faults":[{"kind":"truncate","fraction":0.5,"match":")" + big().digest.str() +
                 R"("}]})");
    RegistryClient c(ep, std::nullopt, {}, policy);
    Store s = store();
    CHECK(pull(c, s).ok());
    CHECK(s.has_blob(big().digest));
    CHECK(gets_of(big().digest) > 10);
}

TEST(RegistryClient, RangeNotSatisfiableStartsOver) {
    fake->faults(R"({"faults":[{"kind":"truncate","times":1,"match":")" + big().digest.str() +
                 R"("},{"kind":"status","code":416,"range_only":true,"times":1}]})");
    RegistryClient c(ep, std::nullopt, {}, policy);
    Store s = store();
    CHECK(pull(c, s).ok());
    LONGS_EQUAL(3, gets_of(big().digest));
    LONGS_EQUAL(1, fake->count([&](const json_t* e) {
        return is_get_of(e, big().digest) && str(e, "range").empty() &&
               json_integer_value(json_object_get(e, "bytes")) == big().size &&
               json_integer_value(json_object_get(e, "status")) == 200;
    }));
}

TEST(RegistryClient, ChunkedBodiesAndTheirTrailersAreNotTrusted) {
    // #12: no Content-Length, so only the descriptor size bounds the body; trailers carrying a
    // wrong Docker-Content-Digest, a Content-Range and a status line change nothing.
    fake->faults(R"({"faults":[{"kind":"chunked","match":")" + img.layers[0].digest.str() +
                 R"("},{"kind":"chunked","status_line":true,"match":")" + big().digest.str() +
                 R"("}]})");
    RegistryClient c(ep, std::nullopt, {}, policy);
    Store s = store();
    CHECK(pull(c, s).ok());
    for (const auto& b : img.blobs()) CHECK(s.has_blob(b.digest));
    LONGS_EQUAL(1, gets_of(img.layers[0].digest));
}

TEST(RegistryClient, CompletePartialIsCommittedWithoutARequest) {
    Store s = store();
    {
        auto ing = s.begin_ingest(big().digest, big().size);
        CHECK(ing.ok() && ing->has_value());
        std::string data = random_bytes(size_t(big().size), 2);
        CHECK((*ing)->write(data.data(), data.size()).ok());
    }  // dropped without commit, as after a crash
    RegistryClient c(ep, std::nullopt, {}, policy);
    CHECK(c.fetch_blobs({big()}, s, nullptr).ok());
    CHECK(s.has_blob(big().digest));
    LONGS_EQUAL(0, gets_of(big().digest));
}

TEST(RegistryClient, InsufficientScopeIsRetriedOnceWithTheWiderScope) {
    fake->faults(R"({"auth":{"type":"bearer"},"faults":[{"kind":"insufficient_scope","times":1,)"
                 R"("scope":"repository:lib/img:pull,push","match":"/manifests/"}]})");
    RegistryClient c(ep, std::nullopt, {}, policy);
    Store s = store();
    CHECK(pull(c, s).ok());
    LONGS_EQUAL(2, fake->count([](const json_t* e) { return str(e, "path") == "/token"; }));
    LONGS_EQUAL(1, fake->count([](const json_t* e) {
        return str(e, "path") == "/token" &&
               str(e, "query").find("repository%3Alib%2Fimg%3Apull%2Cpush") != std::string::npos;
    }));
}

TEST(RegistryClient, IdentityTokenUsesTheRefreshTokenGrant) {
    fake->faults(R"({"auth":{"type":"bearer","refresh_tokens":["RT-1"]}})");
    RegistryClient c(ep, Credentials{"", "", "RT-1"}, {}, policy);
    Store s = store();
    CHECK(pull(c, s).ok());
    LONGS_EQUAL(1, fake->count([](const json_t* e) {
        return str(e, "path") == "/token" && str(e, "method") == "POST" &&
               str(e, "query").find("grant_type=refresh_token") != std::string::npos;
    }));
    RegistryClient bad(ep, Credentials{"", "", "RT-2"}, {}, policy);
    Status st = bad.ping();
    CHECK(st.ok());
    auto m = bad.get_manifest("v1", std::nullopt);
    CHECK(!m.ok());
    LONGS_EQUAL(EACCES, m.error().code);
}

TEST(RegistryClient, BasicCredentialsOnlyWhenConfigured) {
    fake->faults(R"({"auth":{"type":"basic","users":{"u":"p"}}})");
    RegistryClient anon(ep, std::nullopt, {}, policy);
    auto m = anon.get_manifest("v1", std::nullopt);
    CHECK(!m.ok());
    LONGS_EQUAL(EACCES, m.error().code);
    LONGS_EQUAL(0, fake->count([](const json_t* e) { return !str(e, "auth").empty(); }));
    RegistryClient wrong(ep, Credentials{"u", "x", ""}, {}, policy);
    auto w = wrong.get_manifest("v1", std::nullopt);
    CHECK(!w.ok());
    LONGS_EQUAL(EACCES, w.error().code);
    RegistryClient right(ep, Credentials{"u", "p", ""}, {}, policy);
    Store s = store();
    CHECK(pull(right, s).ok());
}

TEST(RegistryClient, PingTellsV1AndNonRegistriesApart) {
    RegistryClient c(ep, std::nullopt, {}, policy);
    CHECK(c.ping().ok());
    fake->faults(R"({"faults":[{"kind":"status","code":404,"match":"^/v2/$"}]})");
    Status st = c.ping();
    CHECK(!st.ok());
    LONGS_EQUAL(ENOTSUP, st.error().code);
    CHECK(st.error().message.find("v1") != std::string::npos);
    fake->faults(R"({"auth":{"type":"bearer"}})");
    CHECK(c.ping().ok());
}

TEST(RegistryClient, ErrorBodiesAreBounded) {
    fake->faults(
        R"({"faults":[{"kind":"status","code":500,"body_bytes":10000000,"match":"/manifests/"}]})");
    policy.max_attempts = 2;
    RegistryClient c(ep, std::nullopt, {}, policy);
    auto m = c.get_manifest("v1", std::nullopt);
    CHECK(!m.ok());
    LONGS_EQUAL(EIO, m.error().code);
    CHECK(m.error().message.size() < 400);
    LONGS_EQUAL(2, fake->count_reaching(
                       2, [](const json_t* e) { return ends_with(str(e, "path"), "/v1"); }));
}

TEST(RegistryClient, ManifestErrors) {
    RegistryClient c(ep, std::nullopt, {}, policy);
    auto missing = c.get_manifest("nope", std::nullopt);
    CHECK(!missing.ok());
    LONGS_EQUAL(ENOENT, missing.error().code);
    LONGS_EQUAL(1, fake->entries());
    // By digest: the bytes must hash to it (here they are the config's bytes).
    std::string wrong = img.config.digest.str();
    auto other = c.get_manifest(img.layers[0].digest.str(), img.config.digest);
    CHECK(!other.ok());
    LONGS_EQUAL(EBADMSG, other.error().code);
    CHECK(other.error().message.find(wrong) != std::string::npos);
    int before = fake->entries();
    for (const char* bad : {"../../x", "-x", "a/b", "v1?x=1", "", "sha256:../../etc"}) {
        auto r = c.get_manifest(bad, std::nullopt);
        CHECK_TEXT(!r.ok(), bad);
        LONGS_EQUAL(EINVAL, r.error().code);
    }
    LONGS_EQUAL(before, fake->entries());  // none of them went out
}

TEST(RegistryClient, FirstErrorStopsEveryTransfer) {
    Descriptor ghost = img.layers[0];
    ghost.digest = Digest::of(HashAlg::sha256, "not there");
    RegistryClient c(ep, std::nullopt, {}, policy);
    Store s = store();
    std::vector<Descriptor> blobs = img.blobs();
    blobs.insert(blobs.begin(), ghost);
    Status st = c.fetch_blobs(blobs, s, nullptr);
    CHECK(!st.ok());
    LONGS_EQUAL(ENOENT, st.error().code);
    CHECK(st.error().message.find(ghost.digest.str()) != std::string::npos);
    LONGS_EQUAL(1, gets_of(ghost.digest));
    Descriptor negative = img.layers[0];
    negative.size = -1;
    Status neg = c.fetch_blobs({negative}, s, nullptr);
    CHECK(!neg.ok());
    LONGS_EQUAL(EINVAL, neg.error().code);
}

TEST(RegistryClient, ForeignUrlsCanBeSwitchedOff) {
    TestImage foreign =
        make_image(tmp + "/foreign", {5000}, {"http://127.0.0.2:1/unused", "file:///etc/passwd"});
    fake.reset();
    fake = std::make_unique<FakeRegistry>(tmp, foreign.dir);
    ep.host = fake->host();
    policy.foreign_urls = false;
    RegistryClient off(ep, std::nullopt, {}, policy);
    Store s = store();
    CHECK(off.fetch_blobs(foreign.layers, s, nullptr).ok());
    LONGS_EQUAL(1, fake->entries());
    // Switched on, the dead foreign URL is tried (and fails) before the registry.
    policy.foreign_urls = true;
    Store s2 = store("root2");
    RegistryClient on(ep, std::nullopt, {}, policy);
    Progress p;
    CHECK(on.fetch_blobs(foreign.layers, s2, &p).ok());
    CHECK(p.retries_ >= 1);
}

TEST(RegistryClient, CredentialsNeverGoToAPlainHttpRealmOfAnHttpsRegistry) {
    if (!have_openssl()) return;
    make_cert(tmp, "srv");
    fake.reset();
    fake = std::make_unique<FakeRegistry>(
        tmp, img.dir,
        std::vector<std::string>{"--tls-cert", tmp + "/srv.crt", "--tls-key", tmp + "/srv.key"});
    fake->faults(
        R"({"auth":{"type":"bearer","users":{"u":"p"},"anonymous":true,"realm_on_storage":true}})");
    ep.host = fake->host();
    ep.plain_http = false;
    TlsFiles tls;
    tls.ca_files = {tmp + "/srv-ca.crt"};
    RegistryClient c(ep, Credentials{"u", "p", ""}, tls, policy);
    Store s = store();
    CHECK(pull(c, s).ok());
    LONGS_EQUAL(1, fake->count([](const json_t* e) { return str(e, "path") == "/token"; }));
    LONGS_EQUAL(0, fake->count([](const json_t* e) {
        return str(e, "path") == "/token" && !str(e, "auth").empty();
    }));
}

TEST(RegistryClient, TlsExtraCaFilesClientCertificatesAndNoVerify) {
    if (!have_openssl()) return;
    make_cert(tmp, "srv");
    make_cert(tmp, "other");
    make_cert(tmp, "client");
    fake.reset();
    fake = std::make_unique<FakeRegistry>(
        tmp, img.dir,
        std::vector<std::string>{"--tls-cert", tmp + "/srv.crt", "--tls-key", tmp + "/srv.key",
                                 "--tls-client-ca", tmp + "/client-ca.crt"});
    ep.host = fake->host();
    ep.plain_http = false;
    TlsFiles tls;
    tls.ca_files = {tmp + "/other-ca.crt", tmp + "/srv-ca.crt"};

    // Without a client certificate the server ends the handshake (TLS 1.3: right after it).
    RegistryClient no_client_cert(ep, std::nullopt, tls, policy);
    CHECK(!no_client_cert.ping().ok());

    TlsFiles only_other = tls;
    only_other.ca_files = {tmp + "/other-ca.crt"};
    only_other.client_cert = tmp + "/client.crt";
    only_other.client_key = tmp + "/client.key";
    RegistryClient unknown_ca(ep, std::nullopt, only_other, policy);
    Status st2 = unknown_ca.ping();
    CHECK(!st2.ok());
    LONGS_EQUAL(EPROTO, st2.error().code);
    CHECK(st2.error().message.find("--tls-verify=false") != std::string::npos);

    tls.client_cert = tmp + "/client.crt";
    tls.client_key = tmp + "/client.key";
    RegistryClient ok(ep, std::nullopt, tls, policy);
    Store s = store();
    CHECK(pull(ok, s).ok());

    Endpoint insecure = ep;
    insecure.tls_verify = false;
    RegistryClient no_verify(insecure, std::nullopt, only_other, policy);
    CHECK(no_verify.ping().ok());
}
