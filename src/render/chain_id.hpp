// Layer ChainIDs (image-spec config.md "Layer ChainID"): the identity of a layer together with
// everything below it, which names the extracted layer directory ROOT/layers/<chainid>/ so that
// images sharing lower layers share them on disk.
//   ChainID(L0)        = DiffID(L0)
//   ChainID(L0|...|Ln) = sha256(ChainID(L0|...|Ln-1) + " " + DiffID(Ln))
#pragma once

#include <vector>

#include "oci/digest.hpp"

namespace ocipod {

// One ChainID per layer, bottom first; empty for no layers.
std::vector<Digest> chain_ids(const std::vector<Digest>& diff_ids);

}  // namespace ocipod
