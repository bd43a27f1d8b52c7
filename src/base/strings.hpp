// Small string helpers the STL lacks in C++20 (no std::format in g++ 12).
#pragma once

#include <cstdarg>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ocipod {

[[nodiscard]] std::string strf(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
[[nodiscard]] std::string vstrf(const char* fmt, va_list ap);

[[nodiscard]] std::vector<std::string> split(std::string_view s, char sep);
[[nodiscard]] std::string_view trim(std::string_view s);
[[nodiscard]] std::string to_lower(std::string_view s);
[[nodiscard]] bool starts_with(std::string_view s, std::string_view prefix);
[[nodiscard]] bool ends_with(std::string_view s, std::string_view suffix);

// Strict decimal parse of the whole string (no sign, no spaces, no overflow).
[[nodiscard]] std::optional<uint64_t> parse_u64(std::string_view s);

// "12.3 MB" style, decimal units as podman/skopeo print them.
[[nodiscard]] std::string human_size(uint64_t bytes);

// Make untrusted text (server error bodies, names) safe for one log line: control characters
// become '?', and the result is cut to max bytes with "..." appended.
[[nodiscard]] std::string printable(std::string_view s, size_t max = 200);

// t (seconds since the epoch) in UTC through strftime(3)'s fmt (at most 63 characters out).
std::string utc_time_text(int64_t t, const char* fmt);
// t as an RFC 3339 UTC date-time, "2026-11-27T16:50:00Z"; now_rfc3339() for the current time.
std::string rfc3339_utc(int64_t t);
std::string now_rfc3339();

}  // namespace ocipod
