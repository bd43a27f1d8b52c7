// Pull an image into the store from a registry or a local source, end to end:
//   REF                      registry (registries.conf: search, mirrors, insecure, blocked)
//   oci:DIR[:REF]            an OCI image layout directory
//   oci-archive:FILE[:REF]   a tar of an OCI image layout
//   docker-archive:FILE      the `docker save` format (manifest.json + layer tars)
// An index is resolved to one manifest by platform; that manifest, its config and its layers are
// stored and verified, and then the ref is set (never before everything it points to is stored).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/result.hpp"
#include "fetch/credentials.hpp"
#include "fetch/progress.hpp"
#include "fetch/registry.hpp"
#include "oci/platform.hpp"
#include "store/store.hpp"

namespace ocipod {

struct PullOptions {
    std::optional<Platform> platform;  // default: the host's
    int tls_verify = -1;               // -1: per registries.conf; 0/1: --tls-verify=false/true
    std::optional<Credentials> credentials;  // --creds
    FetchPolicy policy;
};

struct PullResult {
    std::string ref_name;       // the name stored in index.json
    Descriptor manifest;        // what the ref points to
    bool from_index = false;    // the source offered an index and a platform was chosen
    int64_t bytes_fetched = 0;  // bytes actually transferred (not already present)
    int blobs_fetched = 0;
    int blobs_present = 0;
};

Result<PullResult> pull_image(Store& store, std::string_view source, const PullOptions& options,
                              ProgressSink* progress);

}  // namespace ocipod
