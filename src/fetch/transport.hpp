// HTTP requests over one libcurl multi handle, driven with curl_multi_poll in the calling thread.
//
// One Transport per RegistryClient: a CURLM for concurrency and HTTP/2 multiplexing
// (CURLPIPE_MULTIPLEX, CURLOPT_PIPEWAIT) and a CURLSH sharing DNS answers, connections and TLS
// sessions between the registry, token and storage requests. Every request is an HttpCall: it
// carries one request and collects one answer — no redirects are followed here (see
// redirect_policy.hpp), no content decoding is asked for (blob bytes are the stored bytes).
//
// TLS: the system CAs plus TlsFiles.ca_files (see setup_ca_files), the client certificate for
// the registry host, and Endpoint.tls_verify=false disabling verification for the registry host
// only (token realms and storage hosts elsewhere are always verified).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "base/unique_fd.hpp"
#include "c/curl.hpp"
#include "fetch/certs.hpp"
#include "fetch/endpoint.hpp"
#include "fetch/http_headers.hpp"
#include "fetch/registry.hpp"

namespace ocipod {

struct HttpRequest {
    std::string url;
    std::vector<std::string> headers;  // "Name: value"
    std::optional<std::string> form;   // POST body (application/x-www-form-urlencoded)
};

// Receives the body of a 2xx answer. Errors abort the transfer (and are kept in the call).
class BodySink {
public:
    virtual ~BodySink() = default;
    virtual Status on_headers(long status, const HttpHeaders& headers) = 0;
    virtual Status on_data(const char* data, size_t len) = 0;
};

class Transport;

class HttpCall {
public:
    // sink may be null: then 2xx bodies are collected like error bodies, up to body_cap.
    HttpCall(HttpRequest request, BodySink* sink, size_t body_cap);
    ~HttpCall();
    HttpCall(const HttpCall&) = delete;
    HttpCall& operator=(const HttpCall&) = delete;

    const HttpRequest& request() const { return request_; }
    bool done() const { return done_; }
    bool active() const { return easy_ != nullptr && !done_; }

    // After done(): the transfer result, the last answer's status (0 if none) and headers, the
    // body when there was no sink (at most body_cap bytes; body_truncated when there was more).
    CURLcode result() const { return result_; }
    long status() const { return status_; }
    const HttpHeaders& headers() const { return headers_; }
    const std::string& body() const { return body_; }
    bool body_truncated() const { return body_truncated_; }
    // Bytes given to the sink.
    int64_t sink_bytes() const { return sink_bytes_; }
    // The sink's error when it aborted the transfer.
    const std::optional<Error>& sink_error() const { return sink_error_; }
    // True when the answer is complete as far as we care: status and headers arrived, and the
    // body is either whole or deliberately cut at body_cap.
    bool answered() const;
    // The transfer error as an Error naming the URL's host; TLS failures say so and hint at
    // certs.d and --tls-verify=false.
    Error transfer_error() const;

private:
    friend class Transport;
    static size_t header_cb(char* p, size_t size, size_t n, void* self);
    static size_t write_cb(char* p, size_t size, size_t n, void* self);

    HttpRequest request_;
    BodySink* sink_;
    Transport* owner_ = nullptr;
    size_t body_cap_;
    CurlEasy easy_;
    CurlSlist slist_;
    char errbuf_[CURL_ERROR_SIZE] = {};
    bool done_ = false;
    bool headers_done_ = false;
    CURLcode result_ = CURLE_OK;
    long status_ = 0;
    HttpHeaders headers_;
    std::string body_;
    bool body_truncated_ = false;
    int64_t sink_bytes_ = 0;
    std::optional<Error> sink_error_;
};

class Transport {
public:
    static Result<std::unique_ptr<Transport>> create(const Endpoint& endpoint, const TlsFiles& tls,
                                                     const FetchPolicy& policy);
    ~Transport();

    // Configure the call's easy handle and add it to the multi handle.
    Status start(HttpCall& call);
    // Stop a running call (it becomes done with CURLE_ABORTED_BY_CALLBACK).
    void cancel(HttpCall& call);
    // Wait up to timeout for network activity, run transfers, mark finished calls done.
    Status poll(std::chrono::milliseconds timeout);
    // Let time pass (a backoff) while running transfers keep progressing.
    Status sleep(std::chrono::milliseconds d);
    // start() and poll until the call is done. Other running calls progress meanwhile.
    Status run(HttpCall& call);

    unsigned long request_count() const { return requests_; }
    int running() const { return running_; }

private:
    Transport() = default;
    Status setup_ca_files(const std::vector<std::string>& extra);
    Status configure(HttpCall& call);
    Status perform();

    Endpoint endpoint_;
    TlsFiles tls_;
    FetchPolicy policy_;
    std::string user_agent_;
    std::string ca_file_;  // "" or the extra CAs (a path or /proc/self/fd/N of a memfd)
    UniqueFd ca_memfd_;
    bool no_capath_ = false;
    CurlShare share_;
    CurlMulti multi_;
    unsigned long requests_ = 0;
    int running_ = 0;
};

}  // namespace ocipod
