// Mounting through file descriptors with the new mount API (fsopen/fsconfig/fsmount, open_tree,
// move_mount, mount_setattr): a target is always an fd resolved beforehand in the pod's root, so
// no mount follows a path that an image-controlled symlink could redirect between check and use
// (THREATS §2.3, CVE-2021-30465). mount_setattr changes only the attributes it is asked to, so a
// read-only bind never drops a flag the source had (the MS_REMOUNT pitfall of mount(2)).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "base/unique_fd.hpp"

namespace ocipod {

// Per-mount attributes (MOUNT_ATTR_*) to set and to clear; propagation is MS_SHARED, MS_SLAVE,
// MS_PRIVATE or MS_UNBINDABLE (0 = unchanged).
struct MountAttrs {
    uint64_t set = 0;
    uint64_t clear = 0;
    uint64_t propagation = 0;
};

// A new file system instance of type `type`, configured with data options ("size=64m" is a
// string parameter, "newinstance" a flag), as a detached mount with attrs.set applied.
Result<UniqueFd> make_fs_mount(const std::string& type, const std::string& source,
                               const std::vector<std::string>& data, uint64_t attr_flags);

// A detached copy of the mount tree at fd (recursive: with its submounts), i.e. a bind.
Result<UniqueFd> clone_tree(int fd, bool recursive);

// mount_setattr on the mount fd refers to (and below it when recursive).
Status set_mount_attrs(int mount_fd, const MountAttrs& attrs, bool recursive);

// Attach the detached mount mount_fd on top of the file or directory target_fd.
Status attach_mount(int mount_fd, int target_fd);

// The unique mount id (statx STATX_MNT_ID) of the mount fd lives on.
Result<uint64_t> mount_id(int fd);

}  // namespace ocipod
