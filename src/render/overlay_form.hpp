// The overlay form of a layer directory (layer_apply.hpp), in one place for the extractor, the
// lower-layer view, the flattener and the overlay mount: a whiteout is a character device 0/0,
// an opaque directory carries the xattr trusted.overlay.opaque=y (as overlayfs reads them from
// a lowerdir; Documentation/filesystems/overlayfs.rst, "whiteouts and opaque directories").
#pragma once

#include <sys/stat.h>

#include "base/result.hpp"

namespace ocipod {

inline constexpr const char* opaque_xattr = "trusted.overlay.opaque";

inline bool is_whiteout_device(const struct stat& st) {
    return S_ISCHR(st.st_mode) && st.st_rdev == 0;
}

// Whether the directory open at dir_fd is opaque; a file system without xattrs has none.
Result<bool> has_opaque_marker(int dir_fd);
Status set_opaque_marker(int dir_fd);

}  // namespace ocipod
