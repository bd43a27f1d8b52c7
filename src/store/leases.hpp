// Leases: the bundles rendered from the store's layer cache, wherever they live, so that the
// collector keeps the layers (and the image) they use (DESIGN.md §3). One file per bundle,
// ROOT/leases/HEX.json with HEX the SHA-256 of the bundle's absolute path:
//   {"bundle": "/abs/dir", "manifest": "sha256:...", "chain": ["sha256:...", ...]}
// render writes it before the bundle exists and unrender removes it after the bundle is gone, so
// a crash in between leaves a lease too many, never one too few. Pulls and renders in progress
// need none: they hold the store lock, which the collector takes exclusive.
#pragma once

#include <string>
#include <vector>

#include "base/fs.hpp"
#include "base/result.hpp"

namespace ocipod {

struct Lease {
    std::string id;  // the file name without ".json"
    std::string bundle;
    std::string manifest;
    std::vector<std::string> chain;
};

// lease.id is computed. Durable unless the bundle is one the collector finds anyway (a pod's,
// under ROOT/pods) and is removed when it ends.
Status write_lease(const std::string& root, const Lease& lease, Sync sync = Sync::durable);
// The lease of bundle (an absolute path); none there is fine.
Status remove_lease(const std::string& root, const std::string& bundle);
Status remove_lease_id(const std::string& root, const std::string& id);
// Every lease; unreadable ones are errors (the collector must not guess).
Result<std::vector<Lease>> list_leases(const std::string& root);

}  // namespace ocipod
