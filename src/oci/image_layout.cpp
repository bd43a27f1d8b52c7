#include "oci/image_layout.hpp"

#include "c/json.hpp"
#include "oci/media_types.hpp"

namespace ocipod {

std::string oci_layout_file_content() {
    return strf(R"({"imageLayoutVersion":"%.*s"})",
                static_cast<int>(media::oci_layout_version.size()),
                media::oci_layout_version.data());
}

Status check_oci_layout_file(std::string_view bytes) {
    JsonPtr doc = TRY(json_parse(bytes, "oci-layout"));
    if (!json_is_object(doc.get())) return make_error(EBADMSG, "'oci-layout' is not an object");
    std::string version =
        TRY_WRAP(json_req_string(doc.get(), "imageLayoutVersion"), "'oci-layout'");
    if (version != media::oci_layout_version)
        return make_error(
            ENOTSUP, "OCI layout version '%s' is not supported (expected '%.*s'), refusing",
            printable(version).c_str(), static_cast<int>(media::oci_layout_version.size()),
            media::oci_layout_version.data());
    return {};
}

}  // namespace ocipod
