#include <CppUTest/TestHarness.h>

#include <sys/utsname.h>

#include <climits>

#include "oci/platform.hpp"

using namespace ocipod;

namespace {

Platform P(const char* os, const char* arch, const char* variant = "") {
    Platform p;
    p.os = os;
    p.architecture = arch;
    p.variant = variant;
    return p;
}

}  // namespace

TEST_GROUP(Platform){};

TEST(Platform, NormalisesArchitectureNames) {
    struct {
        Platform in;
        const char* out;
    } cases[] = {
        {P("linux", "x86_64"), "linux/amd64"},      {P("linux", "x86-64"), "linux/amd64"},
        {P("linux", "amd64", "v1"), "linux/amd64"}, {P("linux", "amd64", "v3"), "linux/amd64/v3"},
        {P("linux", "aarch64"), "linux/arm64"},     {P("linux", "arm64", "v8"), "linux/arm64"},
        {P("linux", "arm64", "8"), "linux/arm64"},  {P("linux", "arm64", "v9"), "linux/arm64/v9"},
        {P("linux", "armhf"), "linux/arm/v7"},      {P("linux", "armel"), "linux/arm/v6"},
        {P("linux", "arm"), "linux/arm/v7"},        {P("linux", "arm", "6"), "linux/arm/v6"},
        {P("Linux", "AMD64"), "linux/amd64"},       {P("linux", "i386"), "linux/386"},
        {P("linux", "s390x"), "linux/s390x"},       {P("windows", "amd64"), "windows/amd64"},
    };
    for (const auto& c : cases)
        STRCMP_EQUAL_TEXT(c.out, normalize_platform(c.in).str().c_str(), c.in.str().c_str());
}

TEST(Platform, ParsesOsArchVariant) {
    auto a = parse_platform("linux/arm64");
    CHECK(a.ok());
    CHECK(*a == P("linux", "arm64"));
    auto b = parse_platform("linux/arm/v6");
    CHECK(b.ok());
    CHECK(*b == P("linux", "arm", "v6"));
    auto c = parse_platform("linux/x86_64");
    STRCMP_EQUAL("linux/amd64", c->str().c_str());
    auto d = parse_platform("linux/aarch64/v8");
    STRCMP_EQUAL("linux/arm64", d->str().c_str());
}

TEST(Platform, RefusesMalformedPlatforms) {
    const char* bad[] = {
        "", "linux", "linux/", "/amd64", "linux//v7", "linux/arm/", "linux/arm/v7/extra", "//"};
    for (const char* s : bad) {
        auto r = parse_platform(s);
        CHECK_TEXT(!r.ok(), s);
        LONGS_EQUAL(EINVAL, r.error().code);
        CHECK(r.error().message.find(std::string("'") + s + "'") != std::string::npos);
    }
}

TEST(Platform, HostIsLinuxAndNormalised) {
    Platform h = host_platform();
    STRCMP_EQUAL("linux", h.os.c_str());
    struct utsname u;
    CHECK(uname(&u) == 0);
    std::string m = u.machine;
    if (m == "x86_64") STRCMP_EQUAL("linux/amd64", h.str().c_str());
    if (m == "aarch64") STRCMP_EQUAL("linux/arm64", h.str().c_str());
    if (m == "armv7l") STRCMP_EQUAL("linux/arm/v7", h.str().c_str());
    CHECK(h == normalize_platform(h));
    CHECK(platform_matches(h, h));
}

TEST(Platform, Amd64AcceptsOnlyBaselineUnlessAsked) {
    CHECK(platform_matches(P("linux", "amd64"), P("linux", "amd64")));
    CHECK(platform_matches(P("linux", "amd64"), P("linux", "amd64", "v1")));
    CHECK(platform_matches(P("linux", "amd64"), P("linux", "x86_64")));
    CHECK_FALSE(platform_matches(P("linux", "amd64"), P("linux", "amd64", "v2")));
    CHECK_FALSE(platform_matches(P("linux", "amd64"), P("linux", "386")));
    CHECK_FALSE(platform_matches(P("linux", "amd64"), P("linux", "arm64")));
    CHECK_FALSE(platform_matches(P("linux", "amd64"), P("windows", "amd64")));
    // A v3 CPU prefers v3, then v2, then the baseline.
    Platform v3 = P("linux", "amd64", "v3");
    CHECK(platform_rank(v3, P("linux", "amd64", "v3")) <
          platform_rank(v3, P("linux", "amd64", "v2")));
    CHECK(platform_rank(v3, P("linux", "amd64", "v2")) < platform_rank(v3, P("linux", "amd64")));
    CHECK_FALSE(platform_matches(v3, P("linux", "amd64", "v4")));
}

TEST(Platform, Arm64MatchesWithOrWithoutV8) {
    CHECK(platform_matches(P("linux", "arm64"), P("linux", "arm64")));
    CHECK(platform_matches(P("linux", "arm64"), P("linux", "arm64", "v8")));
    CHECK(platform_matches(P("linux", "aarch64"), P("linux", "arm64", "v8")));
    CHECK_FALSE(platform_matches(P("linux", "arm64"), P("linux", "arm64", "v9")));
    CHECK_FALSE(platform_matches(P("linux", "arm64"), P("linux", "arm", "v7")));
    CHECK(platform_matches(P("linux", "arm64", "v9"), P("linux", "arm64")));
}

TEST(Platform, ArmV7PrefersV7ThenOlder) {
    Platform v7 = P("linux", "arm", "v7");
    CHECK(platform_matches(v7, P("linux", "arm", "v7")));
    CHECK(platform_matches(v7, P("linux", "arm")));
    CHECK(platform_matches(v7, P("linux", "arm", "v6")));
    CHECK(platform_matches(v7, P("linux", "arm", "v5")));
    CHECK_FALSE(platform_matches(v7, P("linux", "arm", "v8")));
    CHECK_FALSE(platform_matches(v7, P("linux", "arm", "v4")));
    CHECK_FALSE(platform_matches(v7, P("linux", "arm", "vfp")));
    CHECK(platform_rank(v7, P("linux", "arm", "v7")) < platform_rank(v7, P("linux", "arm", "v6")));
    CHECK(platform_rank(v7, P("linux", "arm", "v6")) < platform_rank(v7, P("linux", "arm", "v5")));

    Platform v6 = P("linux", "arm", "v6");
    CHECK_FALSE(platform_matches(v6, P("linux", "arm", "v7")));
    CHECK_FALSE(platform_matches(v6, P("linux", "arm")));  // no variant means v7
    CHECK(platform_matches(v6, P("linux", "armel")));
    CHECK(platform_matches(v6, P("linux", "arm", "v5")));
}

TEST(Platform, IgnoresWindowsOnlyFieldsOnLinux) {
    Platform e = P("linux", "amd64");
    e.os_version = "10.0.17763.1";
    e.os_features = {"win32k"};
    LONGS_EQUAL(0, platform_rank(P("linux", "amd64"), e));
    CHECK_FALSE(platform_matches(P("linux", "amd64"), P("unknown", "unknown")));
    LONGS_EQUAL(INT_MAX, platform_rank(P("linux", "riscv64"), P("linux", "amd64")));
}
