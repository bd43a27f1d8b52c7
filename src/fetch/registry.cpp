// RegistryClient: ping, manifests and the blob loop over the pieces in transport, auth,
// api_request and blob_download.
#include "fetch/registry.hpp"

#include <algorithm>
#include <set>

#include "base/strings.hpp"
#include "fetch/api_request.hpp"
#include "fetch/auth.hpp"
#include "fetch/blob_download.hpp"
#include "fetch/registry_errors.hpp"
#include "fetch/transport.hpp"
#include "oci/manifest.hpp"
#include "oci/media_types.hpp"

namespace ocipod {

struct RegistryClient::State {
    Endpoint endpoint;
    FetchPolicy policy;
    std::string base_url;
    std::unique_ptr<Transport> transport;
    std::unique_ptr<Authenticator> auth;
    Error init_error;
    bool ok = false;

    std::string scope() const { return "repository:" + endpoint.repository + ":pull"; }
};

RegistryClient::RegistryClient(Endpoint endpoint, std::optional<Credentials> credentials,
                               TlsFiles tls, FetchPolicy policy)
    : s_(std::make_unique<State>()) {
    s_->endpoint = std::move(endpoint);
    s_->policy = policy;
    s_->policy.max_parallel = std::max(1, s_->policy.max_parallel);
    s_->policy.max_attempts = std::max(1, s_->policy.max_attempts);
    s_->base_url = s_->endpoint.base_url();
    // The constructor cannot fail; a broken setup (unreadable CA file) is reported by every call.
    auto t = Transport::create(s_->endpoint, tls, s_->policy);
    if (!t.ok()) {
        s_->init_error = std::move(t).error();
        return;
    }
    s_->transport = t.take();
    s_->auth = std::make_unique<Authenticator>(*s_->transport, s_->policy, s_->base_url,
                                               std::move(credentials));
    s_->ok = true;
}

RegistryClient::~RegistryClient() = default;

const Endpoint& RegistryClient::endpoint() const {
    return s_->endpoint;
}

unsigned long RegistryClient::request_count() const {
    return s_->transport ? s_->transport->request_count() : 0;
}

Status RegistryClient::ping() {
    if (!s_->ok) return s_->init_error;
    ApiGet get;
    get.url = s_->base_url + "/v2/";
    ApiAnswer a = TRY_WRAP(api_get(*s_->transport, s_->policy, get),
                           strf("registry '%s'", s_->endpoint.host.c_str()));
    if (a.status == 401) s_->auth->learn(a.headers);
    if (a.status == 200 || a.status == 401) return {};
    if (a.status == 404)
        return make_error(ENOTSUP,
                          "registry '%s': not a registry v2 endpoint (v1 registries are not "
                          "supported)",
                          s_->endpoint.host.c_str());
    return registry_error(a.status, a.body).wrap(strf("registry '%s'", s_->endpoint.host.c_str()));
}

namespace {

// distribution-spec: [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}
bool is_valid_tag(std::string_view t) {
    if (t.empty() || t.size() > 128) return false;
    for (size_t i = 0; i < t.size(); i++) {
        char c = t[i];
        bool ok =
            isalnum(static_cast<unsigned char>(c)) || c == '_' || (i > 0 && (c == '.' || c == '-'));
        if (!ok) return false;
    }
    return true;
}

// Collects a manifest body: capped (the transfer is aborted at cap+1 bytes, nothing more is
// buffered) and hashed as received.
class ManifestBody : public ApiBody {
public:
    explicit ManifestBody(HashAlg alg) : alg_(alg), hasher_(alg) {}

    void restart() override {
        bytes_.clear();
        hasher_ = Hasher(alg_);
        content_type_.clear();
        header_digest_.clear();
    }
    Status on_headers(long, const HttpHeaders& h) override {
        if (auto cl = h.get("content-length")) {
            auto n = parse_u64(*cl);
            if (n && *n > max_manifest_bytes) return too_large();
        }
        content_type_ = std::string(h.get("content-type").value_or(""));
        header_digest_ = std::string(h.get("docker-content-digest").value_or(""));
        return {};
    }
    Status on_data(const char* data, size_t len) override {
        if (len > max_manifest_bytes - bytes_.size()) return too_large();
        bytes_.append(data, len);
        hasher_.update(data, len);
        return {};
    }

