// Images as the read-only commands (images, inspect, rmi) see them: a name the user typed is
// resolved to a ref in the store, and a ref is loaded with its manifest and config. An index
// target (a ref that names a multi-platform image) shows the manifest for this host.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/result.hpp"
#include "oci/manifest.hpp"
#include "store/store.hpp"

namespace ocipod {

struct LocalImage {
    RefEntry ref;
    std::string target_bytes;          // the manifest or index the ref names, as stored
    std::optional<Descriptor> chosen;  // set when the target is an index: the host's manifest
    std::string manifest_bytes;        // the image manifest (== target_bytes without an index)
    Manifest manifest;
    std::string config_bytes;
    std::string created;  // the config's "created", "" when absent
    int64_t size = 0;     // config plus compressed layers, as the manifest declares them
};

Result<LocalImage> load_local_image(const Store& store, const RefEntry& ref);

// Resolve what a user typed ("alpine", "quay.io/x/y:1", "docker.io/library/alpine:latest") to a
// stored ref: the normalised name first; for a short name also the same repository and tag on
// any registry (an image pulled through unqualified-search-registries), refusing ambiguity.
// nullopt when nothing matches; EINVAL when the text is not a reference.
Result<std::optional<RefEntry>> resolve_local_ref(const Store& store, std::string_view text);

// "oci" or "docker", from a manifest or index media type.
const char* manifest_kind(std::string_view media_type);

}  // namespace ocipod
