#include <CppUTest/TestHarness.h>

#include "oci/reference.hpp"

using namespace ocipod;

namespace {

const std::string h256(64, 'a');
const std::string h512(128, 'b');

struct Good {
    std::string input;
    std::string registry;  // expected results
    std::string repository;
    std::string tag;
    std::string str;
    bool short_name;
};

}  // namespace

TEST_GROUP(Reference){};

TEST(Reference, NormalisesValidInputs) {
    const std::string d256 = "sha256:" + h256, d512 = "sha512:" + h512;
    const Good cases[] = {
        {"alpine", "docker.io", "library/alpine", "latest", "docker.io/library/alpine:latest",
         true},
        {"alpine:3.20", "docker.io", "library/alpine", "3.20", "docker.io/library/alpine:3.20",
         true},
        {"user/app:1", "docker.io", "user/app", "1", "docker.io/user/app:1", true},
        {"library/alpine", "docker.io", "library/alpine", "latest",
         "docker.io/library/alpine:latest", true},
        {"docker.io/alpine", "docker.io", "library/alpine", "latest",
         "docker.io/library/alpine:latest", false},
        {"docker.io/library/alpine:edge", "docker.io", "library/alpine", "edge",
         "docker.io/library/alpine:edge", false},
        {"index.docker.io/user/app", "docker.io", "user/app", "latest", "docker.io/user/app:latest",
         false},
        {"index.docker.io/busybox", "docker.io", "library/busybox", "latest",
         "docker.io/library/busybox:latest", false},
        {"localhost/x", "localhost", "x", "latest", "localhost/x:latest", false},
        {"localhost:5000/x:dev", "localhost:5000", "x", "dev", "localhost:5000/x:dev", false},
        {"host:5000/a/b:tag", "host:5000", "a/b", "tag", "host:5000/a/b:tag", false},
        {"127.0.0.1:5000/lib/x", "127.0.0.1:5000", "lib/x", "latest", "127.0.0.1:5000/lib/x:latest",
         false},
        {"quay.io/podman/stable", "quay.io", "podman/stable", "latest",
         "quay.io/podman/stable:latest", false},
        {"Quay.IO/podman/stable", "Quay.IO", "podman/stable", "latest",
         "Quay.IO/podman/stable:latest", false},
        {"[::1]:5000/x", "[::1]:5000", "x", "latest", "[::1]:5000/x:latest", false},
        {"[fe80::1]/x:1", "[fe80::1]", "x", "1", "[fe80::1]/x:1", false},
        {"host.example/a@" + d256, "host.example", "a", "", "host.example/a@" + d256, false},
        // Without '.', ':' or "localhost" the first component is a Docker Hub namespace.
        {"host/a@" + d256, "docker.io", "host/a", "", "docker.io/host/a@" + d256, true},
        {"a:tag@" + d512, "docker.io", "library/a", "tag", "docker.io/library/a:tag@" + d512, true},
        {"a@" + d256, "docker.io", "library/a", "", "docker.io/library/a@" + d256, true},
        {"my-registry.example.com/a.b/c_d/e__f/g--h:1.0-rc_1", "my-registry.example.com",
         "a.b/c_d/e__f/g--h", "1.0-rc_1", "my-registry.example.com/a.b/c_d/e__f/g--h:1.0-rc_1",
         false},
        {"a-b---c/d", "docker.io", "a-b---c/d", "latest", "docker.io/a-b---c/d:latest", true},
        {"x:_underscore", "docker.io", "library/x", "_underscore",
         "docker.io/library/x:_underscore", true},
        {"x:UPPER.case-Tag", "docker.io", "library/x", "UPPER.case-Tag",
         "docker.io/library/x:UPPER.case-Tag", true},
        {"x:" + std::string(128, 't'), "docker.io", "library/x", std::string(128, 't'),
         "docker.io/library/x:" + std::string(128, 't'), true},
        {"host:5000", "docker.io", "library/host", "5000", "docker.io/library/host:5000", true},
        {"0/1/2/3", "docker.io", "0/1/2/3", "latest", "docker.io/0/1/2/3:latest", true},
        {"sub-1.example.com:443/deep/er/path", "sub-1.example.com:443", "deep/er/path", "latest",
         "sub-1.example.com:443/deep/er/path:latest", false},
        // 255 characters exactly: "docker.io/" (10) + 245.
        {"u/" + std::string(243, 'n'), "docker.io", "u/" + std::string(243, 'n'), "latest",
         "docker.io/u/" + std::string(243, 'n') + ":latest", true},
    };
    for (const Good& c : cases) {
        auto r = parse_reference(c.input);
        CHECK_TEXT(r.ok(), (c.input + ": " + (r.ok() ? "" : r.error().message)).c_str());
        STRCMP_EQUAL_TEXT(c.registry.c_str(), r->registry.c_str(), c.input.c_str());
        STRCMP_EQUAL_TEXT(c.repository.c_str(), r->repository.c_str(), c.input.c_str());
        STRCMP_EQUAL_TEXT(c.tag.c_str(), r->tag.c_str(), c.input.c_str());
        STRCMP_EQUAL_TEXT(c.str.c_str(), r->str().c_str(), c.input.c_str());
        CHECK_EQUAL_TEXT(c.short_name, r->short_name, c.input.c_str());
    }
}