    std::string bytes_;
    std::string content_type_;
    std::string header_digest_;
    Digest digest() { return Digest::from_hex(alg_, hasher_.finish_hex()); }

private:
    static Error too_large() {
        return make_error(EFBIG, "manifest larger than %zu bytes, refusing", max_manifest_bytes);
    }
    HashAlg alg_;
    Hasher hasher_;
};

}  // namespace

Result<FetchedManifest> RegistryClient::get_manifest(std::string_view tag_or_digest,
                                                     const std::optional<Digest>& expected) {
    std::string what = strf("manifest '%s%s%s'", s_->endpoint.repository.c_str(),
                            tag_or_digest.find(':') == std::string_view::npos ? ":" : "@",
                            printable(tag_or_digest).c_str());
    if (!s_->ok) return s_->init_error.wrap(what);
    // It goes into the URL path: a valid digest (which then pins the bytes, even when the caller
    // did not pass it again) or a tag of the distribution spec's grammar.
    std::optional<Digest> want = expected;
    if (tag_or_digest.find(':') != std::string_view::npos) {
        Digest d = TRY_WRAP(Digest::parse(tag_or_digest), what);
        if (!want) want = d;
    } else if (!is_valid_tag(tag_or_digest)) {
        return make_error(EINVAL, "%s: invalid tag", what.c_str());
    }

    ManifestBody body(want ? want->alg() : HashAlg::sha256);
    ApiGet get;
    get.url = s_->base_url + "/v2/" + s_->endpoint.repository + "/manifests/" +
              std::string(tag_or_digest);
    get.headers.push_back(std::string("Accept: ") + media::manifest_accept);
    get.body = &body;
    get.auth = s_->auth.get();
    get.scope = s_->scope();
    ApiAnswer a = TRY_WRAP(api_get(*s_->transport, s_->policy, get), what);
    if (a.status != 200) {
        Error e = registry_error(a.status, a.body);
        if (a.status == 404) e = make_error(ENOENT, "manifest unknown (%s)", e.message.c_str());
        return std::move(e).wrap(what);
    }

    FetchedManifest m{std::string(), std::string(), body.digest()};
    if (want && !(m.digest == *want))
        return make_error(EBADMSG, "%s: content has digest '%s', expected '%s'", what.c_str(),
                          m.digest.str().c_str(), want->str().c_str());
    // The header is a claim, never trusted over the bytes, but a disagreeing one is an error.
    if (!body.header_digest_.empty()) {
        auto hd = Digest::parse(body.header_digest_);
        if (hd.ok()) {
            Digest computed =
                hd->alg() == m.digest.alg() ? m.digest : Digest::of(hd->alg(), body.bytes_);
            if (!(computed == *hd))
                return make_error(EBADMSG,
                                  "%s: Docker-Content-Digest '%s' does not match the content "
                                  "('%s')",
                                  what.c_str(), hd->str().c_str(), computed.str().c_str());
        }
    }
    m.bytes = std::move(body.bytes_);
    m.content_type = std::move(body.content_type_);
    return m;
}

Status RegistryClient::fetch_blobs(const std::vector<Descriptor>& blobs, Store& store,
                                   ProgressSink* progress) {
    if (!s_->ok) return s_->init_error;
    // One transfer per digest: a second writer of the same ingest would wait on its lock.
    std::vector<const Descriptor*> todo;
    std::set<Digest> seen;
    for (const auto& d : blobs) {
        if (d.size < 0 || d.size > max_descriptor_size)
            return make_error(EINVAL, "blob '%s': invalid size %lld", d.digest.str().c_str(),
                              (long long)d.size);
        if (seen.insert(d.digest).second) todo.push_back(&d);
    }

    BlobContext ctx{*s_->transport,         *s_->auth, s_->policy, store, progress, s_->base_url,
                    s_->endpoint.repository};
    std::vector<std::unique_ptr<BlobDownload>> active;
    std::optional<Error> first_error;
    size_t next = 0;

    for (;;) {
        while (!first_error && next < todo.size() && int(active.size()) < s_->policy.max_parallel) {
            const Descriptor& d = *todo[next++];
            auto ing = store.begin_ingest(d.digest, d.size);
            if (!ing.ok()) {
                first_error =
                    std::move(ing).error().wrap(strf("blob '%s'", d.digest.str().c_str()));
                break;
            }
            if (!*ing) {
                if (progress) progress->blob_finished(d, true);
                continue;
            }
            active.push_back(std::make_unique<BlobDownload>(ctx, d, std::move(**ing)));
        }
        if (first_error) break;
        if (active.empty()) break;

        auto now = BlobDownload::Clock::now();
        for (size_t i = 0; i < active.size() && !first_error; i++) {
            BlobDownload& dl = *active[i];
            if (dl.stalled(now)) dl.abort_stalled();
            if (dl.ready(now)) dl.step();
            if (dl.failed()) first_error = dl.error();
        }
        if (first_error) break;
        active.erase(std::remove_if(active.begin(), active.end(),
                                    [](const auto& dl) { return dl->finished(); }),
                     active.end());
        if (active.empty()) continue;

        // Sleep until network activity or the earliest backoff ends (at most 1 s).
        now = BlobDownload::Clock::now();
        auto timeout = std::chrono::milliseconds(1000);
        for (const auto& dl : active) {
            if (dl->ready(now)) {
                timeout = std::chrono::milliseconds(0);
                break;
            }
            auto wake = dl->wake_at();
            if (wake != BlobDownload::Clock::time_point::max())
                timeout =
                    std::min(timeout, std::chrono::ceil<std::chrono::milliseconds>(wake - now));
        }
        Status st = s_->transport->poll(timeout);
        if (!st.ok()) first_error = std::move(st).error();
        if (first_error) break;
    }
    // Stop whatever still runs; partial data stays in the ingests for the next pull.
    for (auto& dl : active) dl->cancel();
    active.clear();
    if (first_error) return *first_error;
    return {};
}

}  // namespace ocipod
