#include "oci/media_types.hpp"

namespace ocipod::media {

bool layer_compression(std::string_view type, Compression* out) {
    struct Entry {
        std::string_view type;
        Compression c;
    };
    static constexpr Entry table[] = {
        {oci_layer_tar, Compression::none},          {oci_layer_gzip, Compression::gzip},
        {oci_layer_zstd, Compression::zstd},         {oci_layer_nondist_tar, Compression::none},
        {oci_layer_nondist_gzip, Compression::gzip}, {oci_layer_nondist_zstd, Compression::zstd},
        {docker_layer_gzip, Compression::gzip},      {docker_layer_foreign_gzip, Compression::gzip},
    };
    for (const Entry& e : table)
        if (e.type == type) {
            if (out) *out = e.c;
            return true;
        }
    return false;
}

}  // namespace ocipod::media