TEST(Reference, RefusesInvalidInputs) {
    const std::string bad[] = {
        "",
        "Alpine",
        "user/App",
        "docker.io/Library/alpine",
        "a//b",
        "/a",
        "a/",
        "host:5000/",
        "a/../b",
        "a..b",
        "a/-b",
        "a_/b",
        "a___b",
        "a.-b",
        "a:",
        ":tag",
        "a:-tag",
        "a:.tag",
        "a:t/ag",
        "a:" + std::string(129, 't'),
        "a@",
        "a@sha256:" + std::string(63, 'a'),
        "a@sha256:" + std::string(64, 'A'),
        "a@md5:d41d8cd98f00b204e9800998ecf8427e",
        "a@sha256:../../etc/passwd",
        "@sha256:" + h256,
        "-host.com/a",
        "host-.com/a",
        "host:port/a",
        "host:/a",
        "[::1/a",
        "a b",
        "a\n",
        h256,
        "u/" + std::string(244, 'n'),
        "a:tag:tag",
    };
    for (const std::string& s : bad) {
        auto r = parse_reference(s);
        CHECK_TEXT(!r.ok(), ("accepted '" + s + "'").c_str());
        LONGS_EQUAL_TEXT(EINVAL, r.error().code, s.c_str());
        CHECK_TEXT(r.error().message.find("'" + printable(s) + "'") != std::string::npos,
                   r.error().message.c_str());
    }
}

TEST(Reference, ShortNameUsesGivenRegistry) {
    auto r = parse_reference("alpine", "quay.io");
    CHECK(r.ok());
    STRCMP_EQUAL("quay.io/alpine:latest", r->str().c_str());
    CHECK(r->short_name);
    auto q = parse_reference("docker.io/alpine", "quay.io");
    STRCMP_EQUAL("docker.io/library/alpine:latest", q->str().c_str());
    CHECK_FALSE(q->short_name);
}

TEST(Reference, TagOrDigestPrefersDigest) {
    auto r = parse_reference("a:1@sha256:" + h256);
    CHECK(r.ok());
    STRCMP_EQUAL(("sha256:" + h256).c_str(), r->tag_or_digest().c_str());
    STRCMP_EQUAL("docker.io/library/a", r->name().c_str());
    auto t = parse_reference("a:1");
    STRCMP_EQUAL("1", t->tag_or_digest().c_str());
}

TEST(Reference, WithRegistryMovesLibraryPrefix) {
    auto r = parse_reference("alpine:3.20");
    CHECK(r.ok());
    Reference q = with_registry(*r, "quay.io");
    STRCMP_EQUAL("quay.io/alpine:3.20", q.str().c_str());
    CHECK(q.short_name);
    Reference back = with_registry(q, "docker.io");
    STRCMP_EQUAL("docker.io/library/alpine:3.20", back.str().c_str());
    Reference idx = with_registry(q, "index.docker.io");
    STRCMP_EQUAL("docker.io/library/alpine:3.20", idx.str().c_str());

    // Only a one-component name under library/ loses it; deeper paths stay as they are.
    auto u = parse_reference("user/app@sha256:" + h256);
    STRCMP_EQUAL(("registry.example/user/app@sha256:" + h256).c_str(),
                 with_registry(*u, "registry.example").str().c_str());
    auto deep = parse_reference("docker.io/library/a/b");
    STRCMP_EQUAL("127.0.0.1:5000/library/a/b:latest",
                 with_registry(*deep, "127.0.0.1:5000").str().c_str());
}
