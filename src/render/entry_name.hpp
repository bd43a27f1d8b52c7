// What one tar entry name in a layer means (image-spec layer.md, THREATS.md §1.4 A and D),
// decided from the name alone before anything touches the file system:
//   - the name is cleaned: a leading "/" or "./" and empty or "." components are dropped, so
//     "/etc/passwd" is "etc/passwd" inside the root; ".." anywhere, an empty result for a
//     non-directory, and NUL bytes are refused;
//   - ".wh.NAME" whites out NAME in the same directory; ".wh..wh..opq" makes the directory
//     opaque; other ".wh..wh.*" names are AUFS metadata and are never extracted;
//   - ".wh." alone, ".wh..", ".wh..." and a ".wh." prefix on a directory component are refused:
//     such names cannot exist in an image.
// Whether an entry is a whiteout depends on the name only, whatever its type (umoci: "the path
// is the only thing that matters").
#pragma once

#include <string>
#include <string_view>

#include "base/result.hpp"

namespace ocipod {

enum class EntryKind {
    regular,   // create or replace `path`
    root,      // the root itself ("/", "./"): metadata only, never a type change
    whiteout,  // remove `path` (the whited-out name) from lower layers
    opaque,    // hide all lower-layer children of the directory `path` ("" = the root)
    skip,      // AUFS metadata (.wh..wh.plnk and friends): not extracted
};

struct EntryName {
    EntryKind kind;
    std::string path;  // cleaned, relative to the root, no leading or trailing '/'
};

// is_dir: the entry is a directory (only a directory may name the root).
Result<EntryName> classify_entry_name(std::string_view name, bool is_dir);

}  // namespace ocipod
