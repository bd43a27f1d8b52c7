// The merged view of a layer's complete lower layers (diff directories in overlay form, topmost
// first), as overlayfs would show it: the topmost layer holding a path decides it; a char 0/0
// device removes it; a directory with trusted.overlay.opaque=y hides what the layers below hold
// under it; a non-directory hides everything below it in lower layers. Lookups walk each layer
// component by component with openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS): a symlink is
// reported, never followed, so the caller resolves it in the merged root (THREATS 11-17).
#pragma once

#include <sys/stat.h>

#include <string>
#include <vector>

#include "base/result.hpp"
#include "base/unique_fd.hpp"

namespace ocipod {

struct LowerEntry {
    enum class Kind { missing, dir, symlink, other };
    Kind kind = Kind::missing;
    // Components of the path consumed: fewer than asked when an ancestor is not a directory
    // (kind then describes that ancestor).
    size_t depth = 0;
    UniqueFd parent;  // O_PATH fd of the directory holding it, in the layer that provides it
    std::string name;
    struct stat st = {};
};

class LowerView {
public:
    explicit LowerView(const std::vector<int>& lowers) : lowers_(lowers) {}
    // The merged entry at path ("a/b/c", no "." or ".." components; "" is the root).
    Result<LowerEntry> lookup(const std::string& path) const;

private:
    const std::vector<int>& lowers_;
};

// The target of a symlink at dir_fd/name (at most 4095 bytes).
Result<std::string> read_link_at(int dir_fd, const std::string& name);

// Split a cleaned path into its components.
std::vector<std::string> path_components(const std::string& path);

}  // namespace ocipod
