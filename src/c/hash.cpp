#include "c/hash.hpp"

#include <cstdlib>
#include <mutex>
#include <utility>

namespace ocipod {

namespace {

int to_gcrypt(HashAlg alg) {
    return alg == HashAlg::sha256 ? GCRY_MD_SHA256 : GCRY_MD_SHA512;
}

// libgcrypt must be initialised once before use. libsystemd may have done it already (it uses
// the same library); then this changes nothing. No secure memory: digests of public content.
void gcrypt_init_once() {
    static std::once_flag once;
    std::call_once(once, [] {
        if (gcry_control(GCRYCTL_INITIALIZATION_FINISHED_P)) return;
        if (!gcry_check_version(GCRYPT_VERSION)) abort();  // older than the one built against
        gcry_control(GCRYCTL_DISABLE_SECMEM, 0);
        gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
    });
}

}  // namespace

const char* hash_alg_name(HashAlg alg) {
    return alg == HashAlg::sha256 ? "sha256" : "sha512";
}

Hasher::Hasher(HashAlg alg) : alg_(alg) {
    gcrypt_init_once();
    // Only fails on allocation failure or an algorithm libgcrypt was built without; neither can
    // be handled meaningfully by a caller.
    if (gcry_md_open(&hd_, to_gcrypt(alg), 0) != 0) abort();
}

Hasher::Hasher(Hasher&& o) noexcept : alg_(o.alg_), hd_(std::exchange(o.hd_, nullptr)) {}

Hasher& Hasher::operator=(Hasher&& o) noexcept {
    if (this != &o) {
        if (hd_) gcry_md_close(hd_);
        alg_ = o.alg_;
        hd_ = std::exchange(o.hd_, nullptr);
    }
    return *this;
}

Hasher::~Hasher() {
    if (hd_) gcry_md_close(hd_);
}

void Hasher::update(const void* data, size_t len) {
    if (len) gcry_md_write(hd_, data, len);
}

std::string Hasher::finish_hex() {
    const unsigned char* out = gcry_md_read(hd_, to_gcrypt(alg_));
    static const char hex[] = "0123456789abcdef";
    size_t n = hash_hex_length(alg_) / 2;
    std::string s(n * 2, '0');
    for (size_t i = 0; i < n; ++i) {
        s[2 * i] = hex[out[i] >> 4];
        s[2 * i + 1] = hex[out[i] & 15];
    }
    gcry_md_reset(hd_);
    return s;
}

std::string hash_hex(HashAlg alg, std::string_view data) {
    Hasher h(alg);
    h.update(data);
    return h.finish_hex();
}

}  // namespace ocipod
