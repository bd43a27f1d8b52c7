#include "fetch/www_authenticate.hpp"

// CppUTest last: its operator-new macros must not meet the STL headers.
#include <CppUTest/TestHarness.h>

using namespace ocipod;

TEST_GROUP(WwwAuthenticate){};

TEST(WwwAuthenticate, DockerHubBearer) {
    auto c = parse_www_authenticate(
        R"(Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull")");
    LONGS_EQUAL(1, c.size());
    STRCMP_EQUAL("bearer", c[0].scheme.c_str());
    STRCMP_EQUAL("https://auth.docker.io/token", c[0].param("realm")->c_str());
    STRCMP_EQUAL("registry.docker.io", c[0].param("service")->c_str());
    STRCMP_EQUAL("repository:library/alpine:pull", c[0].param("scope")->c_str());
}

TEST(WwwAuthenticate, SchemeAndKeysAreCaseInsensitive) {
    auto c = parse_www_authenticate(R"(BEARER Realm="r", SERVICE=svc)");
    LONGS_EQUAL(1, c.size());
    STRCMP_EQUAL("bearer", c[0].scheme.c_str());
    STRCMP_EQUAL("r", c[0].param("realm")->c_str());
    STRCMP_EQUAL("svc", c[0].param("service")->c_str());
}

TEST(WwwAuthenticate, ValuesKeepTheirCase) {
    auto c = parse_www_authenticate(R"(Bearer realm="HTTPS://Auth/Token")");
    STRCMP_EQUAL("HTTPS://Auth/Token", c[0].param("realm")->c_str());
}

TEST(WwwAuthenticate, SeveralChallengesInOneHeader) {
    auto c = parse_www_authenticate(
        R"(Basic realm="Registry Realm", Bearer realm="https://a/token",service="s")");
    LONGS_EQUAL(2, c.size());
    STRCMP_EQUAL("basic", c[0].scheme.c_str());
    STRCMP_EQUAL("Registry Realm", c[0].param("realm")->c_str());
    STRCMP_EQUAL("bearer", c[1].scheme.c_str());
    STRCMP_EQUAL("https://a/token", c[1].param("realm")->c_str());
    STRCMP_EQUAL("s", c[1].param("service")->c_str());
    CHECK(find_challenge(c, "bearer") == &c[1]);
    CHECK(find_challenge(c, "negotiate") == nullptr);
}

TEST(WwwAuthenticate, QuotedCommasAndEscapes) {
    auto c = parse_www_authenticate(
        R"(Bearer realm="https://a/t",scope="repository:a:pull,push repository:b:pull",error="say \"hi\", \\ ok")");
    LONGS_EQUAL(1, c.size());
    STRCMP_EQUAL("repository:a:pull,push repository:b:pull", c[0].param("scope")->c_str());
    STRCMP_EQUAL("say \"hi\", \\ ok", c[0].param("error")->c_str());
}

TEST(WwwAuthenticate, InvalidTokenError) {
    auto c = parse_www_authenticate(
        R"(Bearer realm="http://127.0.0.1:1/token",service="reg",error="invalid_token")");
    STRCMP_EQUAL("invalid_token", c[0].param("error")->c_str());
}

TEST(WwwAuthenticate, SpacesAroundEqualsAndEmptyElements) {
    auto c = parse_www_authenticate(R"(Bearer realm = "r" ,, service= s ,)");
    LONGS_EQUAL(1, c.size());
    STRCMP_EQUAL("r", c[0].param("realm")->c_str());
    STRCMP_EQUAL("s", c[0].param("service")->c_str());
}

TEST(WwwAuthenticate, Token68) {
    auto c = parse_www_authenticate("Negotiate abc+/def==, Basic realm=x");
    LONGS_EQUAL(2, c.size());
    STRCMP_EQUAL("negotiate", c[0].scheme.c_str());
    STRCMP_EQUAL("abc+/def==", c[0].token68.c_str());
    CHECK(c[0].params.empty());
    STRCMP_EQUAL("x", c[1].param("realm")->c_str());
}

TEST(WwwAuthenticate, SchemeWithoutParameters) {
    auto c = parse_www_authenticate("Basic, Bearer realm=\"r\"");
    LONGS_EQUAL(2, c.size());
    STRCMP_EQUAL("basic", c[0].scheme.c_str());
    CHECK(c[0].params.empty());
    STRCMP_EQUAL("bearer", c[1].scheme.c_str());
}

TEST(WwwAuthenticate, UnterminatedQuoteStopsTheParse) {
    auto c = parse_www_authenticate(R"(Basic realm="ok", Bearer realm="never closed)");
    LONGS_EQUAL(2, c.size());
    STRCMP_EQUAL("ok", c[0].param("realm")->c_str());
    // The broken challenge is not given a realm it did not finish sending.
    CHECK(!c[1].param("realm").has_value());
}

TEST(WwwAuthenticate, EmptyAndGarbage) {
    CHECK(parse_www_authenticate("").empty());
    CHECK(parse_www_authenticate("   ,  ").empty());
    CHECK(parse_www_authenticate("\"quoted\"").empty());
}

TEST(WwwAuthenticate, LaterDuplicateKeyWins) {
    // Not meaningful per the RFC, but it must be deterministic.
    auto c = parse_www_authenticate(R"(Bearer realm="a",realm="b")");
    STRCMP_EQUAL("b", c[0].param("realm")->c_str());
}
