// The oci-layout file of an OCI image layout (image-spec image-layout.md): the marker that says
// which layout version a directory holds. Used for our own store and for layouts we import.
#pragma once

#include <string>
#include <string_view>

#include "base/result.hpp"

namespace ocipod {

inline constexpr const char* oci_layout_file_name = "oci-layout";

// The content we write: {"imageLayoutVersion":"1.0.0"}.
std::string oci_layout_file_content();

// imageLayoutVersion must be the version we implement; another version is a layout we do not
// know how to read (ENOTSUP), a malformed file is EBADMSG.
Status check_oci_layout_file(std::string_view bytes);

}  // namespace ocipod
