#include "c/curl.hpp"

#include <mutex>

namespace ocipod {

const CurlFunctions& libcurl() {
    OCIPOD_LIB_LOAD(CurlFunctions, OCIPOD_CURL_FUNCTIONS, CURL_SONAME, "fetching from registries");
}

void curl_global_once() {
    static std::once_flag once;
    std::call_once(once, [] { libcurl().curl_global_init(CURL_GLOBAL_DEFAULT); });
}

Result<CurlEasy> curl_easy_new() {
    curl_global_once();
    CurlEasy e(libcurl().curl_easy_init());
    if (!e) return make_error(ENOMEM, "curl_easy_init failed");
    return e;
}

Result<CurlMulti> curl_multi_new() {
    curl_global_once();
    CurlMulti m(libcurl().curl_multi_init());
    if (!m) return make_error(ENOMEM, "curl_multi_init failed");
    return m;
}

Result<CurlShare> curl_share_new() {
    curl_global_once();
    CurlShare s(libcurl().curl_share_init());
    if (!s) return make_error(ENOMEM, "curl_share_init failed");
    return s;
}

Result<CurlUrl> curl_url_new() {
    curl_global_once();
    CurlUrl u(libcurl().curl_url());
    if (!u) return make_error(ENOMEM, "curl_url failed");
    return u;
}

Status curl_slist_push(CurlSlist& list, const char* line) {
    curl_slist* n = libcurl().curl_slist_append(list.get(), line);
    if (!n) return make_error(ENOMEM, "curl_slist_append failed");
    (void)list.release();
    list.reset(n);
    return {};
}

bool curl_is_tls_error(CURLcode rc) {
    switch (rc) {
        case CURLE_SSL_CONNECT_ERROR:
        case CURLE_PEER_FAILED_VERIFICATION:
        case CURLE_SSL_CERTPROBLEM:
        case CURLE_SSL_CIPHER:
        case CURLE_SSL_CACERT_BADFILE:
        case CURLE_SSL_ISSUER_ERROR:
        case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
        case CURLE_SSL_INVALIDCERTSTATUS:
        case CURLE_SSL_CRL_BADFILE:
        case CURLE_SSL_ENGINE_INITFAILED:
        case CURLE_SSL_ENGINE_NOTFOUND:
        case CURLE_SSL_ENGINE_SETFAILED:
        case CURLE_SSL_SHUTDOWN_FAILED:
        case CURLE_USE_SSL_FAILED:
            return true;
        default:
            return false;
    }
}

int curl_error_code(CURLcode rc) {
    switch (rc) {
        case CURLE_OPERATION_TIMEDOUT:
            return ETIMEDOUT;
        case CURLE_COULDNT_CONNECT:
            return ECONNREFUSED;
        case CURLE_COULDNT_RESOLVE_HOST:
        case CURLE_COULDNT_RESOLVE_PROXY:
            return EHOSTUNREACH;
        case CURLE_RECV_ERROR:
        case CURLE_SEND_ERROR:
        case CURLE_GOT_NOTHING:
        case CURLE_PARTIAL_FILE:
        case CURLE_HTTP2:
        case CURLE_HTTP2_STREAM:
            return ECONNRESET;
        case CURLE_OUT_OF_MEMORY:
            return ENOMEM;
        case CURLE_UNSUPPORTED_PROTOCOL:
            return EPROTONOSUPPORT;
        default:
            return curl_is_tls_error(rc) ? EPROTO : EIO;
    }
}

Error curl_error(CURLcode rc, const char* detail) {
    const char* text = (detail && *detail) ? detail : libcurl().curl_easy_strerror(rc);
    return make_error(curl_error_code(rc), "%s", printable(text).c_str());
}

}  // namespace ocipod
