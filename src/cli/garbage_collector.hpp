// `oci-pod gc`: mark and sweep of the store (DESIGN.md §3), under the store lock held exclusive,
// so no pull or render runs meanwhile and nothing they need can go.
//
// First the pods: a pod that ended, was transient (run with --rm, or by a service) and whose
// record is older than the grace period is removed; it was left behind by a crash. Pods that are
// running, or that the user keeps (not --rm), stay until `oci-pod rm`.
//
// Then the roots, everything that is marked: each ref in index.json, with its index's manifests,
// their configs and layer blobs, and the layer cache entries (ChainIDs) their configs name; each
// pod's bundle; each lease (store/leases.hpp) of a bundle that still exists. A lease whose bundle
// is gone while its parent directory exists is stale and goes; one whose parent is missing (a file
// system not mounted now) is kept, since its bundle may come back.
//
// The sweep: blobs and complete layers nothing marked, ingest directories and layer-cache leftovers
// (staging, locks) older than 24 h, interrupted removals whatever their age. When a manifest cannot
// be read or parsed, no blob is swept; when a config cannot be read, no layer is: the first
// collection after an unclean shutdown deletes only what it can prove unreachable.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/result.hpp"

namespace ocipod {

struct GcOptions {
    bool dry_run = false;              // report what would go, remove nothing
    int64_t grace_sec = 30 * 60;       // ended transient pods younger than this stay
    int64_t leftover_age_sec = 86400;  // ingest and staging leftovers younger than this stay
};

struct GcItem {
    std::string kind;  // "pod", "lease", "blob", "layer", "ingest", "leftover"
    std::string name;
    uint64_t bytes = 0;
};

struct GcReport {
    std::vector<GcItem> removed;  // or, with dry_run, what would be
    // Why a kind of object was not swept at all, or an object that could not be removed.
    std::vector<std::string> warnings;
    uint64_t bytes = 0;
};

Result<GcReport> collect_garbage(const std::string& root, const GcOptions& options);

// "30m", "2h", "1d", "90s" or plain seconds; nullopt when malformed.
std::optional<int64_t> parse_duration(std::string_view text);

}  // namespace ocipod
