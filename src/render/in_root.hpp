// Opening image-controlled paths below a directory fd (DESIGN.md §5.1): openat2 with
// RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS, so ".." and absolute symlinks stop at the root and
// the kernel re-resolves every component at each call (a directory swapped for a symlink by
// another process cannot lead outside). glibc 2.36 has no openat2 wrapper.
#pragma once

#include <sys/stat.h>

#include <cstdint>
#include <string>

#include "base/result.hpp"
#include "base/unique_fd.hpp"

namespace ocipod {

// Symlink hops allowed when resolving a path, as the kernel's own limit (THREATS 17).
constexpr int max_symlink_hops = 40;

// openat2(dirfd, path, flags | O_CLOEXEC) with resolve flags; errno is kept in the Error code.
Result<UniqueFd> openat2_fd(int dirfd, const std::string& path, int flags, uint64_t resolve);

// path inside root_fd as an O_PATH directory fd, symlinks resolved inside the root.
Result<UniqueFd> open_dir_in_root(int root_fd, const std::string& path);
// path below dir_fd as an O_PATH directory fd, no symlink allowed in any component.
Result<UniqueFd> open_dir_beneath(int dir_fd, const std::string& path);
// A readable fd of the directory an O_PATH fd refers to (for fsetxattr, fchown, futimens).
Result<UniqueFd> reopen_dir(int path_fd);

// lstat of dir_fd/name; ENOENT is reported as false.
Result<bool> stat_at(int dir_fd, const std::string& name, struct stat* st);

// "a/b/c" -> {"a/b", "c"}; "c" -> {"", "c"}.
std::pair<std::string, std::string> split_parent(const std::string& path);
// "a" + "b" -> "a/b"; "" + "b" -> "b".
std::string join_path(const std::string& dir, const std::string& name);

}  // namespace ocipod
