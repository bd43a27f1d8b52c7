// libcurl, owned: global initialisation done once, every handle in a CPtr, CURLcode turned into
// an Error. Only src/fetch uses this; it is the GnuTLS build (configure checks).
#pragma once

#include <curl/curl.h>

#include "base/result.hpp"
#include "base/unique_fd.hpp"

namespace ocipod {

using CurlEasy = CPtr<CURL, curl_easy_cleanup>;
using CurlMulti = CPtr<CURLM, curl_multi_cleanup>;
using CurlShare = CPtr<CURLSH, curl_share_cleanup>;
using CurlSlist = CPtr<curl_slist, curl_slist_free_all>;
using CurlUrl = CPtr<CURLU, curl_url_cleanup>;

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
