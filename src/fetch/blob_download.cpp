#include "fetch/blob_download.hpp"

#include <ctime>

#include "base/strings.hpp"
#include "fetch/http_headers.hpp"
#include "fetch/redirect_policy.hpp"
#include "fetch/registry_errors.hpp"
#include "fetch/retry_policy.hpp"

namespace ocipod {

namespace {

// Failed attempts in a row that brought no new byte (containerd's httpReadSeeker allows 3).
constexpr int max_no_progress = 3;
// Requests for one blob over all sources: generous for resumes that keep making progress, but a
// server that drips a few bytes per connection cannot keep us forever.
constexpr int max_calls_per_blob = 200;
constexpr int max_auth_rounds = 4;
constexpr int max_back_to_registry = 3;

bool is_redirect(long status) {
    return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

std::string seconds_text(std::chrono::milliseconds d) {
    if (d.count() < 1000) return strf("%lld ms", (long long)d.count());
    if (d.count() % 1000 == 0) return strf("%lld s", (long long)(d.count() / 1000));
    return strf("%.1f s", double(d.count()) / 1000.0);
}

}  // namespace

BlobDownload::BlobDownload(BlobContext& ctx, const Descriptor& blob, Ingest ingest)
    : ctx_(ctx), blob_(blob), ingest_(std::move(ingest)) {
    if (ctx_.policy.foreign_urls)
        for (const auto& u : blob_.urls)
            if (is_http_url(u)) sources_.push_back(u);
    sources_.push_back(ctx_.registry_url + "/v2/" + ctx_.repository + "/blobs/" +
                       blob_.digest.str());
    url_ = sources_[0];
    auth_.scope = "repository:" + ctx_.repository + ":pull";
}

BlobDownload::~BlobDownload() {
    cancel();
}

int64_t BlobDownload::offset() const {
    return ingest_ ? ingest_->offset() : 0;
}

bool BlobDownload::ready(Clock::time_point now) const {
    switch (state_) {
        case State::idle:
            return true;
        case State::running:
            return call_ && call_->done();
        case State::waiting:
            return now >= wake_at_;
        default:
            return false;
    }
}

BlobDownload::Clock::time_point BlobDownload::wake_at() const {
    return state_ == State::waiting ? wake_at_ : Clock::time_point::max();
}

void BlobDownload::cancel() {
    if (call_) {
        ctx_.transport.cancel(*call_);
        call_.reset();
    }
}

bool BlobDownload::stalled(Clock::time_point now) const {
    return state_ == State::running && call_ && !call_->done() &&
           now - last_data_ >= std::chrono::seconds(ctx_.policy.stall_seconds);
}

void BlobDownload::abort_stalled() {
    if (!stalled(Clock::now())) return;
    bool progress = call_->sink_bytes() > 0;
    ctx_.transport.cancel(*call_);
    call_.reset();
    Error e = make_error(ETIMEDOUT, "no data for %ld s", ctx_.policy.stall_seconds);
    if (progress) {
        no_progress_ = 0;
        return retry_in(std::chrono::milliseconds(0),
                        strf("%s at byte %lld", e.message.c_str(), (long long)offset()));
    }
    if (++no_progress_ >= max_no_progress) return source_failed(e);
    retry_in(backoff_delay(ctx_.policy, no_progress_), e.message);
}

void BlobDownload::step() {
    switch (state_) {
        case State::idle:
            if (!started_) {
                started_ = true;
                if (ctx_.progress) ctx_.progress->blob_started(blob_, offset());
            }
            // A partial that is already whole (a crash before commit) needs no request.
            if (offset() == blob_.size)
                commit();
            else
                start_request();
            return;
        case State::running:
            if (call_ && call_->done()) judge();
            return;
        case State::waiting:
            if (Clock::now() >= wake_at_) start_request();
            return;
        default:
            return;
    }
}

void BlobDownload::start_request() {
    if (++calls_ > max_calls_per_blob)
        return fail(make_error(EIO, "giving up after %d requests", max_calls_per_blob));
    restart_next_ = false;
    source_error_ = false;
    HttpRequest req;
    req.url = url_;
    attempt_offset_ = offset();
    if (attempt_offset_ > 0)
        req.headers.push_back(strf("Range: bytes=%lld-", (long long)attempt_offset_));
    // Foreign URLs get no credentials and no authentication handling at all.
    if (at_registry_source()) {
        auto value = ctx_.auth.authorization(url_, auth_);
        if (!value.ok()) return fail(std::move(value).error());
        if (!value->empty()) req.headers.push_back("Authorization: " + *value);
    }
    call_ = std::make_unique<HttpCall>(std::move(req), this, error_body_cap);
    last_data_ = Clock::now();
    Status st = ctx_.transport.start(*call_);
    if (!st.ok()) return fail(std::move(st).error());
    state_ = State::running;
}

Status BlobDownload::on_headers(long status, const HttpHeaders& headers) {
    if (auto dcd = headers.get("docker-content-digest")) {
        auto d = Digest::parse(*dcd);
        if (d.ok() && d->alg() == blob_.digest.alg() && !(*d == blob_.digest)) {
            source_error_ = true;
            return make_error(EBADMSG, "server says the blob is '%s'", d->str().c_str());
        }
    }
    int64_t expect_len = blob_.size;
    if (status == 206) {
        Status st = check_partial_content(headers, attempt_offset_, blob_.size);
        if (!st.ok()) {
            restart_next_ = true;
            return st;
        }
        expect_len = blob_.size - attempt_offset_;
    } else if (status == 200) {
        // The server ignored Range: its body starts at byte 0 and must never be appended.
        if (offset() > 0) TRY(ingest_->restart());
    } else {
        source_error_ = true;
        return make_error(EPROTO, "unexpected HTTP %ld for a blob", status);
    }
    if (auto cl = headers.get("content-length")) {
        auto n = parse_u64(*cl);
        if (n && *n != uint64_t(expect_len)) {
            source_error_ = true;
            return make_error(EPROTO, "server announces %llu bytes, expected %lld",
                              (unsigned long long)*n, (long long)expect_len);
        }
    }
    return {};
}

Status BlobDownload::on_data(const char* data, size_t len) {
    if (int64_t(len) > blob_.size - offset()) {
        source_error_ = true;
        return make_error(EFBIG, "server sent more than the blob's %lld bytes",
                          (long long)blob_.size);
    }
    TRY(ingest_->write(data, len));
    last_data_ = Clock::now();
    if (ctx_.progress) ctx_.progress->blob_progress(blob_, offset());
    return {};
}

void BlobDownload::judge() {
    std::unique_ptr<HttpCall> call = std::move(call_);
    if (const auto& se = call->sink_error()) {
        if (restart_next_) {
            // An answer we cannot splice: start over from 0 (bounded like a status retry).
            Status st = ingest_->restart();
            if (!st.ok()) return fail(std::move(st).error());
            if (++status_retries_ >= ctx_.policy.max_attempts) return source_failed(*se);
            return retry_in(backoff_delay(ctx_.policy, status_retries_), se->message);
        }
        if (source_error_) return source_failed(*se);
        return fail(*se);
    }
    if (!call->answered()) {
        call_ = std::move(call);
        return handle_transport_failure();
    }
    long status = call->status();
    if (status >= 200 && status < 300) {
        call_ = std::move(call);
        return handle_complete_body();
    }
    if (is_redirect(status)) {
        auto location = call->headers().get("location");
        if (!location)
            return source_failed(make_error(EPROTO, "HTTP %ld without Location", status));
        if (++hops_ > max_redirects)
            return source_failed(
                make_error(EPROTO, "too many redirects (more than %d)", max_redirects));
        auto next = resolve_location(url_, *location);
        if (!next.ok()) return source_failed(std::move(next).error());
        Status st = check_redirect(url_, *next);
        if (!st.ok()) return source_failed(std::move(st).error());
        url_ = std::move(*next);
        return start_request();
    }
    bool storage = !may_send_credentials(sources_[source_], url_);
    if ((status == 401 || status == 403) && at_registry_source() && storage) {
        // A signed storage URL expired (or never worked): get a fresh one from the registry.
        if (++back_to_registry_ > max_back_to_registry)
            return source_failed(registry_error(status, call->body()));
        url_ = sources_[source_];
        hops_ = 0;
        return start_request();
    }
    if (status == 401 && at_registry_source()) {
        if (++auth_rounds_ > max_auth_rounds)
            return fail(make_error(EACCES, "authentication failed (too many challenges)"));
        Status st = ctx_.auth.on_unauthorized(call->headers(), auth_);
        if (!st.ok()) return fail(std::move(st).error());
        return start_request();
    }
    if (status == 416) {
        if (offset() == blob_.size) return commit();
        Status st = ingest_->restart();
        if (!st.ok()) return fail(std::move(st).error());
        if (++status_retries_ >= ctx_.policy.max_attempts)
            return source_failed(registry_error(status, call->body()));
        return start_request();
    }
    if (is_retryable_status(status)) {
        if (++status_retries_ >= ctx_.policy.max_attempts)
            return source_failed(registry_error(status, call->body())
                                     .wrap(strf("giving up after %d attempts", status_retries_)));
        auto delay = retry_delay(ctx_.policy, status_retries_, call->headers(), time(nullptr));
        return retry_in(delay, strf("HTTP %ld", status));
    }
    return source_failed(registry_error(status, call->body()));
}

void BlobDownload::handle_transport_failure() {
    std::unique_ptr<HttpCall> call = std::move(call_);
    Error e = call->result() == CURLE_OK
                  ? make_error(ECONNRESET, "body ended after %lld of %lld bytes",
                               (long long)offset(), (long long)blob_.size)
                  : call->transfer_error();
    if (curl_is_tls_error(call->result())) return source_failed(e);
    if (call->sink_bytes() > 0) {
        no_progress_ = 0;
        return retry_in(std::chrono::milliseconds(0),
                        strf("%s at byte %lld", e.message.c_str(), (long long)offset()));
    }
    if (++no_progress_ >= max_no_progress) return source_failed(e);
    retry_in(backoff_delay(ctx_.policy, no_progress_), e.message);
}

void BlobDownload::handle_complete_body() {
    if (offset() < blob_.size) return handle_transport_failure();
    call_.reset();
    commit();
}

void BlobDownload::commit() {
    Status st = ingest_->commit();
    if (st.ok()) {
        ingest_.reset();
        state_ = State::finished;
        if (ctx_.progress) ctx_.progress->blob_finished(blob_, false);
        return;
    }
    if (st.error().code != EBADMSG || refetched_) return fail(std::move(st).error());
    // The data can never become right (commit discarded it): one fresh download from 0, from the
    // registry when the bad bytes came from a foreign URL.
    refetched_ = true;
    ingest_.reset();
    auto ing = ctx_.store.begin_ingest(blob_.digest, blob_.size);
    if (!ing.ok()) return fail(std::move(ing).error());
    if (!*ing) {
        state_ = State::finished;
        if (ctx_.progress) ctx_.progress->blob_finished(blob_, true);
        return;
    }
    ingest_ = std::move(**ing);
    if (offset() > 0) {
        Status rs = ingest_->restart();
        if (!rs.ok()) return fail(std::move(rs).error());
    }
    if (!at_registry_source()) source_ = sources_.size() - 1;
    url_ = sources_[source_];
    status_retries_ = no_progress_ = hops_ = back_to_registry_ = 0;
    retry_in(std::chrono::milliseconds(0), st.error().message);
}

void BlobDownload::retry_in(std::chrono::milliseconds delay, const std::string& why) {
    state_ = State::waiting;
    wake_at_ = Clock::now() + delay;
    if (ctx_.progress) {
        std::string msg = delay.count() > 0
                              ? strf("%s, retrying in %s", why.c_str(), seconds_text(delay).c_str())
                              : strf("%s, retrying", why.c_str());
        ctx_.progress->blob_retrying(blob_, msg.c_str());
    }
}

void BlobDownload::source_failed(Error e) {
    if (at_registry_source()) return fail(std::move(e));
    // A foreign URL failed: on to the next one, finally the registry (the partial data stays;
    // its digest is checked at commit like any other).
    std::string why = strf("foreign URL failed (%s)", e.message.c_str());
    source_++;
    url_ = sources_[source_];
    status_retries_ = no_progress_ = hops_ = back_to_registry_ = 0;
    retry_in(std::chrono::milliseconds(0), why);
}

void BlobDownload::fail(Error e) {
    cancel();
    state_ = State::failed;
    // Name the blob once (the store's errors already do).
    if (!starts_with(e.message, "blob "))
        e = std::move(e).wrap(strf("blob '%s'", blob_.digest.str().c_str()));
    error_ = std::move(e);
}

}  // namespace ocipod
