// A root file system from a chain of layer diff directories (see layer_apply.hpp for their form),
// two ways that give identical trees:
//   - overlay: an overlayfs mount whose lowerdirs are the layer dirs (topmost first) with a
//     writable upper and work dir beside it; nothing is copied;
//   - flattened: the layers copied bottom-up into an empty directory, applying whiteouts (char
//     0/0: remove) and opaque directories (drop the lower children) on the way. File data is
//     copied (copy_file_range / reflink), never hard-linked to the cache; hard links inside a
//     layer stay hard links; ownership, modes (chmod after chown), xattrs, devices and times
//     (directories last) are kept exactly.
// Both work relative to directory fds; nothing outside the target is touched.
#pragma once

#include <string>
#include <vector>

#include "base/result.hpp"

namespace ocipod {

enum class RootfsMode { automatic, overlay, copy };
const char* rootfs_mode_name(RootfsMode m);
Result<RootfsMode> parse_rootfs_mode(std::string_view text);  // "auto", "overlay", "copy"

// Mount overlayfs on target (an existing empty directory). lowers: absolute paths of layer
// diff dirs, topmost first (any number: the new mount API's "lowerdir+" is used when the kernel
// has it, else a single option string, with EINVAL/E2BIG when it is too long). upper and work:
// existing empty directories on one file system.
Status mount_overlay(const std::vector<std::string>& lowers, const std::string& upper,
                     const std::string& work, const std::string& target);

// Copy the merged tree of layers (diff dir fds, bottommost first) into the empty directory
// target_dirfd. bytes_copied (optional) receives the file data bytes written.
Status flatten_layers(const std::vector<int>& layers, int target_dirfd,
                      uint64_t* bytes_copied = nullptr);

}  // namespace ocipod
