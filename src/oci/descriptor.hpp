// Content descriptors (image-spec descriptor.md): what a manifest, index or the store's
// index.json says about one blob.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "c/json.hpp"
#include "oci/digest.hpp"
#include "oci/platform.hpp"

namespace ocipod {

// Annotation keys we read or write.
inline constexpr const char* annotation_ref_name = "org.opencontainers.image.ref.name";
inline constexpr const char* annotation_created = "org.opencontainers.image.created";

struct Descriptor {
    std::string media_type;
    Digest digest = Digest::empty_sha256();
    int64_t size = 0;
    std::vector<std::string> urls;
    std::map<std::string, std::string> annotations;
    std::optional<Platform> platform;
    std::string artifact_type;
};

// Largest blob size we accept in any descriptor (a hostile size never reaches allocation or
// Range arithmetic). 64 GiB: larger than any real layer.
inline constexpr int64_t max_descriptor_size = int64_t(64) << 30;

// Parse one descriptor object: mediaType, digest (validated), size (0..max), optional urls,
// annotations, platform, artifactType.
Result<Descriptor> parse_descriptor(const json_t* obj);
JsonPtr descriptor_to_json(const Descriptor& d);

// The platform fields (os, architecture, variant, os.version, os.features) of an object: a
// descriptor's "platform" member or the top level of an image config. Not normalised.
Result<Platform> parse_platform_fields(const json_t* obj);

}  // namespace ocipod
