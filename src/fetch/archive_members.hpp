// Reading the tar archives users hand us (oci-archive, docker-archive) in passes over the file.
// Only the tar format, uncompressed or gzip (THREATS.md §1.3). Member names are cleaned
// lexically before anything looks at them: absolute names, '..' and empty components are refused,
// so no name can point outside the archive's own namespace.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "base/result.hpp"
#include "base/unique_fd.hpp"
#include "c/archive.hpp"

namespace ocipod {

// Bounds on hostile archives: members per archive, and memory spent keeping small members
// (manifests, configs) from the first pass so that later lookups need no extra pass.
inline constexpr size_t max_archive_members = 100000;
inline constexpr size_t archive_cache_budget = 32u << 20;

// "./a/b" -> "a/b", "a/" -> "a", "." and "./" -> "" (the archive root). Refuses "", absolute
// names, "." or ".." components after the first, and empty components ("a//b").
Result<std::string> clean_member_name(std::string_view raw);

// The member a link entry points at: a symlink target is relative to the member's directory,
// a hard-link target to the archive root. Refuses targets that are absolute or leave the archive.
Result<std::string> resolve_member_link(std::string_view member, const TarEntry& entry);

// Open a user's archive: a regular file (the passes seek back to its start).
Result<UniqueFd> open_archive_file(const std::string& path);

// One pass over the whole archive from its start; fn sees each member with its cleaned name and
// may read its data from the reader (unread data is skipped).
using MemberFn =
    std::function<Status(const std::string& name, const TarEntry& entry, TarReader& reader)>;
Status for_each_member(int fd, const MemberFn& fn);

// The rest of the current member's data, refusing more than cap bytes (EFBIG).
Result<std::string> read_member(TarReader& reader, const TarEntry& entry, size_t cap);

}  // namespace ocipod
