// Platforms (image-spec image-index.md "platform") and the choice of one manifest from an index.
// Names are normalised the way users and other tools write them: x86_64/x86-64 -> amd64,
// aarch64 -> arm64 (variant v8 dropped), armhf -> arm/v7, armel -> arm/v6, arm without a variant
// -> arm/v7. Entries for unknown/unknown (attestations) are never chosen.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/result.hpp"

namespace ocipod {

struct Platform {
    std::string os;
    std::string architecture;
    std::string variant;
    std::string os_version;
    std::vector<std::string> os_features;

    // "linux/arm64", "linux/arm/v7".
    std::string str() const;
    bool operator==(const Platform&) const = default;
};

// Parse "os/arch[/variant]" as given to --platform, normalised.
Result<Platform> parse_platform(std::string_view s);
// Normalise arch and variant names in place (see the header comment).
Platform normalize_platform(Platform p);
// The platform of this machine (uname, normalised), os "linux".
Platform host_platform();

// Does an index entry's platform satisfy the wanted one? Normalises both; an arm64 entry with
// variant "v8" or none matches arm64; arm/v7 wanted matches v7, v6, v5 entries.
bool platform_matches(const Platform& wanted, const Platform& entry);
// Preference among matching entries: lower is better (exact variant first, then older variants).
int platform_rank(const Platform& wanted, const Platform& entry);

}  // namespace ocipod
