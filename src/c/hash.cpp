#include "c/hash.hpp"

#include <cstdlib>
#include <utility>

namespace ocipod {

static gnutls_digest_algorithm_t to_gnutls(HashAlg alg) {
    return alg == HashAlg::sha256 ? GNUTLS_DIG_SHA256 : GNUTLS_DIG_SHA512;
}

const char* hash_alg_name(HashAlg alg) {
    return alg == HashAlg::sha256 ? "sha256" : "sha512";
}

Hasher::Hasher(HashAlg alg) : alg_(alg) {
    // Only fails on allocation failure or an algorithm GnuTLS was built without; neither can be
    // handled meaningfully by a caller.
    if (gnutls_hash_init(&hd_, to_gnutls(alg)) < 0) abort();
}

Hasher::Hasher(Hasher&& o) noexcept : alg_(o.alg_), hd_(std::exchange(o.hd_, nullptr)) {}

Hasher& Hasher::operator=(Hasher&& o) noexcept {
    if (this != &o) {
        if (hd_) gnutls_hash_deinit(hd_, nullptr);
        alg_ = o.alg_;
        hd_ = std::exchange(o.hd_, nullptr);
    }
    return *this;
}

Hasher::~Hasher() {
    if (hd_) gnutls_hash_deinit(hd_, nullptr);
}

void Hasher::update(const void* data, size_t len) {
    if (len) gnutls_hash(hd_, data, len);
}

std::string Hasher::finish_hex() {
    unsigned char out[64];
    gnutls_hash_output(hd_, out);
    static const char hex[] = "0123456789abcdef";
    size_t n = hash_hex_length(alg_) / 2;
    std::string s(n * 2, '0');
    for (size_t i = 0; i < n; ++i) {
        s[2 * i] = hex[out[i] >> 4];
        s[2 * i + 1] = hex[out[i] & 15];
    }
    return s;
}

std::string hash_hex(HashAlg alg, std::string_view data) {
    Hasher h(alg);
    h.update(data);
    return h.finish_hex();
}

}  // namespace ocipod
