// Image manifests and indexes (image-spec manifest.md, image-index.md; Docker v2 schema 2 and
// manifest lists). A document is parsed from the exact bytes that were hashed. Its type is decided
// from the Content-Type, the parent descriptor's mediaType and the document's own mediaType field;
// any disagreement among those that are present is an error, and a document that has both
// "manifests" and "layers"/"config" is refused (CVE-2021-41190). Schema 1 is refused with a clear
// message.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/result.hpp"
#include "oci/descriptor.hpp"
#include "oci/platform.hpp"

namespace ocipod {

// Manifests, indexes and configs larger than this are refused (containers/image uses 4 MiB).
inline constexpr size_t max_manifest_bytes = 4u << 20;
inline constexpr size_t max_config_bytes = 4u << 20;
// Entries in one index, to bound work on a hostile index.
inline constexpr size_t max_index_entries = 1000;
// Layers in one manifest.
inline constexpr size_t max_layers = 500;

struct Manifest {
    std::string media_type;
    Descriptor config;
    std::vector<Descriptor> layers;
    std::map<std::string, std::string> annotations;
    std::string artifact_type;
};

struct Index {
    std::string media_type;
    std::vector<Descriptor> manifests;
    std::map<std::string, std::string> annotations;
};

using ManifestDocument = std::variant<Manifest, Index>;

// content_type: the HTTP Content-Type (parameters are stripped here) or "" when unknown or
// application/octet-stream; descriptor_type: the mediaType of the descriptor that pointed here,
// or "" for a pull by tag.
Result<ManifestDocument> parse_manifest_document(std::string_view bytes,
                                                 std::string_view content_type,
                                                 std::string_view descriptor_type);

// Strip parameters and whitespace: "application/x; charset=utf-8" -> "application/x".
std::string media_type_essence(std::string_view content_type);

// Choose the best manifest for a platform; never an unknown/unknown or attestation entry.
// The error lists the platforms the index offers.
Result<Descriptor> choose_manifest(const Index& index, const Platform& wanted);

// The parts of an image config (image-spec config.md) the fetcher and renderer need; the raw JSON
// stays in the store.
struct ImageConfig {
    Platform platform;
    std::vector<Digest> diff_ids;
    std::string created;
};

// Parse a config; refuses a config whose rootfs.type is not "layers".
Result<ImageConfig> parse_image_config(std::string_view bytes);

// A manifest is a runnable image when its config is an image config and its layers are of types
// we can apply (an artifact is refused with "not a runnable image"). Also checks that the config's
// diff_ids count equals the layer count.
Status check_runnable_image(const Manifest& manifest, const ImageConfig& config);
// The part of that check that needs no config, so that an artifact or a layer type we cannot
// apply is refused before anything large is downloaded.
Status check_runnable_manifest(const Manifest& manifest);

}  // namespace ocipod
