// linux.maskedPaths and linux.readonlyPaths (config-linux.md; THREATS §2.5), applied after
// pivot_root, all resolved in the pod's root and mounted through fds. A masked file gets the
// pod's /dev/null bound over it, but only once that /dev/null, opened O_PATH, has been checked to
// be the char device 1:3, so an image that made it a symlink to a procfs file cannot turn the mask
// into a writable window on it (CVE-2025-31133); a masked directory gets an empty read-only
// tmpfs. Read-only paths are bound onto themselves and made read-only, submounts included, every
// other flag kept. Paths the root does not have are skipped.
#pragma once

#include <string>
#include <vector>

#include "base/result.hpp"

namespace ocipod {

Status mask_paths(int root_fd, const std::vector<std::string>& paths);
Status make_paths_readonly(int root_fd, const std::vector<std::string>& paths);

}  // namespace ocipod
