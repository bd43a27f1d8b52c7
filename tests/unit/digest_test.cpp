#include <CppUTest/TestHarness.h>

#include "oci/digest.hpp"

using namespace ocipod;

TEST_GROUP(Digest){};

TEST(Digest, ParsesSha256AndSha512) {
    std::string h256(64, 'a'), h512(128, '0');
    auto a = Digest::parse("sha256:" + h256);
    CHECK(a.ok());
    STRCMP_EQUAL(("sha256:" + h256).c_str(), a->str().c_str());
    auto b = Digest::parse("sha512:" + h512);
    CHECK(b.ok());
    CHECK(b->alg() == HashAlg::sha512);
}

TEST(Digest, RefusesWhatCouldBuildAPath) {
    const char* bad[] = {"sha256:../../etc",
                         "sha256:",
                         "sha256",
                         "",
                         "md5:abcd",
                         "SHA256:0000000000000000000000000000000000000000000000000000000000000000",
                         "sha256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                         "sha256:000000000000000000000000000000000000000000000000000000000000000",
                         "sha256:00000000000000000000000000000000000000000000000000000000000000000",
                         "sha256:000000000000000000000000000000000000000000000000000000000000000/"};
    for (const char* s : bad) {
        auto r = Digest::parse(s);
        CHECK_TEXT(!r.ok(), s);
        LONGS_EQUAL(EINVAL, r.error().code);
    }
}

TEST(Digest, HashesKnownVector) {
    Digest d = Digest::of(HashAlg::sha256, "abc");
    STRCMP_EQUAL("sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
                 d.str().c_str());
    Digest e = Digest::of(HashAlg::sha512, "");
    STRCMP_EQUAL(
        "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff"
        "8318d2877eec2f63b931bd47417a81a538327af927da3e",
        e.hex().c_str());
    CHECK(Digest::empty_sha256() == Digest::of(HashAlg::sha256, ""));
}
