// Content digests "alg:hex" (image-spec descriptor.md "Digests"). Only sha256 and sha512 are
// accepted, the hex must be lowercase and of the algorithm's exact length. Parsing is the only way
// to make a Digest, so a Digest is always safe to put into a path or a URL (CVE-2024-3727).
#pragma once

#include <string>
#include <string_view>

#include "base/result.hpp"
#include "c/hash.hpp"

namespace ocipod {

class Digest {
public:
    static Result<Digest> parse(std::string_view s);
    // From a finished hash: alg plus lowercase hex of the right length (not re-validated).
    static Digest from_hex(HashAlg alg, std::string hex);
    static Digest of(HashAlg alg, std::string_view data) {
        return from_hex(alg, hash_hex(alg, data));
    }
    // sha256 of no bytes: the placeholder of a digest not yet known, without hashing anything
    // (hashing would load the hash library for commands that never hash).
    static Digest empty_sha256() {
        return from_hex(HashAlg::sha256,
                        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    }

    HashAlg alg() const { return alg_; }
    const char* alg_name() const { return hash_alg_name(alg_); }
    const std::string& hex() const { return hex_; }
    std::string str() const { return std::string(alg_name()) + ":" + hex_; }
    // First 12 hex digits, as `podman images` shows IDs.
    std::string short_hex() const { return hex_.substr(0, 12); }

    bool operator==(const Digest& o) const { return alg_ == o.alg_ && hex_ == o.hex_; }
    bool operator<(const Digest& o) const { return alg_ != o.alg_ ? alg_ < o.alg_ : hex_ < o.hex_; }

private:
    Digest(HashAlg alg, std::string hex) : alg_(alg), hex_(std::move(hex)) {}
    HashAlg alg_;
    std::string hex_;
};

}  // namespace ocipod
