#include "fetch/auth.hpp"
#include "fetch/registry_errors.hpp"
#include "fetch/retry_policy.hpp"

// CppUTest last: its operator-new macros must not meet the STL headers.
#include <CppUTest/TestHarness.h>

using namespace ocipod;

TEST_GROUP(TokenResponse){};

TEST(TokenResponse, BothForms) {
    auto a = parse_token_response(R"({"token":"abc","expires_in":300})");
    CHECK(a.ok());
    STRCMP_EQUAL("abc", a->token.c_str());
    LONGS_EQUAL(300, a->expires_in.count());
    auto b = parse_token_response(R"({"access_token":"xyz","expires_in":120})");
    CHECK(b.ok());
    STRCMP_EQUAL("xyz", b->token.c_str());
    auto c = parse_token_response(R"({"token":"","access_token":"xyz"})");
    CHECK(c.ok());
    STRCMP_EQUAL("xyz", c->token.c_str());
}

TEST(TokenResponse, ExpiresInEdgeCases) {
    LONGS_EQUAL(60, parse_token_response(R"({"token":"t"})")->expires_in.count());
    LONGS_EQUAL(60, parse_token_response(R"({"token":"t","expires_in":1})")->expires_in.count());
    LONGS_EQUAL(60, parse_token_response(R"({"token":"t","expires_in":0})")->expires_in.count());
    LONGS_EQUAL(60, parse_token_response(R"({"token":"t","expires_in":-5})")->expires_in.count());
    LONGS_EQUAL(60,
                parse_token_response(R"({"token":"t","expires_in":"900"})")->expires_in.count());
    LONGS_EQUAL(61, parse_token_response(R"({"token":"t","expires_in":61})")->expires_in.count());
    LONGS_EQUAL(24 * 3600,
                parse_token_response(R"({"token":"t","expires_in":1e300})")->expires_in.count());
}

TEST(TokenResponse, RefusesWhatIsNotAToken) {
    const char* bad[] = {"not json",
                         "",
                         "[]",
                         R"("token")",
                         R"({"token":5})",
                         R"({})",
                         R"({"token":"a\r\nX-Evil: 1"})",
                         R"({"token":"with space"})",
                         R"({"token":"a"} trailing)"};
    for (const char* s : bad) {
        auto r = parse_token_response(s);
        CHECK_TEXT(!r.ok(), s);
        LONGS_EQUAL(EPROTO, r.error().code);
    }
}

TEST(TokenResponse, RefusesOversizeBodies) {
    std::string big = R"({"token":")" + std::string(max_token_response_bytes, 'a') + R"("})";
    auto r = parse_token_response(big);
    CHECK(!r.ok());
    LONGS_EQUAL(EFBIG, r.error().code);
}

TEST_GROUP(Base64){};

TEST(Base64, Rfc4648Vectors) {
    STRCMP_EQUAL("", base64_encode("").c_str());
    STRCMP_EQUAL("Zg==", base64_encode("f").c_str());
    STRCMP_EQUAL("Zm8=", base64_encode("fo").c_str());
    STRCMP_EQUAL("Zm9v", base64_encode("foo").c_str());
    STRCMP_EQUAL("Zm9vYmFy", base64_encode("foobar").c_str());
    STRCMP_EQUAL("dXNlcjpwYTpzcw==", base64_encode("user:pa:ss").c_str());
}

TEST_GROUP(RegistryErrors){};

TEST(RegistryErrors, ShowsTheSpecErrorBody) {
    Error e = registry_error(
        404,
        R"({"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":{}}]})");
    LONGS_EQUAL(ENOENT, e.code);
    STRCMP_EQUAL("HTTP 404 (MANIFEST_UNKNOWN: manifest unknown)", e.message.c_str());
    Error f = registry_error(500, "<html>\x1b[31mboom</html>");
    LONGS_EQUAL(EIO, f.code);
    STRCMP_EQUAL("HTTP 500", f.message.c_str());
    Error g = registry_error(401, R"({"errors":[{"code":"UNAUTHORIZED","message":"a\nb"}]})");
    LONGS_EQUAL(EACCES, g.code);
    STRCMP_EQUAL("HTTP 401 (UNAUTHORIZED: a?b)", g.message.c_str());
}

TEST_GROUP(RetryPolicy){};

TEST(RetryPolicy, BackoffDoublesUpToTheCap) {
    FetchPolicy p;
    p.initial_backoff = std::chrono::milliseconds(250);
    p.max_backoff = std::chrono::milliseconds(1000);
    LONGS_EQUAL(250, backoff_delay(p, 1).count());
    LONGS_EQUAL(500, backoff_delay(p, 2).count());
    LONGS_EQUAL(1000, backoff_delay(p, 3).count());
    LONGS_EQUAL(1000, backoff_delay(p, 30).count());
}

TEST(RetryPolicy, RetryAfterIsCappedAndFallsBack) {
    FetchPolicy p;
    p.initial_backoff = std::chrono::milliseconds(100);
    p.max_retry_after = std::chrono::milliseconds(5000);
    HttpHeaders h;
    h.add("Retry-After", "2");
    LONGS_EQUAL(2000, retry_delay(p, 1, h, 1000).count());
    HttpHeaders big;
    big.add("Retry-After", "3600");
    LONGS_EQUAL(5000, retry_delay(p, 1, big, 1000).count());
    HttpHeaders junk;
    junk.add("Retry-After", "later");
    LONGS_EQUAL(200, retry_delay(p, 2, junk, 1000).count());
    LONGS_EQUAL(100, retry_delay(p, 1, HttpHeaders(), 1000).count());
    CHECK(is_retryable_status(429));
    CHECK(is_retryable_status(503));
    CHECK(!is_retryable_status(404));
    CHECK(!is_retryable_status(401));
}
