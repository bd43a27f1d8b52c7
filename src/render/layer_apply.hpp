// Applying one layer tar to an overlay "diff" directory: the directory holds exactly what the
// layer changes, in the form overlayfs reads from a lowerdir, so the layer cache can mount a
// chain of them and the flattener can copy them:
//   - a removed path (".wh.NAME") is a character device 0/0 named NAME;
//   - a directory whose lower-layer children are hidden (".wh..wh..opq", or a directory that
//     this layer whites out and re-creates) carries the xattr trusted.overlay.opaque=y;
//   - every other entry is the file itself with its metadata.
// Semantics are those of applying the tar to the merged tree of all lower layers (image-spec
// layer.md; THREATS.md §1.4): whiteouts remove lower-layer content only; an opaque marker hides
// lower children whatever its position in the tar; parent components are resolved in the merged
// tree, following symlinks inside the root; a hard link may name a file of this layer or of a
// lower one (the latter becomes a copy, since layer dirs never share inodes).
//
// Security (DESIGN.md §5): every create/open/chmod/chown/utimens/xattr is relative to a directory
// fd obtained with openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS) below diff_dirfd, and metadata
// is applied to the fd that was created (chmod after chown, so setuid bits survive; directory
// mtimes last). Names go through classify_entry_name. Hard links never to directories and never
// with data; devices only when options.create_devices; a char 0/0 device, trusted.* xattrs and
// security.selinux in a layer are refused or dropped, never applied. libarchive status other than
// OK is fatal. A failed apply leaves diff_dirfd in an undefined state for the caller to discard;
// nothing outside it is ever touched, even while another process swaps directories and symlinks
// inside it (openat2 re-resolves every component in the root).
//
// Parallel extraction: a layer can be applied before its lower layers exist (lowers == nullptr).
// Then whatever only the lower layers can decide is recorded as a fixup: parent directories this
// layer did not list (their metadata must come from the lower layer, as overlay copy-up does) and
// hard links to files not in this layer. apply_fixups() settles them once the lower layers are
// complete; when the layer's own paths run through a lower-layer symlink, the extraction has to be
// redone with the lowers known (apply_fixups returns false and the caller re-applies).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "c/archive.hpp"

namespace ocipod {

struct LayerApplyOptions {
    // Entries per layer (directories, files, links and whiteouts all count); THREATS 63.
    uint64_t max_entries = 2'000'000;
    // Create block/char devices (only as real root outside a user namespace). When false a
    // device entry is refused.
    bool create_devices = false;
};

struct LayerApplyReport {
    uint64_t entries = 0;        // tar members seen
    uint64_t files = 0;          // regular files written
    uint64_t bytes_written = 0;  // file data bytes written
};

// What a layer applied without its lower layers still needs from them; opaque to callers.
struct LayerFixups;

struct LayerApplyResult {
    LayerApplyReport report;
    std::shared_ptr<LayerFixups> fixups;  // null when nothing is left to settle
};

// The complete lower layers of a layer, as diff directories (borrowed fds), topmost first.
using LowerDirs = std::vector<int>;

// Apply every member of tar to the empty diff directory diff_dirfd. lowers: the complete lower
// layers, or nullptr when they are not known yet (see above). what names the layer in errors.
Result<LayerApplyResult> apply_layer(TarReader& tar, int diff_dirfd, const LowerDirs* lowers,
                                     const LayerApplyOptions& options, const std::string& what);

// Settle fixups once every lower layer is complete. false: the layer must be applied again
// with lowers (its diff directory is then to be emptied by the caller first).
Result<bool> apply_fixups(int diff_dirfd, const LowerDirs& lowers, const LayerFixups& fixups);

}  // namespace ocipod
