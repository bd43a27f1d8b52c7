// File-system primitives used by the store and the fetcher. Everything works relative to directory
// fds and opens with O_CLOEXEC. The commit protocol lives here once: write a temp file, fsync it,
// rename it into place, fsync the directory.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "base/unique_fd.hpp"

namespace ocipod {

// Open (and with create, make with mode) a directory; relative to dirfd (AT_FDCWD for paths).
Result<UniqueFd> open_dir(int dirfd, const std::string& path, bool create, mode_t mode = 0700);
// mkdir -p of one of our own paths (absolute or relative to the cwd; never an image-controlled
// one): every level made gets mode, existing levels are left as they are.
Status make_dirs(const std::string& path, mode_t mode = 0700);

// Read a whole file; refuse with EFBIG if it holds more than cap bytes (reads at most cap+1).
Result<std::string> read_fd_capped(int fd, size_t cap);
Result<std::string> read_file_capped(int dirfd, const std::string& path, size_t cap);

Status write_all(int fd, std::string_view data);
Status fsync_fd(int fd, const char* what);

// Whether write_file_atomic makes the new content durable (fsync of the file, then of the
// directory) or only atomic: readers still see the old or the new content, never a mix, but
// after a power loss the file may be empty or gone. Store data is durable. Runtime state, pid
// and status files, and the records of pods removed when they end are atomic only: on a disk
// each sync costs milliseconds, several per pod start, for state a reboot makes moot anyway.
enum class Sync { durable, atomic_only };

// Atomically replace dirfd/name with data: temp file in the same directory, (fsync,) renameat,
// (fsync(dirfd)).
Status write_file_atomic(int dirfd, const std::string& name, std::string_view data,
                         mode_t mode = 0600, Sync sync = Sync::durable);

// renameat2(RENAME_NOREPLACE). Returns EEXIST as an Error code the caller may treat as success.
Status rename_noreplace(int olddirfd, const std::string& oldname, int newdirfd,
                        const std::string& newname);

// Remove a file or a whole directory tree below dirfd (no symlink following). Missing is fine.
Status remove_tree(int dirfd, const std::string& name);

// Names of the regular files in the directory dirfd (symlinks followed; dangling ones and other
// kinds skipped), sorted byte-wise. what names the directory in errors.
Result<std::vector<std::string>> list_regular_files(int dirfd, const std::string& what);

// Bytes dirfd/name takes on disk (st_blocks), the whole tree for a directory, each inode counted
// once; entries that vanish or cannot be read count nothing. Symlinks are not followed.
uint64_t disk_usage(int dirfd, const std::string& name);

// A name for temporary files that is unique in this process and among processes: ".tmp-PID-N".
std::string temp_name(std::string_view prefix);

}  // namespace ocipod
