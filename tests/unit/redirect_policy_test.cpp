#include "fetch/redirect_policy.hpp"

// CppUTest last: its operator-new macros must not meet the STL headers.
#include <CppUTest/TestHarness.h>

using namespace ocipod;

TEST_GROUP(RedirectPolicy){};

TEST(RedirectPolicy, OriginNormalisesSchemeHostAndPort) {
    auto o = url_origin("HTTPS://Registry.Example.COM/v2/");
    CHECK(o.ok());
    STRCMP_EQUAL("https", o->scheme.c_str());
    STRCMP_EQUAL("registry.example.com", o->host.c_str());
    LONGS_EQUAL(443, o->port);
    LONGS_EQUAL(80, url_origin("http://h/x")->port);
    LONGS_EQUAL(5000, url_origin("http://127.0.0.1:5000/v2/")->port);
    CHECK(!url_origin("ftp://h/x").ok());
    CHECK(!url_origin("/relative").ok());
    CHECK(!url_origin("file:///etc/passwd").ok());
}

TEST(RedirectPolicy, CredentialsOnlyToTheSameOrigin) {
    const char* reg = "https://reg.example:5000";
    CHECK(may_send_credentials(reg, "https://reg.example:5000/v2/x/blobs/sha256:aa"));
    CHECK(may_send_credentials(reg, "https://REG.example:5000/other?q=1"));
    CHECK(!may_send_credentials(reg, "https://reg.example:5001/v2/"));      // other port
    CHECK(!may_send_credentials(reg, "https://reg.example/v2/"));           // default port
    CHECK(!may_send_credentials(reg, "http://reg.example:5000/v2/"));       // other scheme
    CHECK(!may_send_credentials(reg, "https://storage.example:5000/v2/"));  // other host
    CHECK(!may_send_credentials(reg, "https://reg.example.evil:5000/v2/"));
    CHECK(!may_send_credentials(reg, "https://reg.example:5000@evil/v2/"));
    CHECK(may_send_credentials("https://h", "https://h:443/x"));  // explicit default port
}

TEST(RedirectPolicy, ResolvesRelativeAndAbsoluteLocations) {
    const char* base = "https://reg:5000/v2/lib/x/blobs/sha256:aa";
    STRCMP_EQUAL("https://reg:5000/v2/lib/x/blobs/other", resolve_location(base, "other")->c_str());
    STRCMP_EQUAL("https://reg:5000/storage/abc?sig=1&exp=2",
                 resolve_location(base, "/storage/abc?sig=1&exp=2")->c_str());
    STRCMP_EQUAL("http://127.0.0.2:8080/signed?sig=a%2Fb",
                 resolve_location(base, "http://127.0.0.2:8080/signed?sig=a%2Fb")->c_str());
    STRCMP_EQUAL("https://cdn.example/p", resolve_location(base, "//cdn.example/p")->c_str());
    STRCMP_EQUAL("https://reg:5000/v2/lib/x/blobs/sha256:aa?x=1",
                 resolve_location(base, "?x=1")->c_str());
    CHECK(!resolve_location(base, "").ok());
}

TEST(RedirectPolicy, RefusesDowngradesAndOtherSchemes) {
    CHECK(check_redirect("https://reg/v2/", "https://cdn/x").ok());
    CHECK(check_redirect("http://reg/v2/", "https://cdn/x").ok());
    CHECK(check_redirect("http://reg/v2/", "http://cdn/x").ok());
    CHECK(!check_redirect("https://reg/v2/", "http://cdn/x").ok());
    CHECK(!check_redirect("https://reg/v2/", "ftp://cdn/x").ok());
    CHECK(!check_redirect("http://reg/v2/", "file:///etc/shadow").ok());
}

TEST(RedirectPolicy, HostTextAsCertsDirectoriesNameIt) {
    STRCMP_EQUAL("reg.example", url_host_text("https://reg.example/v2/").c_str());
    STRCMP_EQUAL("reg.example", url_host_text("http://Reg.Example:80/v2/").c_str());
    STRCMP_EQUAL("reg.example:443", url_host_text("http://reg.example:443/").c_str());
    STRCMP_EQUAL("127.0.0.1:5000", url_host_text("https://127.0.0.1:5000/token?x=1").c_str());
}

TEST(RedirectPolicy, HttpUrlsOnly) {
    CHECK(is_http_url("http://a/b"));
    CHECK(is_http_url("HTTPS://a/b"));
    CHECK(!is_http_url("file:///x"));
    CHECK(!is_http_url("ftp://a/b"));
    CHECK(!is_http_url("data:,hello"));
    CHECK(!is_http_url("httpx://a"));
}
