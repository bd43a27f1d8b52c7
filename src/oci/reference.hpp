// Image references as users type them, normalised the way docker and podman do:
//   alpine                  -> docker.io/library/alpine:latest
//   user/app:1              -> docker.io/user/app:1
//   host:5000/repo/x@sha256:… (a digest wins over a tag for what is pulled)
// The first component is a registry host when it contains '.' or ':' or is "localhost".
// Grammar per distribution/reference: lowercase path components
// [a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*, tags [\w][\w.-]{0,127}, total name length <= 255.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/result.hpp"
#include "oci/digest.hpp"

namespace ocipod {

struct Reference {
    std::string registry;    // "docker.io", "quay.io", "127.0.0.1:5000"
    std::string repository;  // "library/alpine"
    std::string tag;         // "" only when a digest is given without a tag
    std::optional<Digest> digest;
    bool short_name = false;  // the user gave no registry (registries.conf search applies)

    // registry/repository
    std::string name() const;
    // The full normalised form stored as the ref name: name[:tag][@digest].
    std::string str() const;
    // What to ask the registry for: the digest if any, else the tag.
    std::string tag_or_digest() const;
};

inline constexpr std::string_view default_registry = "docker.io";

// Parse and normalise; a short name gets `registry` (docker.io adds "library/" to one-component
// names) and short_name=true. A missing tag becomes "latest" unless a digest is given.
Result<Reference> parse_reference(std::string_view s, std::string_view registry = default_registry);

// The same reference placed on another registry (for unqualified-search-registries): "library/"
// is added or removed as docker.io requires.
Reference with_registry(const Reference& ref, std::string_view registry);

}  // namespace ocipod
