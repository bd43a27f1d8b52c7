// A client for one repository at one endpoint, speaking the OCI distribution spec / Docker
// registry API v2. It owns the HTTP side: Accept negotiation, authentication (anonymous, Basic,
// Bearer tokens cached per scope, one refresh on invalid_token, one retry with a wider scope on
// insufficient_scope), retries (429 with Retry-After, 5xx and connection resets with capped
// backoff, bounded attempts), redirects (followed, never carrying Authorization to another
// host, port or scheme), and resumable blob downloads (Range with a strict Content-Range check;
// a 200 to a Range request never appends).
//
// Every byte is verified: manifests are hashed as received and capped at 4 MiB; blobs stream
// through the store's Ingest, which checks size and digest before commit.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "fetch/certs.hpp"
#include "fetch/credentials.hpp"
#include "fetch/endpoint.hpp"
#include "fetch/progress.hpp"
#include "oci/descriptor.hpp"
#include "store/store.hpp"

namespace ocipod {

struct FetchPolicy {
    int max_parallel = 4;  // blob transfers at once
    int max_attempts = 5;  // per request, counting the first
    std::chrono::milliseconds initial_backoff{250};
    std::chrono::milliseconds max_backoff{10000};
    std::chrono::milliseconds max_retry_after{60000};  // longer Retry-After values are capped
    long stall_seconds = 30;   // no bytes for this long: abort the transfer and resume
    bool foreign_urls = true;  // try descriptor `urls` (without credentials) before the registry
};

struct FetchedManifest {
    std::string bytes;         // exactly as received
    std::string content_type;  // as sent by the server, parameters included
    Digest digest;             // of bytes (sha256, or the algorithm of the requested digest)
};

class RegistryClient {
public:
    RegistryClient(Endpoint endpoint, std::optional<Credentials> credentials, TlsFiles tls,
                   FetchPolicy policy = {});
    ~RegistryClient();
    RegistryClient(const RegistryClient&) = delete;
    RegistryClient& operator=(const RegistryClient&) = delete;

    const Endpoint& endpoint() const;

    // GET /v2/. 200 or 401 (with a challenge) means a v2 registry; anything else, including a
    // v1-only registry, is an error that says so.
    Status ping();

    // GET /v2/REPO/manifests/REF with the full Accept list. When expected is set (pull by
    // digest or a child of an index) the bytes must hash to it. A Docker-Content-Digest header
    // that disagrees with the computed digest is an error. Errors name the reference; a 404 is
    // ENOENT ("manifest unknown").
    Result<FetchedManifest> get_manifest(std::string_view tag_or_digest,
                                         const std::optional<Digest>& expected);

    // Download blobs into the store, in parallel (policy.max_parallel at once), skipping blobs
    // already stored and resuming partial ingests. Returns the first error after all transfers
    // have stopped; blobs completed before it stay committed.
    Status fetch_blobs(const std::vector<Descriptor>& blobs, Store& store, ProgressSink* progress);

    // Requests made so far (tests count them to catch retry storms).
    unsigned long request_count() const;

private:
    struct State;
    std::unique_ptr<State> s_;
};

}  // namespace ocipod
