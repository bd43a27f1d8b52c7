// Times as listings show them: image-spec config.md "created" is an RFC 3339 date-time
// (2024-05-01T12:00:00.123456789Z or with a numeric offset); `oci-pod images` prints the age
// in words, as podman does ("3 days ago").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ocipod {

// Seconds since the epoch, or nullopt when s is not an RFC 3339 date-time.
std::optional<int64_t> parse_rfc3339(std::string_view s);

// "Less than a second ago", "About a minute ago", "5 hours ago", "3 days ago", "2 weeks ago",
// "4 months ago", "2 years ago". A time in the future (clock skew) prints as its UTC date.
std::string relative_time(int64_t then, int64_t now);

}  // namespace ocipod
