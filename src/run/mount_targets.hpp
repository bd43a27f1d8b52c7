// Mount targets inside a pod's root (THREATS §2.3, CVE-2021-30465 and CVE-2024-45310): a
// destination is resolved with openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS) relative to the
// root's fd, so ".." and absolute symlinks stop at the root; missing components are created
// through the fd of their resolved parent, never by a path string, so a symlink swapped in
// between cannot make anything appear on the host.
#pragma once

#include <string>

#include "base/result.hpp"
#include "base/unique_fd.hpp"

namespace ocipod {

// "/a//b/./c/../d/" -> "/a/b/d"; ".." at the root stays at the root, as in-root resolution does.
std::string clean_destination(const std::string& dest);

enum class TargetKind {
    directory,  // create a missing target as a directory (0755)
    file,       // create a missing target as an empty regular file (0644)
    existing,   // ENOENT when missing
};

// O_PATH fd of dest (absolute, in the root) resolved in root_fd. With no_symlinks, no component
// may be a symlink (ELOOP), for /proc and /dev, which must be real directories (runc's
// checkProcMount, CVE-2019-16884 and CVE-2026-41579).
Result<UniqueFd> open_target(int root_fd, const std::string& dest, TargetKind kind,
                             bool no_symlinks = false);

// Attach mount_fd on target_fd, then check that dest resolved in the root again reaches that very
// mount (mount ids compared), i.e. the mount landed inside the root where the spec put it.
Status attach_in_root(int root_fd, const std::string& dest, int mount_fd, int target_fd);

}  // namespace ocipod
