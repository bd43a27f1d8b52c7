// One blob transfer into a store Ingest, as a state machine the RegistryClient's loop advances
// (several run at once over one Transport). Sources are tried in order: the descriptor's foreign
// `urls` (http/https only, never with credentials or auth handling; CVE-2020-15157), then the
// registry's /v2/REPO/blobs/DIGEST.
//
// Resuming (THREATS.md §3.2 #3-#8, #27, #30): a dropped connection or a stall resumes with
// "Range: bytes=OFFSET-". A 206 is spliced only after a strict Content-Range check; a 200 to a
// Range request restarts the ingest and takes the body from 0 (never appended); a 416 commits a
// complete partial or restarts. Attempts without progress are bounded (3), attempts with progress
// continue up to a cap. A redirect target answering 401/403 sends us back to the registry for a
// fresh URL. Bytes beyond the descriptor size abort the transfer. A digest or size mismatch at
// commit gets one refetch from 0, then fails.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "fetch/auth.hpp"
#include "fetch/progress.hpp"
#include "fetch/registry.hpp"
#include "fetch/transport.hpp"
#include "oci/descriptor.hpp"
#include "store/store.hpp"

namespace ocipod {

// What every download of one fetch_blobs call shares.
struct BlobContext {
    Transport& transport;
    Authenticator& auth;
    const FetchPolicy& policy;
    Store& store;
    ProgressSink* progress = nullptr;
    std::string registry_url;  // base URL, "https://host[:port]"
    std::string repository;
};

class BlobDownload : public BodySink {
public:
    using Clock = std::chrono::steady_clock;

    BlobDownload(BlobContext& ctx, const Descriptor& blob, Ingest ingest);
    ~BlobDownload() override;

    const Descriptor& blob() const { return blob_; }
    bool finished() const { return state_ == State::finished; }
    bool failed() const { return state_ == State::failed; }
    const Error& error() const { return error_; }

    // True when step() has work: the running request ended, or the backoff is over.
    bool ready(Clock::time_point now) const;
    // When a waiting download wants to run again (Clock::time_point::max() if not waiting).
    Clock::time_point wake_at() const;
    // Advance: judge a finished request, then start the next one (or finish/fail).
    void step();
    // Stop the running request; the partial data stays in the ingest for a later resume.
    void cancel();
    // No byte for policy.stall_seconds on the running request. libcurl's low-speed check (also
    // set) averages over a 5 s window, so a burst followed by silence is caught late; this check
    // is exact. abort_stalled() then treats it like a dropped connection: resume with Range.
    bool stalled(Clock::time_point now) const;
    void abort_stalled();

    // BodySink
    Status on_headers(long status, const HttpHeaders& headers) override;
    Status on_data(const char* data, size_t len) override;

private:
    enum class State { idle, running, waiting, finished, failed };

    void judge();
    void start_request();
    void handle_transport_failure();
    void handle_complete_body();
    void commit();
    void retry_in(std::chrono::milliseconds delay, const std::string& why);
    void source_failed(Error e);
    void fail(Error e);
    bool at_registry_source() const { return source_ + 1 == sources_.size(); }
    int64_t offset() const;

    BlobContext& ctx_;
    Descriptor blob_;
    std::optional<Ingest> ingest_;
    std::vector<std::string> sources_;  // foreign urls, then the registry URL
    size_t source_ = 0;
    std::string url_;  // current URL: the source or a redirect target
    AuthAttempt auth_;

    State state_ = State::idle;
    Error error_;
    std::unique_ptr<HttpCall> call_;
    Clock::time_point wake_at_ = Clock::time_point::max();
    int64_t attempt_offset_ = 0;   // where the running request's body starts
    Clock::time_point last_data_;  // start of the running request or its latest byte
    bool started_ = false;         // blob_started reported

    // Bounds (per source unless noted).
    int calls_ = 0;           // HTTP requests for this blob (all sources)
    int status_retries_ = 0;  // 429/5xx retries
    int no_progress_ = 0;     // consecutive transport failures without new bytes
    int hops_ = 0;            // redirects since the last source URL
    int auth_rounds_ = 0;
    int back_to_registry_ = 0;  // storage 401/403 -> registry again
    bool refetched_ = false;    // the one refetch after a failed commit (whole blob)
    // A sink error of the kind "this answer cannot be spliced": restart from 0 and retry.
    bool restart_next_ = false;
    // A sink error that ends this source.
    bool source_error_ = false;
};

}  // namespace ocipod
