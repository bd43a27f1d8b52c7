// The execution parameters of an image config (image-spec config.md, the "config" object; Docker
// images call it the same): what the image says to run and how. Pure data, parsed strictly: a
// field of the wrong JSON type is an error naming the field; absent fields are empty.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"

namespace ocipod {

struct ImageRunConfig {
    std::string user;                        // "", "name", "uid", "name:group", "uid:gid"
    std::vector<std::string> exposed_ports;  // keys of ExposedPorts ("80/tcp"), sorted
    std::vector<std::string> env;            // "K=V", in order
    std::vector<std::string> entrypoint;
    std::vector<std::string> cmd;
    std::vector<std::string> volumes;  // keys of Volumes, sorted
    std::string working_dir;
    std::map<std::string, std::string> labels;
    std::string stop_signal;  // "SIGTERM", "15", "" when unset
    // The top-level fields conversion.md turns into org.opencontainers.image.* annotations
    // (os, architecture, variant, os.version, os.features, author, created); "" when unset.
    std::map<std::string, std::string> image_annotations;
    // ArgsEscaped is Windows-only and ignored; Healthcheck, OnBuild, Shell are Docker's and are
    // not part of the OCI conversion.
};

// From the bytes of a whole image config (the same bytes parse_image_config reads).
Result<ImageRunConfig> parse_image_run_config(std::string_view config_bytes);

}  // namespace ocipod
