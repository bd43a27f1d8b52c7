// Where a request may go next, and what it may carry there (DESIGN.md §5 rule 6, distribution-spec
// "MUST NOT forward Authorization headers across host boundaries"). We follow redirects ourselves
// (never CURLOPT_FOLLOWLOCATION) so that every hop passes these checks:
//   - Location is resolved against the current URL with libcurl's URL API (relative paths,
//     absolute URLs, query strings kept as sent);
//   - only http and https; an https -> http hop is refused;
//   - credentials go only to the exact origin (scheme, host, port) they were issued for.
#pragma once

#include <string>
#include <string_view>

#include "base/result.hpp"

namespace ocipod {

inline constexpr int max_redirects = 10;

// RFC 6454 origin of an absolute http(s) URL, normalised: lowercase scheme and host, explicit port.
struct Origin {
    std::string scheme;
    std::string host;
    long port = 0;

    bool operator==(const Origin& o) const = default;
    std::string str() const;  // "https://host:443"
};

// EINVAL for anything that is not an absolute http or https URL.
Result<Origin> url_origin(std::string_view url);

// Resolve a Location header value against the URL that answered with it.
Result<std::string> resolve_location(std::string_view base_url, std::string_view location);

// May a redirect from `from` to `to` be followed at all? Refuses https -> http and non-http(s).
Status check_redirect(std::string_view from, std::string_view to);

// May credentials issued for credentials_url's origin be sent to target_url?
bool may_send_credentials(std::string_view credentials_url, std::string_view target_url);

// "host" or "host:port" (when not the scheme's default) of an http(s) URL, for messages: the
// way certs.d directories and registries.conf entries name a registry. The URL itself when it
// does not parse.
std::string url_host_text(std::string_view url);

// True for URLs we fetch at all from descriptor `urls` (http and https only).
bool is_http_url(std::string_view url);

}  // namespace ocipod
