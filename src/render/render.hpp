// Rendering a stored image: its layers into the layer cache, then a bundle (DIR/config.json and
// DIR/rootfs) that any OCI runtime runs.
//
// Layer cache (containerd's snapshot model): each layer is extracted once into the store's
// layers/<chainid>/fs (store.hpp), from the stored blob through LayerStream and apply_layer. The
// missing layers of an image are extracted in parallel (jobs threads), each without waiting for
// its lower layers; then, bottom up, each one's fixups are settled against its complete lowers,
// its diffID is checked against the config's diff_ids, and it is committed. A failed layer is
// never committed; layers committed before the failure stay (they are correct and shared).
//
// Bundle: DIR must not exist or be an empty directory. DIR/rootfs is an overlay mount
// (lowerdirs = the chain, upper/work in DIR/.oci-pod/) or a flattened copy; DIR/config.json comes
// from make_runtime_config; DIR/.oci-pod/bundle.json records the image, the chain and the mode so
// that remove_bundle knows what to undo. On failure nothing is left in DIR.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "base/fs.hpp"
#include "base/result.hpp"
#include "oci/digest.hpp"
#include "oci/manifest.hpp"
#include "render/layer_apply.hpp"
#include "render/rootfs.hpp"
#include "render/runtime_config.hpp"
#include "store/store.hpp"

namespace ocipod {

struct RenderLimits {
    uint64_t max_layer_bytes = 64ull << 30;  // uncompressed bytes per layer (THREATS 61)
    LayerApplyOptions apply;                 // entries per layer, devices
};

struct LayerCacheReport {
    std::vector<Digest> reused;     // ChainIDs found complete in the cache
    std::vector<Digest> extracted;  // ChainIDs extracted by this call
    uint64_t bytes_written = 0;     // file data bytes written into the cache
    uint64_t entries = 0;           // tar members applied
};

// Progress events for the CLI: one call per layer when its extraction starts and when it is
// committed (done=true). Called from worker threads, serialised by the caller's own lock.
using LayerProgress = std::function<void(size_t layer_index, const Digest& chain_id, bool done)>;

// The image to render: its manifest and config, as stored.
struct RenderImage {
    std::string name;  // for messages and bundle.json ("docker.io/library/busybox:latest")
    Digest manifest_digest;
    Manifest manifest;
    std::string config_bytes;
};

// Make every layer of image complete in the cache; returns the chain, bottom first.
Result<std::vector<Digest>> ensure_layers(Store& store, const RenderImage& image,
                                          const RenderLimits& limits, unsigned jobs,
                                          LayerCacheReport* report,
                                          const LayerProgress& progress = {});

struct RenderOptions {
    RootfsMode mode = RootfsMode::automatic;
    RenderLimits limits;
    unsigned jobs = 0;  // 0: one per online CPU
    RuntimeConfigOptions runtime;
    // config.json's and the lease's durability (bundle.json, which undoes a render after a
    // crash, is always durable): atomic only for the bundle of a pod removed when it ends, which
    // the collector finds through ROOT/pods anyway.
    Sync config_sync = Sync::durable;
};

struct RenderReport {
    LayerCacheReport layers;
    RootfsMode mode = RootfsMode::copy;  // the mode used (never automatic)
    uint64_t rootfs_bytes_copied = 0;    // flattened mode only
    std::string overlay_error;           // automatic mode: why the overlay was not used
    std::string bundle;                  // absolute path of DIR
};

Result<RenderReport> render_bundle(Store& store, const RenderImage& image,
                                   const std::string& bundle_dir, const RenderOptions& options,
                                   const LayerProgress& progress = {});

// Undo render_bundle: unmount an overlay rootfs and remove DIR. Refuses a directory that has no
// DIR/.oci-pod/bundle.json (never removes what oci-pod did not make).
Status remove_bundle(const std::string& bundle_dir);

}  // namespace ocipod
