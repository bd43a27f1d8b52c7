// Streaming SHA-256 / SHA-512 over libgcrypt: the CPU's SHA extensions as fast as GnuTLS's, and
// no load cost, since libsystemd already brings libgcrypt into every oci-pod process (GnuTLS
// would add a third of the CLI's start-up; c/dynamic_library.hpp).
#pragma once

#include <gcrypt.h>

#include <string>
#include <string_view>

#include "base/result.hpp"

namespace ocipod {

enum class HashAlg { sha256, sha512 };

// Length in hex characters of a digest of this algorithm (64 or 128).
constexpr size_t hash_hex_length(HashAlg alg) {
    return alg == HashAlg::sha256 ? 64 : 128;
}
const char* hash_alg_name(HashAlg alg);

class Hasher {
public:
    explicit Hasher(HashAlg alg);
    Hasher(Hasher&& o) noexcept;
    Hasher& operator=(Hasher&& o) noexcept;
    Hasher(const Hasher&) = delete;
    Hasher& operator=(const Hasher&) = delete;
    ~Hasher();

    HashAlg alg() const { return alg_; }
    void update(const void* data, size_t len);
    void update(std::string_view s) { update(s.data(), s.size()); }
    // Lowercase hex of the digest; the hasher starts over afterwards.
    std::string finish_hex();

private:
    HashAlg alg_;
    gcry_md_hd_t hd_ = nullptr;
};

std::string hash_hex(HashAlg alg, std::string_view data);

}  // namespace ocipod
