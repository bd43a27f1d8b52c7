#include "oci/digest.hpp"

namespace ocipod {

Result<Digest> Digest::parse(std::string_view s) {
    size_t colon = s.find(':');
    if (colon == std::string_view::npos)
        return make_error(EINVAL, "invalid digest '%s': expected 'algorithm:hex'",
                          printable(s).c_str());
    std::string_view alg_s = s.substr(0, colon), hex = s.substr(colon + 1);
    HashAlg alg;
    if (alg_s == "sha256")
        alg = HashAlg::sha256;
    else if (alg_s == "sha512")
        alg = HashAlg::sha512;
    else
        return make_error(EINVAL, "invalid digest '%s': unsupported algorithm '%s'",
                          printable(s).c_str(), printable(alg_s).c_str());
    if (hex.size() != hash_hex_length(alg))
        return make_error(EINVAL, "invalid digest '%s': %s needs %zu hex digits, got %zu",
                          printable(s).c_str(), hash_alg_name(alg), hash_hex_length(alg),
                          hex.size());
    for (char c : hex)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return make_error(EINVAL, "invalid digest '%s': not lowercase hex",
                              printable(s).c_str());
    return Digest(alg, std::string(hex));
}

Digest Digest::from_hex(HashAlg alg, std::string hex) {
    return Digest(alg, std::move(hex));
}

}  // namespace ocipod
