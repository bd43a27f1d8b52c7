// Reading the configuration files other tools own (registries.conf, auth.json): a file that is
// absent means "not configured", anything else that goes wrong is an error naming the file.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"

namespace ocipod {

// Configuration files are small; a larger one is refused rather than read whole.
inline constexpr size_t config_file_cap = 4u << 20;

// The content of path, or nullopt when it (or a parent directory) does not exist.
Result<std::optional<std::string>> read_config_file(const std::string& path,
                                                    size_t cap = config_file_cap);

// Full paths of the regular files (symlinks followed) named *suffix in dir, in byte-wise lexical
// order as containers-registries.conf.d(5) loads them; a missing dir has none.
Result<std::vector<std::string>> list_config_dropins(const std::string& dir,
                                                     std::string_view suffix);

}  // namespace ocipod
