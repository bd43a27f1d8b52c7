// The file-system steps of applying one layer entry, each relative to a directory fd of the
// diff directory: replacing what a name holds (THREATS 10, 15, 41), whiteouts in overlay form
// (39, 40), hard-link targets (21-29) and copies of lower-layer files, and the directory times
// applied once every entry is in place.
#pragma once

#include <sys/stat.h>

#include <string>
#include <vector>

#include "base/result.hpp"
#include "base/unique_fd.hpp"
#include "render/apply_resolve.hpp"

namespace ocipod {

struct Cleared {
    bool existed = false;
    bool was_whiteout = false;  // a char 0/0 this layer made
};

// Make dir_fd/name free for a new entry: unlink what is there, or remove a directory tree
// (fd-relative, never following symlinks).
Result<Cleared> clear_name(int dir_fd, const std::string& name, bool keep_dir);

// The directory dir_fd/name, kept if it is one already, made otherwise; opaque if it replaces
// a whiteout of this layer (a re-created directory hides the lower one's children).
Result<UniqueFd> make_entry_dir(int dir_fd, const std::string& name);

// ".wh.NAME" in dir_fd: a char 0/0 device at NAME, unless this layer made NAME itself (a
// whiteout only removes lower-layer content); a directory of this layer becomes opaque.
Status whiteout_at(int dir_fd, const std::string& name);

struct LinkTarget {
    UniqueFd parent;  // the target's directory in the diff dir, if the target is there
    struct stat st = {};
    bool whiteout = false;  // removed earlier by this layer
};
// The target of a hard link, looked up in this layer's diff dir (not created).
Result<LinkTarget> find_link_target(ApplyState& s, const std::string& parent,
                                    const std::string& name);

// A hard link to a lower-layer file becomes a copy of it (data and metadata) at dir_fd/name.
Status copy_lower_link(ApplyState& s, const std::string& target, int dir_fd,
                       const std::string& name);

// Directory times, after every child exists; a path now holding another directory is skipped.
Status apply_dir_times(int diff, const std::vector<DirTime>& times);

}  // namespace ocipod
