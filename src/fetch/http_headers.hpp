// Response headers of one HTTP exchange, and strict parsers for the ones the registry client acts
// on: Content-Range (RFC 9110 §14.4), Retry-After (RFC 9110 §10.2.3).
// (Content-Type parameters are stripped by oci/manifest.hpp media_type_essence.)
// Header values come from the network: parsers accept exactly the grammar and nothing around it.
#pragma once

#include <chrono>
#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.hpp"

namespace ocipod {

class HttpHeaders {
public:
    void clear() { fields_.clear(); }
    // One raw header line as libcurl delivers it ("Name: value\r\n"). Lines without a colon
    // (status lines, the blank end line) are ignored; names are stored lowercase, values trimmed.
    void add_line(std::string_view line);
    void add(std::string_view name, std::string_view value);

    // The first value of name (case-insensitive), or nullopt.
    std::optional<std::string_view> get(std::string_view name) const;
    // Every value of name, in order (a header may be repeated).
    std::vector<std::string_view> get_all(std::string_view name) const;

private:
    std::vector<std::pair<std::string, std::string>> fields_;
};

// "bytes FIRST-LAST/TOTAL", "bytes FIRST-LAST/*" or "bytes */TOTAL" (the 416 form, with
// first = last = -1). total is -1 for "*". first <= last < total is enforced.
struct ContentRange {
    int64_t first = -1;
    int64_t last = -1;
    int64_t total = -1;
};
Result<ContentRange> parse_content_range(std::string_view value);

// The check a 206 answer to "Range: bytes=OFFSET-" must pass before any byte is spliced onto the
// partial data: exactly one Content-Range, starting at offset, ending at size-1, total size or *.
Status check_partial_content(const HttpHeaders& headers, int64_t offset, int64_t size);

// Retry-After as delay-seconds or an HTTP-date, relative to now. nullopt for a date in the past,
// garbage or an absent value: the caller falls back to its own backoff.
std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value, time_t now);

}  // namespace ocipod
