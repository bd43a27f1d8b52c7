// Ownership, mode, times and xattrs of a layer entry (THREATS.md §1.4 E), read from the tar
// header and applied to the inode that was just created. Order matters: chown clears setuid,
// setgid and security.capability, so xattrs and chmod come after it (52, 56); directory times
// are applied by the caller after all children exist.
#pragma once

#include <sys/types.h>
#include <time.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "base/result.hpp"

struct archive_entry;

namespace ocipod {

// Bounds on the xattrs of one entry (THREATS 59).
constexpr size_t max_xattr_name = 255;
constexpr size_t max_xattr_value = 64 * 1024;
constexpr size_t max_xattr_count = 512;

struct EntryMeta {
    uint32_t uid = 0;
    uint32_t gid = 0;
    mode_t mode = 0;  // permission bits incl. setuid, setgid and sticky
    struct timespec atime = {};
    struct timespec mtime = {};
    // Only the names we apply: security.capability, user.*, system.posix_acl_* (55, 57).
    std::vector<std::pair<std::string, std::string>> xattrs;
};

// Validated metadata of e: ids below 2^32-1 (53), bounded xattrs (59).
Result<EntryMeta> read_entry_meta(struct archive_entry* e);

// On a regular file or directory fd (opened for reading or writing, not O_PATH).
Status apply_meta_fd(int fd, const EntryMeta& m, bool is_dir);
// On a symlink dir_fd/name: owner and times only, never xattrs (58).
Status apply_meta_symlink(int dir_fd, const std::string& name, const EntryMeta& m);
// On a FIFO or device, through an O_PATH fd of it (opening one for reading could block or
// reach a driver).
Status apply_meta_special(int path_fd, const EntryMeta& m);
Status set_times_fd(int fd, const struct timespec& atime, const struct timespec& mtime);

// Copy-up of a lower inode's metadata onto fd (owner, mode, xattrs but trusted.overlay.*, and
// times when with_times).
Status copy_meta_fd(int src_fd, int dst_fd, bool with_times);

}  // namespace ocipod
