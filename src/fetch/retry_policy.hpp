// When a registry request is tried again and how long we wait first. Retried: 408, 429, 500, 502,
// 503, 504 (502 too: proxies in front of registries answer it for transient backend failures) and
// transport failures (reset, timeout, truncated body). A Retry-After (seconds or HTTP-date) is
// honoured up to FetchPolicy::max_retry_after; otherwise capped exponential backoff from
// initial_backoff. Everything else (404, 401/403 after auth handling, 400, ...) is final.
#pragma once

#include <chrono>
#include <ctime>

#include "fetch/http_headers.hpp"
#include "fetch/registry.hpp"

namespace ocipod {

bool is_retryable_status(long status);

// Backoff before retry number `retry` (1 for the first retry): initial * 2^(retry-1), capped.
std::chrono::milliseconds backoff_delay(const FetchPolicy& policy, int retry);

// The wait before retrying an answer with these headers: Retry-After when it is usable (capped),
// the backoff otherwise.
std::chrono::milliseconds retry_delay(const FetchPolicy& policy, int retry,
                                      const HttpHeaders& headers, time_t now);

}  // namespace ocipod
