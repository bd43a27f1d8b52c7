// libcurl, owned: loaded on first use (c/dynamic_library.hpp), global initialisation done once,
// every handle in a CPtr, CURLcode turned into an Error. Only src/fetch uses this; it is the
// GnuTLS build (configure checks).
#pragma once

// Calls go through libcurl() below; curl.h's type-checking macros would take those calls for
// the functions' own names.
#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>

#include "base/result.hpp"
#include "base/unique_fd.hpp"
#include "c/dynamic_library.hpp"

// Every libcurl function oci-pod calls: libcurl().curl_easy_setopt(...) is curl_easy_setopt.
// clang-format off
#define OCIPOD_CURL_FUNCTIONS(X) \
    X(curl_easy_cleanup)        \
    X(curl_easy_getinfo)        \
    X(curl_easy_init)           \
    X(curl_easy_setopt)         \
    X(curl_easy_strerror)       \
    X(curl_free)                \
    X(curl_getdate)             \
    X(curl_global_init)         \
    X(curl_multi_add_handle)    \
    X(curl_multi_cleanup)       \
    X(curl_multi_info_read)     \
    X(curl_multi_init)          \
    X(curl_multi_perform)       \
    X(curl_multi_poll)          \
    X(curl_multi_remove_handle) \
    X(curl_multi_setopt)        \
    X(curl_multi_strerror)      \
    X(curl_share_cleanup)       \
    X(curl_share_init)          \
    X(curl_share_setopt)        \
    X(curl_slist_append)        \
    X(curl_slist_free_all)      \
    X(curl_url)                 \
    X(curl_url_cleanup)         \
    X(curl_url_get)             \
    X(curl_url_set)             \
    X(curl_url_strerror)
// clang-format on

namespace ocipod {

struct CurlFunctions {
    OCIPOD_CURL_FUNCTIONS(OCIPOD_LIB_MEMBER)
};
const CurlFunctions& libcurl();

inline void free_curl_easy(CURL* p) {
    libcurl().curl_easy_cleanup(p);
}
inline void free_curl_multi(CURLM* p) {
    libcurl().curl_multi_cleanup(p);
}
inline void free_curl_share(CURLSH* p) {
    libcurl().curl_share_cleanup(p);
}
inline void free_curl_slist(curl_slist* p) {
    libcurl().curl_slist_free_all(p);
}
inline void free_curl_url(CURLU* p) {
    libcurl().curl_url_cleanup(p);
}

using CurlEasy = CPtr<CURL, free_curl_easy>;
using CurlMulti = CPtr<CURLM, free_curl_multi>;
using CurlShare = CPtr<CURLSH, free_curl_share>;
using CurlSlist = CPtr<curl_slist, free_curl_slist>;
using CurlUrl = CPtr<CURLU, free_curl_url>;

// curl_global_init(CURL_GLOBAL_DEFAULT) exactly once per process (thread-safe; never cleaned up,
// as libcurl allows). Every constructor below calls it.
void curl_global_once();

Result<CurlEasy> curl_easy_new();
Result<CurlMulti> curl_multi_new();
Result<CurlShare> curl_share_new();
Result<CurlUrl> curl_url_new();

// Append one "Name: value" line; ENOMEM on failure.
Status curl_slist_push(CurlSlist& list, const char* line);

// An Error for a failed transfer: curl's detail buffer when it has one, its generic text otherwise.
// CURLE_OPERATION_TIMEDOUT maps to ETIMEDOUT, connection failures to ECONNREFUSED/ECONNRESET,
// TLS failures to EPROTO, everything else to EIO.
Error curl_error(CURLcode rc, const char* detail);
int curl_error_code(CURLcode rc);
// True for the TLS failures that a user may want to bypass with --tls-verify=false.
bool curl_is_tls_error(CURLcode rc);

}  // namespace ocipod
