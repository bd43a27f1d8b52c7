#include "fetch/http_headers.hpp"

// CppUTest last: its operator-new macros must not meet the STL headers.
#include <CppUTest/TestHarness.h>

using namespace ocipod;

TEST_GROUP(HttpHeaders){};

TEST(HttpHeaders, CollectsLinesCaseInsensitively) {
    HttpHeaders h;
    h.add_line("HTTP/1.1 200 OK\r\n");
    h.add_line("Content-Type:  application/json \r\n");
    h.add_line("WWW-Authenticate: Basic realm=a\r\n");
    h.add_line("www-authenticate: Bearer realm=b\r\n");
    h.add_line("\r\n");
    STRCMP_EQUAL("application/json", std::string(*h.get("content-type")).c_str());
    LONGS_EQUAL(2, h.get_all("WWW-Authenticate").size());
    CHECK(!h.get("location").has_value());
}

TEST_GROUP(ContentRange){};

TEST(ContentRange, ParsesTheThreeForms) {
    auto a = parse_content_range("bytes 10-101/102");
    CHECK(a.ok());
    LONGS_EQUAL(10, a->first);
    LONGS_EQUAL(101, a->last);
    LONGS_EQUAL(102, a->total);
    auto b = parse_content_range("bytes 0-9/*");
    CHECK(b.ok());
    LONGS_EQUAL(-1, b->total);
    auto c = parse_content_range("bytes */102");
    CHECK(c.ok());
    LONGS_EQUAL(-1, c->first);
    LONGS_EQUAL(102, c->total);
}

TEST(ContentRange, RefusesMalformedValues) {
    const char* bad[] = {"bytes 5-4/10",
                         "bytes 5-/10",
                         "bytes -4/10",
                         "bytes 5-10/10",
                         "bytes 5-9",
                         "5-9/10",
                         "bytes  5-9/10",
                         "bytes 5-9/10 ",
                         "Bytes 5-9/10",
                         "bytes +5-9/10",
                         "bytes 5-9/x",
                         "bytes */*",
                         "bytes 0x5-9/10",
                         "bytes 5 -9/10",
                         "",
                         "bytes 99999999999999999999-1/2"};
    for (const char* s : bad) {
        auto r = parse_content_range(s);
        CHECK_TEXT(!r.ok(), s);
        LONGS_EQUAL(EPROTO, r.error().code);
    }
}

static HttpHeaders with_ranges(std::initializer_list<const char*> values) {
    HttpHeaders h;
    for (const char* v : values) h.add("Content-Range", v);
    return h;
}

TEST(ContentRange, PartialContentMustMatchTheRequest) {
    CHECK(check_partial_content(with_ranges({"bytes 60-99/100"}), 60, 100).ok());
    CHECK(check_partial_content(with_ranges({"bytes 60-99/*"}), 60, 100).ok());
    // wrong start, wrong end, wrong total
    CHECK(!check_partial_content(with_ranges({"bytes 0-99/100"}), 60, 100).ok());
    CHECK(!check_partial_content(with_ranges({"bytes 61-99/100"}), 60, 100).ok());
    CHECK(!check_partial_content(with_ranges({"bytes 60-98/100"}), 60, 100).ok());
    CHECK(!check_partial_content(with_ranges({"bytes 60-99/101"}), 60, 100).ok());
    // missing, several, or the unsatisfied form
    CHECK(!check_partial_content(with_ranges({}), 60, 100).ok());
    CHECK(
        !check_partial_content(with_ranges({"bytes 60-99/100", "bytes 60-99/100"}), 60, 100).ok());
    CHECK(!check_partial_content(with_ranges({"bytes */100"}), 60, 100).ok());
}

TEST_GROUP(RetryAfter){};

TEST(RetryAfter, Seconds) {
    auto d = parse_retry_after("2", 1000);
    CHECK(d.has_value());
    LONGS_EQUAL(2000, d->count());
    LONGS_EQUAL(0, parse_retry_after("0", 1000)->count());
}

TEST(RetryAfter, HttpDateInTheFuture) {
    // Sun, 06 Nov 1994 08:49:37 GMT = 784111777
    auto d = parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", 784111777 - 3);
    CHECK(d.has_value());
    LONGS_EQUAL(3000, d->count());
}

TEST(RetryAfter, PastDateAndGarbageFallBack) {
    CHECK(!parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", 784111777).has_value());
    CHECK(!parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", 784111777 + 60).has_value());
    CHECK(!parse_retry_after("soon", 1000).has_value());
    CHECK(!parse_retry_after("-5", 1000).has_value());
    CHECK(!parse_retry_after("1.5", 1000).has_value());
    CHECK(!parse_retry_after("", 1000).has_value());
    CHECK(!parse_retry_after("2; drop table", 1000).has_value());
}

TEST(RetryAfter, HugeValuesSaturate) {
    auto d = parse_retry_after("999999999999999999999", 1000);
    // Not a valid u64: refused, the caller backs off instead.
    CHECK(!d.has_value());
    auto e = parse_retry_after("99999999999", 1000);
    CHECK(e.has_value());
    CHECK(e->count() > 0);
}
