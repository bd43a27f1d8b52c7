// The "options" of a runtime-spec mount (config.md "Mounts", mount(8) names) split into what
// the new mount API takes apart: per-mount attributes (ro, nosuid, nodev, noexec, atime),
// their recursive forms for binds (rro, rnosuid, ...), propagation (private, rslave, ...), the
// bind itself (bind, rbind), and the file system's own data options (size=, mode=, ...), which
// only non-bind mounts may have; those are handed to the file system, which refuses what it does
// not know. Options of a bind that mean nothing for a bind are refused.
#pragma once

#include <string>
#include <vector>

#include "base/result.hpp"
#include "run/fd_mount.hpp"

namespace ocipod {

struct MountOptions {
    bool bind = false;
    bool recursive_bind = false;  // rbind
    MountAttrs attrs;             // for the mount itself
    MountAttrs recursive_attrs;   // "r" forms: for the mount and every submount
    uint64_t propagation = 0;     // MS_SHARED, MS_SLAVE, MS_PRIVATE, MS_UNBINDABLE
    bool recursive_propagation = false;
    std::vector<std::string> data;  // file-system options, in order
};

// is_bind: the mount's type is "bind" (options may still say bind/rbind for any type "" or
// "none"). Errors name the option; the caller names the destination.
Result<MountOptions> parse_mount_options(const std::vector<std::string>& options, bool is_bind);

// "shared", "rslave", ... as MS_* plus whether it is recursive; EINVAL for anything else.
Result<std::pair<uint64_t, bool>> parse_propagation(const std::string& name);

}  // namespace ocipod
