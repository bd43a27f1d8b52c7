#include "render/chain_id.hpp"

namespace ocipod {

std::vector<Digest> chain_ids(const std::vector<Digest>& diff_ids) {
    std::vector<Digest> out;
    out.reserve(diff_ids.size());
    for (const Digest& diff : diff_ids) {
        if (out.empty())
            out.push_back(diff);
        else
            out.push_back(Digest::of(HashAlg::sha256, out.back().str() + " " + diff.str()));
    }
    return out;
}

}  // namespace ocipod
