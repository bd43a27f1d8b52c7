// Pulling from an OCI image layout (image-spec image-layout.md): the oci:DIR[:REF] source, and
// the layout rules the oci-archive source shares.
//
// Entry selection in index.json: with REF, the entries whose org.opencontainers.image.ref.name
// equals REF (or, when REF looks like a reference, whose value normalises to the same
// reference); without REF, the only entry, or all entries when they share one name. Several
// entries selected at once (one per platform, as some tools write them) are treated as an index
// and resolved by platform. Several entries and no REF is an error that lists the names.
// The image is named by local_image_name(REF or the chosen entry's ref.name, DIR) (source.hpp).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/result.hpp"
#include "fetch/image_import.hpp"
#include "fetch/progress.hpp"
#include "fetch/puller.hpp"
#include "oci/descriptor.hpp"
#include "oci/platform.hpp"
#include "store/store.hpp"

namespace ocipod {

// oci-layout and index.json are small; anything bigger is not a layout we want to read.
inline constexpr size_t max_layout_file_bytes = 64 * 1024;

struct LayoutChoice {
    Descriptor top;                             // the selected entry, when there is one
    std::optional<std::string> implicit_index;  // else: an index made of the selected entries
    std::string name_value;                     // REF, or the entry's ref.name, or ""
};

// Select from index.json's bytes; what names the layout in errors.
Result<LayoutChoice> choose_layout_entry(std::string_view index_json, std::string_view ref,
                                         std::string_view what);
// Import the chosen image from a source that serves the layout's blobs; path names the image.
Result<PullResult> import_layout_choice(ImageSource& source, Store& store,
                                        const LayoutChoice& choice, std::string_view path,
                                        const Platform& platform, ProgressSink* progress);

Result<PullResult> pull_oci_dir(Store& store, const std::string& dir, std::string_view ref,
                                const Platform& platform, ProgressSink* progress);

}  // namespace ocipod
