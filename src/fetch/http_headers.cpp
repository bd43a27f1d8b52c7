#include "fetch/http_headers.hpp"

#include <limits>

#include "base/strings.hpp"
#include "c/curl.hpp"

namespace ocipod {

namespace {

bool ieq(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); i++) {
        unsigned char x = a[i], y = b[i];
        if (x >= 'A' && x <= 'Z') x += 'a' - 'A';
        if (y >= 'A' && y <= 'Z') y += 'a' - 'A';
        if (x != y) return false;
    }
    return true;
}

// A strict non-negative decimal that fits int64_t.
std::optional<int64_t> parse_i64(std::string_view s) {
    auto v = parse_u64(s);
    if (!v || *v > uint64_t(std::numeric_limits<int64_t>::max())) return std::nullopt;
    return int64_t(*v);
}

}  // namespace

void HttpHeaders::add_line(std::string_view line) {
    size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) return;
    // A name with spaces is a status line or garbage, not a field.
    std::string_view name = line.substr(0, colon);
    if (name.find_first_of(" \t") != std::string_view::npos) return;
    add(name, line.substr(colon + 1));
}

void HttpHeaders::add(std::string_view name, std::string_view value) {
    fields_.emplace_back(to_lower(name), std::string(trim(value)));
}

std::optional<std::string_view> HttpHeaders::get(std::string_view name) const {
    for (const auto& [n, v] : fields_)
        if (ieq(n, name)) return std::string_view(v);
    return std::nullopt;
}

std::vector<std::string_view> HttpHeaders::get_all(std::string_view name) const {
    std::vector<std::string_view> out;
    for (const auto& [n, v] : fields_)
        if (ieq(n, name)) out.emplace_back(v);
    return out;
}

Result<ContentRange> parse_content_range(std::string_view value) {
    auto bad = [&] {
        return make_error(EPROTO, "malformed Content-Range '%s'", printable(value, 80).c_str());
    };
    constexpr std::string_view unit = "bytes ";
    if (value.substr(0, unit.size()) != unit) return bad();
    std::string_view rest = value.substr(unit.size());
    size_t slash = rest.find('/');
    if (slash == std::string_view::npos) return bad();
    std::string_view range = rest.substr(0, slash), total = rest.substr(slash + 1);

    ContentRange cr;
    if (total != "*") {
        auto t = parse_i64(total);
        if (!t) return bad();
        cr.total = *t;
    }
    if (range == "*") {
        if (cr.total < 0) return bad();  // "bytes */*" says nothing
        return cr;
    }
    size_t dash = range.find('-');
    if (dash == std::string_view::npos) return bad();
    auto first = parse_i64(range.substr(0, dash));
    auto last = parse_i64(range.substr(dash + 1));
    if (!first || !last || *first > *last) return bad();
    if (cr.total >= 0 && *last >= cr.total) return bad();
    cr.first = *first;
    cr.last = *last;
    return cr;
}

Status check_partial_content(const HttpHeaders& headers, int64_t offset, int64_t size) {
    auto values = headers.get_all("content-range");
    if (values.size() != 1)
        return make_error(EPROTO, "206 response with %zu Content-Range headers", values.size());
    ContentRange cr = TRY(parse_content_range(values[0]));
    if (cr.first < 0) return make_error(EPROTO, "206 response without a byte range");
    if (cr.first != offset || cr.last != size - 1 || (cr.total >= 0 && cr.total != size))
        return make_error(EPROTO,
                          "Content-Range '%s' does not match the requested range %lld-%lld/%lld",
                          printable(values[0], 80).c_str(), (long long)offset,
                          (long long)(size - 1), (long long)size);
    return {};
}

std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value, time_t now) {
    value = trim(value);
    if (value.empty()) return std::nullopt;
    if (auto secs = parse_u64(value)) {
        // Saturate absurd values; the caller caps at its own maximum anyway.
        constexpr uint64_t max_secs = uint64_t(1) << 31;
        return std::chrono::seconds(std::min(*secs, max_secs));
    }
    // RFC 9110 dates have letters, digits, spaces, commas, colons and dashes only.
    for (char c : value)
        if (!(isalnum(static_cast<unsigned char>(c)) || c == ' ' || c == ',' || c == ':' ||
              c == '-'))
            return std::nullopt;
    std::string s(value);
    time_t when = libcurl().curl_getdate(s.c_str(), nullptr);
    if (when == -1 || when <= now) return std::nullopt;
    return std::chrono::seconds(when - now);
}

}  // namespace ocipod
