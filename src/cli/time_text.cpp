#include "cli/time_text.hpp"

#include <time.h>

#include "base/strings.hpp"

namespace ocipod {

namespace {

// n decimal digits at s[pos], advancing pos.
std::optional<int> digits(std::string_view s, size_t& pos, size_t n) {
    if (pos + n > s.size()) return std::nullopt;
    int v = 0;
    for (size_t i = 0; i < n; ++i) {
        char c = s[pos + i];
        if (c < '0' || c > '9') return std::nullopt;
        v = v * 10 + (c - '0');
    }
    pos += n;
    return v;
}

bool expect(std::string_view s, size_t& pos, std::string_view any_of) {
    if (pos >= s.size() || any_of.find(s[pos]) == std::string_view::npos) return false;
    ++pos;
    return true;
}

std::string plural(int64_t n, const char* unit) {
    return strf("%lld %s%s ago", static_cast<long long>(n), unit, n == 1 ? "" : "s");
}

}  // namespace

std::optional<int64_t> parse_rfc3339(std::string_view s) {
    size_t pos = 0;
    auto year = digits(s, pos, 4);
    if (!year || !expect(s, pos, "-")) return std::nullopt;
    auto month = digits(s, pos, 2);
    if (!month || !expect(s, pos, "-")) return std::nullopt;
    auto day = digits(s, pos, 2);
    if (!day || !expect(s, pos, "Tt ")) return std::nullopt;
    auto hour = digits(s, pos, 2);
    if (!hour || !expect(s, pos, ":")) return std::nullopt;
    auto minute = digits(s, pos, 2);
    if (!minute || !expect(s, pos, ":")) return std::nullopt;
    auto second = digits(s, pos, 2);
    if (!second) return std::nullopt;
    if (*month < 1 || *month > 12 || *day < 1 || *day > 31 || *hour > 23 || *minute > 59 ||
        *second > 60)
        return std::nullopt;
    if (pos < s.size() && s[pos] == '.') {
        size_t start = ++pos;
        while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') ++pos;
        if (pos == start) return std::nullopt;
    }
    int64_t offset = 0;
    if (expect(s, pos, "Zz")) {
        // UTC
    } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
        int sign = s[pos++] == '-' ? -1 : 1;
        auto oh = digits(s, pos, 2);
        if (!oh || !expect(s, pos, ":")) return std::nullopt;
        auto om = digits(s, pos, 2);
        if (!om || *oh > 23 || *om > 59) return std::nullopt;
        offset = sign * (*oh * 3600 + *om * 60);
    } else {
        return std::nullopt;
    }
    if (pos != s.size()) return std::nullopt;

    struct tm tm {};
    tm.tm_year = *year - 1900;
    tm.tm_mon = *month - 1;
    tm.tm_mday = *day;
    tm.tm_hour = *hour;
    tm.tm_min = *minute;
    tm.tm_sec = *second;
    time_t t = timegm(&tm);
    return int64_t(t) - offset;
}

std::string relative_time(int64_t then, int64_t now) {
    int64_t secs = now - then;
    if (secs < 0) return utc_time_text(then, "%Y-%m-%d %H:%M UTC");
    if (secs < 1) return "Less than a second ago";
    if (secs < 60) return plural(secs, "second");
    int64_t minutes = secs / 60;
    if (minutes == 1) return "About a minute ago";
    if (minutes < 60) return plural(minutes, "minute");
    int64_t hours = (secs + 1800) / 3600;  // rounded, so 1 h 40 min reads "2 hours"
    if (hours == 1) return "About an hour ago";
    if (hours < 48) return plural(hours, "hour");
    if (hours < 24 * 14) return plural(hours / 24, "day");
    if (hours < 24 * 60) return plural(hours / (24 * 7), "week");
    if (hours < 24 * 365 * 2) return plural(hours / (24 * 30), "month");
    return plural(secs / (3600 * 24 * 365), "year");
}

}  // namespace ocipod
