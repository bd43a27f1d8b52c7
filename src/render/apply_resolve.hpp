// Resolving a directory of a layer in the merged tree (this layer's diff directory over its
// lower layers), the way the layer's tar would be applied to the whole image: symlinks, from
// this layer or a lower one, are followed inside the root (at most 40 hops, THREATS 11-17);
// missing directories are created in the diff directory, copying a lower directory's metadata
// as overlayfs copy-up does, or recorded as fixups when the lower layers are not known yet.
// Every step is one component relative to the directory fd of the previous one, with no
// symlink following by the kernel.
#pragma once

#include <sys/types.h>
#include <time.h>

#include <string>
#include <unordered_set>
#include <vector>

#include "base/result.hpp"
#include "base/unique_fd.hpp"
#include "render/layer_apply.hpp"

namespace ocipod {

struct LayerFixups {
    struct ImplicitDir {
        std::string path;  // in the merged tree
        ino_t ino;         // the directory made for it (skipped if the path now holds another)
    };
    struct Link {
        std::string path;    // the link, as named in the layer
        std::string target;  // its target, cleaned
    };
    std::vector<ImplicitDir> dirs;
    std::vector<Link> links;
    std::vector<std::string> whiteouts;  // whiteouts whose directory the diff lacked
    bool empty() const { return dirs.empty() && links.empty() && whiteouts.empty(); }
};

struct DirTime {
    std::string path;
    ino_t ino;
    struct timespec atime;
    struct timespec mtime;
};

// One layer's application in progress.
struct ApplyState {
    int diff = -1;
    const LowerDirs* lowers = nullptr;  // null: not known yet
    LayerFixups fixups;
    std::vector<DirTime> dir_times;  // applied after every entry (THREATS 54)
};

enum class ResolveMode { create, lookup };

struct ResolvedDir {
    bool found = false;
    UniqueFd fd;          // readable fd in the diff dir; invalid if only the lowers have it
    std::string path;     // the directory's path in the merged tree, symlinks resolved
    bool hidden = false;  // lower layers' content under it is hidden (opaque or whited out)
};

// Directory path of the merged tree. create: make what is missing (a directory is never made
// through a non-directory of this layer: ENOTDIR). lookup: change nothing; found is false
// when the directory does not exist or cannot be known without the lowers.
Result<ResolvedDir> resolve_dir(ApplyState& s, const std::string& path, ResolveMode mode);

}  // namespace ocipod
