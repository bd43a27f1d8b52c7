#include <string>

#include "render/chain_id.hpp"

#include <CppUTest/TestHarness.h>

using namespace ocipod;

TEST_GROUP(ChainId){};

static Digest diff(char c) {
    return Digest::parse("sha256:" + std::string(64, c)).take();
}

TEST(ChainId, FirstLayerIsItsDiffId) {
    std::vector<Digest> ids = chain_ids({diff('a')});
    LONGS_EQUAL(1, ids.size());
    CHECK(ids[0] == diff('a'));
    CHECK(chain_ids({}).empty());
}

TEST(ChainId, LaterLayersHashTheChainBelowAndTheirDiffId) {
    std::vector<Digest> ids = chain_ids({diff('a'), diff('b'), diff('c')});
    LONGS_EQUAL(3, ids.size());
    // The literal was computed with python3 hashlib from the two digest strings.
    Digest second = Digest::of(HashAlg::sha256, diff('a').str() + " " + diff('b').str());
    STRCMP_EQUAL(second.str().c_str(), ids[1].str().c_str());
    STRCMP_EQUAL("sha256:ccd722928bd92476ba1745586fed6e45a102504185ad88cd89e01ff116fd146c",
                 ids[1].str().c_str());
    CHECK(ids[2] == Digest::of(HashAlg::sha256, ids[1].str() + " " + diff('c').str()));
    // The same diffID above a different base gets a different ChainID.
    CHECK(!(chain_ids({diff('c'), diff('b')})[1] == ids[1]));
}
