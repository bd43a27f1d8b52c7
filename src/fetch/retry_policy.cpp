#include "fetch/retry_policy.hpp"

#include <algorithm>

namespace ocipod {

bool is_retryable_status(long status) {
    switch (status) {
        case 408:
        case 429:
        case 500:
        case 502:
        case 503:
        case 504:
            return true;
        default:
            return false;
    }
}

std::chrono::milliseconds backoff_delay(const FetchPolicy& policy, int retry) {
    auto d = policy.initial_backoff;
    for (int i = 1; i < retry && d < policy.max_backoff; i++) d *= 2;
    return std::min(d, policy.max_backoff);
}

std::chrono::milliseconds retry_delay(const FetchPolicy& policy, int retry,
                                      const HttpHeaders& headers, time_t now) {
    if (auto v = headers.get("retry-after")) {
        if (auto d = parse_retry_after(*v, now)) return std::min(*d, policy.max_retry_after);
    }
    return backoff_delay(policy, retry);
}

}  // namespace ocipod
