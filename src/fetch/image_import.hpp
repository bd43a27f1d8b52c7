// The part of a pull every source shares: from the first manifest document to a ref in the store.
//   1. An index is resolved by platform (nested indexes up to max_index_depth); each child is
//      fetched by digest, its size checked against the descriptor and parsed with the
//      descriptor's mediaType, so a document cannot change type on the way.
//   2. Layer media types are checked and artifacts refused before any layer is transferred.
//   3. The config is fetched (capped), parsed and checked: a runnable image, diff_ids matching
//      the layers, and when an index was resolved, the config's os/architecture must be the
//      platform that was asked for.
//   4. Layers are fetched, then the manifest is stored, then the ref is set, LAST.
// The ref points at the platform manifest, not at the index it was chosen from, as
// `skopeo copy docker://X oci:DIR:TAG` stores it; the index is not kept.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "fetch/progress.hpp"
#include "fetch/puller.hpp"
#include "fetch/registry.hpp"
#include "oci/descriptor.hpp"
#include "oci/platform.hpp"
#include "store/store.hpp"

namespace ocipod {

inline constexpr int max_index_depth = 4;

// Where manifests and blobs come from: one registry endpoint, a fallback chain of them, a layout
// directory or an archive.
class ImageSource {
public:
    virtual ~ImageSource() = default;
    // A manifest or index by tag or digest; when expected is set the bytes must hash to it.
    // A document that is not there is ENOENT.
    virtual Result<FetchedManifest> get_manifest(std::string_view tag_or_digest,
                                                 const std::optional<Digest>& expected) = 0;
    // Store these blobs (skipping stored ones), every byte verified by the store's ingest.
    virtual Status fetch_blobs(const std::vector<Descriptor>& blobs, Store& store,
                               ProgressSink* progress) = 0;
};

struct ImportRequest {
    Platform platform;     // wanted
    std::string ref_name;  // the name set in the store
};

// Import the image whose first document is top. top_descriptor_type is the mediaType of the
// descriptor that named it ("" for a pull by tag).
Result<PullResult> import_image(ImageSource& source, Store& store, const FetchedManifest& top,
                                std::string_view top_descriptor_type, const ImportRequest& request,
                                ProgressSink* progress);

// Fetch the document a descriptor names, checking its digest and size.
Result<FetchedManifest> fetch_described(ImageSource& source, const Descriptor& d);

// Store one blob whose bytes come from read (bytes read, 0 at the end), streaming through an
// ingest: nothing is buffered whole, and the ingest checks size and digest before commit. A blob
// already stored is reported as present and read is not called. A partial ingest left by an
// earlier attempt is restarted (local data is cheap to read again). what names the source.
using ReadFn = std::function<Result<size_t>(void* buf, size_t len)>;
Status ingest_stream(Store& store, const Descriptor& blob, ProgressSink* progress,
                     const ReadFn& read, std::string_view what);

}  // namespace ocipod
