#include "fetch/transport.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "base/fs.hpp"
#include "base/strings.hpp"
#include "fetch/redirect_policy.hpp"

namespace ocipod {

namespace {

// Large reads mean fewer write callbacks, syscalls and hash updates per byte.
constexpr long receive_buffer = 256 * 1024;
constexpr long connect_timeout_seconds = 30;
constexpr size_t max_ca_file_bytes = 16 << 20;

#define SETOPT(h, opt, val)                                           \
    do {                                                              \
        CURLcode rc_ = libcurl().curl_easy_setopt((h), (opt), (val)); \
        if (rc_ != CURLE_OK)                                          \
            return make_error(EINVAL, "curl option %s: %s", #opt,     \
                              libcurl().curl_easy_strerror(rc_));     \
    } while (0)

}  // namespace

HttpCall::HttpCall(HttpRequest request, BodySink* sink, size_t body_cap)
    : request_(std::move(request)), sink_(sink), body_cap_(body_cap) {}

HttpCall::~HttpCall() {
    // A call destroyed while running leaves the multi handle before its easy handle goes.
    if (owner_) owner_->cancel(*this);
}

size_t HttpCall::header_cb(char* p, size_t size, size_t n, void* self) {
    auto* c = static_cast<HttpCall*>(self);
    std::string_view line(p, size * n);
    if (starts_with(line, "HTTP/") && !c->headers_done_) {
        // A new answer (after 1xx, or the only one): forget the previous one's fields. Once the
        // final answer's headers are complete, nothing (a hostile trailer) starts another.
        c->headers_.clear();
        c->headers_done_ = false;
        c->status_ = 0;
        auto parts = split(trim(line), ' ');
        if (parts.size() >= 2 && parts[1].size() == 3) {
            if (auto v = parse_u64(parts[1])) c->status_ = long(*v);
        }
        return size * n;
    }
    if (trim(line).empty()) {
        if (c->status_ >= 100 && c->status_ < 200) return size * n;  // interim answer
        // The blank line after trailers (chunked HTTP/1.1) is not a second end of headers.
        if (c->headers_done_) return size * n;
        c->headers_done_ = true;
        if (c->sink_ && c->status_ >= 200 && c->status_ < 300) {
            Status st = c->sink_->on_headers(c->status_, c->headers_);
            if (!st.ok()) {
                c->sink_error_ = std::move(st).error();
                return 0;
            }
        }
        return size * n;
    }
    // Trailers after the body are not headers of the answer we judged.
    if (!c->headers_done_) c->headers_.add_line(line);
    return size * n;
}

size_t HttpCall::write_cb(char* p, size_t size, size_t n, void* self) {
    auto* c = static_cast<HttpCall*>(self);
    size_t len = size * n;
    if (c->sink_ && c->status_ >= 200 && c->status_ < 300) {
        Status st = c->sink_->on_data(p, len);
        if (!st.ok()) {
            c->sink_error_ = std::move(st).error();
            return 0;
        }
        c->sink_bytes_ += int64_t(len);
        return len;
    }
    size_t room = c->body_cap_ - c->body_.size();
    if (len > room) {
        // Keep what fits and stop reading: an oversize body is never buffered.
        c->body_.append(p, room);
        c->body_truncated_ = true;
        return 0;
    }
    c->body_.append(p, len);
    return len;
}

bool HttpCall::answered() const {
    if (!done_ || !headers_done_ || status_ == 0) return false;
    if (result_ == CURLE_OK) return true;
    return result_ == CURLE_WRITE_ERROR && body_truncated_ && !sink_error_;
}

Error HttpCall::transfer_error() const {
    std::string host = url_host_text(request_.url);
    if (sink_error_) return *sink_error_;
    Error e = curl_error(result_, errbuf_);
    if (curl_is_tls_error(result_))
        return make_error(EPROTO,
                          "TLS connection to '%s' failed: %s (add the registry's CA certificate "
                          "under /etc/containers/certs.d/%s/, or use --tls-verify=false for a "
                          "registry you trust)",
                          host.c_str(), e.message.c_str(), host.c_str());
    return e.wrap(strf("request to '%s'", host.c_str()));
}

Result<std::unique_ptr<Transport>> Transport::create(const Endpoint& endpoint, const TlsFiles& tls,
                                                     const FetchPolicy& policy) {
    std::unique_ptr<Transport> t(new Transport());
    t->endpoint_ = endpoint;
    t->tls_ = tls;
    t->policy_ = policy;
    t->user_agent_ = "oci-pod/" PACKAGE_VERSION;

    TRY(t->setup_ca_files(tls.ca_files));

    t->share_ = TRY(curl_share_new());
    for (auto data : {CURL_LOCK_DATA_DNS, CURL_LOCK_DATA_SSL_SESSION, CURL_LOCK_DATA_CONNECT})
        if (libcurl().curl_share_setopt(t->share_.get(), CURLSHOPT_SHARE, data) != CURLSHE_OK)
            return make_error(EINVAL, "curl_share_setopt failed");
    t->multi_ = TRY(curl_multi_new());
    if (libcurl().curl_multi_setopt(t->multi_.get(), CURLMOPT_PIPELINING,
                                    long(CURLPIPE_MULTIPLEX)) != CURLM_OK)
        return make_error(EINVAL, "libcurl().curl_multi_setopt(CURLMOPT_PIPELINING) failed");
    return t;
}

Transport::~Transport() = default;

// Extra CAs are added to the system's, never used instead of them. libcurl's GnuTLS build loads
// both CAINFO (one PEM file) and CAPATH (a directory), but loading Debian's default CAPATH
// (/etc/ssl/certs, every certificate twice: as NAME.pem and as its hash link) costs ~40 ms per
// TLS connection, four times the system bundle file. So: the system bundle (curl's default
// CAINFO, or the distribution's well-known file) as CAINFO and no CAPATH; with extra CA files,
// the bundle and the extras concatenated into a memfd handed over as /proc/self/fd/N. Without a
// bundle file, curl's default CAPATH stays and the extras become CAINFO.
Status Transport::setup_ca_files(const std::vector<std::string>& extra) {
    static const char* const bundles[] = {
        "/etc/ssl/certs/ca-certificates.crt",                 // Debian, Ubuntu, Arch, Gentoo
        "/etc/pki/tls/certs/ca-bundle.crt",                   // Fedora, RHEL
        "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",  // RHEL 7+
        "/etc/ssl/ca-bundle.pem",                             // openSUSE
        "/etc/ssl/cert.pem",                                  // Alpine
    };
    CurlEasy probe = TRY(curl_easy_new());
    char* default_cainfo = nullptr;
    libcurl().curl_easy_getinfo(probe.get(), CURLINFO_CAINFO, &default_cainfo);
    std::string bundle = default_cainfo ? default_cainfo : "";
    for (const char* b : bundles) {
        if (!bundle.empty()) break;
        if (access(b, R_OK) == 0) bundle = b;
    }
    std::vector<std::string> files;
    if (!bundle.empty()) {
        files.push_back(bundle);
        no_capath_ = true;
    }
    files.insert(files.end(), extra.begin(), extra.end());
    if (files.size() == 1) {
        ca_file_ = files[0];
    } else if (files.size() > 1) {
        int fd = memfd_create("oci-pod-ca", MFD_CLOEXEC);
        if (fd < 0) return errno_error("memfd_create");
        ca_memfd_.reset(fd);
        for (const auto& f : files) {
            std::string pem = TRY_WRAP(read_file_capped(AT_FDCWD, f, max_ca_file_bytes),
                                       strf("reading CA file '%s'", f.c_str()));
            TRY(write_all(fd, pem + "\n"));
        }
        ca_file_ = strf("/proc/self/fd/%d", fd);
    }
    return {};
}

Status Transport::configure(HttpCall& call) {
    CURL* h = call.easy_.get();
    const HttpRequest& r = call.request_;
    Origin origin = TRY(url_origin(r.url));
    // The registry's own TLS settings (verification off, client certificate) apply to its host
    // only, not to token realms or storage hosts elsewhere.
    std::string registry_host = endpoint_.host;
    if (auto ro = url_origin(endpoint_.base_url()); ro.ok()) registry_host = ro->host;
    bool registry_host_match = origin.host == registry_host;

    SETOPT(h, CURLOPT_URL, r.url.c_str());
    SETOPT(h, CURLOPT_PRIVATE, static_cast<void*>(&call));
    SETOPT(h, CURLOPT_SHARE, share_.get());
    SETOPT(h, CURLOPT_PROTOCOLS_STR, "http,https");
    SETOPT(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    SETOPT(h, CURLOPT_FOLLOWLOCATION, 0L);
    SETOPT(h, CURLOPT_HTTP_VERSION, long(CURL_HTTP_VERSION_2TLS));
    // Wait for a connection that may turn out to multiplex (HTTP/2 over TLS) rather than open
    // another one. Over plain http there is no HTTP/2 (2TLS): nothing to wait for.
    SETOPT(h, CURLOPT_PIPEWAIT, origin.scheme == "https" ? 1L : 0L);
    SETOPT(h, CURLOPT_USERAGENT, user_agent_.c_str());
    SETOPT(h, CURLOPT_NOSIGNAL, 1L);
    SETOPT(h, CURLOPT_ERRORBUFFER, call.errbuf_);
    SETOPT(h, CURLOPT_HEADERFUNCTION, &HttpCall::header_cb);
    SETOPT(h, CURLOPT_HEADERDATA, static_cast<void*>(&call));
    SETOPT(h, CURLOPT_WRITEFUNCTION, &HttpCall::write_cb);
    SETOPT(h, CURLOPT_WRITEDATA, static_cast<void*>(&call));
    SETOPT(h, CURLOPT_SUPPRESS_CONNECT_HEADERS, 1L);
    SETOPT(h, CURLOPT_BUFFERSIZE, receive_buffer);
    SETOPT(h, CURLOPT_CONNECTTIMEOUT, connect_timeout_seconds);
    SETOPT(h, CURLOPT_TCP_KEEPALIVE, 1L);
    // A stall (headers, then nothing) aborts with CURLE_OPERATION_TIMEDOUT; callers resume.
    SETOPT(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
    SETOPT(h, CURLOPT_LOW_SPEED_TIME, policy_.stall_seconds);

    bool verify = endpoint_.tls_verify || !registry_host_match;
    SETOPT(h, CURLOPT_SSL_VERIFYPEER, verify ? 1L : 0L);
    SETOPT(h, CURLOPT_SSL_VERIFYHOST, verify ? 2L : 0L);
    if (!ca_file_.empty()) SETOPT(h, CURLOPT_CAINFO, ca_file_.c_str());
    if (no_capath_) SETOPT(h, CURLOPT_CAPATH, static_cast<const char*>(nullptr));
    if (registry_host_match && !tls_.client_cert.empty()) {
        SETOPT(h, CURLOPT_SSLCERT, tls_.client_cert.c_str());
        SETOPT(h, CURLOPT_SSLCERTTYPE, "PEM");
        if (!tls_.client_key.empty()) SETOPT(h, CURLOPT_SSLKEY, tls_.client_key.c_str());
    }

    for (const auto& line : r.headers) TRY(curl_slist_push(call.slist_, line.c_str()));
    // No "Expect: 100-continue" round trip for token POSTs.
    if (r.form) TRY(curl_slist_push(call.slist_, "Expect:"));
    SETOPT(h, CURLOPT_HTTPHEADER, call.slist_.get());
    if (r.form) {
        SETOPT(h, CURLOPT_POSTFIELDSIZE, long(r.form->size()));
        SETOPT(h, CURLOPT_COPYPOSTFIELDS, r.form->c_str());
    }
    return {};
}

Status Transport::start(HttpCall& call) {
    if (call.easy_)
        return make_error(EINVAL, "request to '%s' started twice", call.request_.url.c_str());
    call.easy_ = TRY(curl_easy_new());
    TRY(configure(call));
    CURLMcode mc = libcurl().curl_multi_add_handle(multi_.get(), call.easy_.get());
    if (mc != CURLM_OK)
        return make_error(EIO, "curl_multi_add_handle: %s", libcurl().curl_multi_strerror(mc));
    call.owner_ = this;
    requests_++;
    running_++;
    return {};
}

void Transport::cancel(HttpCall& call) {
    if (!call.easy_ || call.done_ || call.owner_ != this) return;
    libcurl().curl_multi_remove_handle(multi_.get(), call.easy_.get());
    call.done_ = true;
    call.result_ = CURLE_ABORTED_BY_CALLBACK;
    running_--;
}

Status Transport::perform() {
    int still = 0;
    CURLMcode mc = libcurl().curl_multi_perform(multi_.get(), &still);
    if (mc != CURLM_OK)
        return make_error(EIO, "curl_multi_perform: %s", libcurl().curl_multi_strerror(mc));
    int left = 0;
    while (CURLMsg* m = libcurl().curl_multi_info_read(multi_.get(), &left)) {
        if (m->msg != CURLMSG_DONE) continue;
        void* priv = nullptr;
        libcurl().curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &priv);
        auto* call = static_cast<HttpCall*>(priv);
        CURLcode rc = m->data.result;
        libcurl().curl_multi_remove_handle(multi_.get(), m->easy_handle);
        if (call && !call->done_) {
            call->done_ = true;
            call->result_ = rc;
            running_--;
        }
    }
    return {};
}

Status Transport::poll(std::chrono::milliseconds timeout) {
    // Wait first: completions found by a perform() before the wait would sit unnoticed through
    // it. Newly added handles make curl's timeout 0, so they start without delay.
    int numfds = 0;
    CURLMcode mc =
        libcurl().curl_multi_poll(multi_.get(), nullptr, 0, int(timeout.count()), &numfds);
    if (mc != CURLM_OK)
        return make_error(EIO, "curl_multi_poll: %s", libcurl().curl_multi_strerror(mc));
    return perform();
}

Status Transport::sleep(std::chrono::milliseconds d) {
    auto deadline = std::chrono::steady_clock::now() + d;
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) return {};
        TRY(poll(left));
    }
}

Status Transport::run(HttpCall& call) {
    TRY(start(call));
    TRY(perform());
    while (!call.done_) TRY(poll(std::chrono::milliseconds(1000)));
    return {};
}

}  // namespace ocipod
