// Resolving a container user ("name", "uid", "name:group", "uid:gid", "") against the image's own
// /etc/passwd and /etc/group (THREATS 80, DESIGN.md §5.4): the files are opened inside the rootfs
// with openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS), must be regular files (a FIFO or device
// is refused without blocking: O_NONBLOCK, then fstat) and are read with a size cap (4 MiB).
// Numeric ids must be in 0..2^32-2 (4294967295 is chown's "no change"); names must exist.
// A missing /etc/passwd is fine for numeric users and for "" (root).
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"

namespace ocipod {

struct ContainerUser {
    uint32_t uid = 0;
    uint32_t gid = 0;
    std::vector<uint32_t> additional_gids;  // groups listing the user by name, sorted, no gid
    std::string home;                       // from passwd, "/" when unknown
};

Result<ContainerUser> resolve_container_user(int rootfs_dirfd, std::string_view spec);

// The home directory of uid in the text of a passwd(5) file, parsed as above; "/" when no entry
// has it or its home field is empty (runc's HOME for a process.env without one).
std::string passwd_home(std::string_view passwd, uint32_t uid);

}  // namespace ocipod
