// Media types of the OCI image-spec (media-types.md) and Docker's image manifest v2 schema 2.
#pragma once

#include <string_view>

namespace ocipod::media {

inline constexpr std::string_view oci_layout_version = "1.0.0";

inline constexpr std::string_view oci_manifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr std::string_view oci_index = "application/vnd.oci.image.index.v1+json";
inline constexpr std::string_view oci_config = "application/vnd.oci.image.config.v1+json";
inline constexpr std::string_view oci_empty = "application/vnd.oci.empty.v1+json";
inline constexpr std::string_view oci_layer_tar = "application/vnd.oci.image.layer.v1.tar";
inline constexpr std::string_view oci_layer_gzip = "application/vnd.oci.image.layer.v1.tar+gzip";
inline constexpr std::string_view oci_layer_zstd = "application/vnd.oci.image.layer.v1.tar+zstd";
inline constexpr std::string_view oci_layer_nondist_tar =
    "application/vnd.oci.image.layer.nondistributable.v1.tar";
inline constexpr std::string_view oci_layer_nondist_gzip =
    "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip";
inline constexpr std::string_view oci_layer_nondist_zstd =
    "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd";

inline constexpr std::string_view docker_manifest =
    "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr std::string_view docker_manifest_list =
    "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr std::string_view docker_config = "application/vnd.docker.container.image.v1+json";
inline constexpr std::string_view docker_layer_gzip =
    "application/vnd.docker.image.rootfs.diff.tar.gzip";
inline constexpr std::string_view docker_layer_foreign_gzip =
    "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip";
inline constexpr std::string_view docker_schema1 =
    "application/vnd.docker.distribution.manifest.v1+json";
inline constexpr std::string_view docker_schema1_signed =
    "application/vnd.docker.distribution.manifest.v1+prettyjws";

enum class Compression { none, gzip, zstd };

inline bool is_index(std::string_view t) {
    return t == oci_index || t == docker_manifest_list;
}
inline bool is_manifest(std::string_view t) {
    return t == oci_manifest || t == docker_manifest;
}
inline bool is_image_config(std::string_view t) {
    return t == oci_config || t == docker_config;
}
inline bool is_schema1(std::string_view t) {
    return t == docker_schema1 || t == docker_schema1_signed;
}
inline bool is_docker(std::string_view t) {
    return t == docker_manifest || t == docker_manifest_list;
}

// The layer types we can apply, with their compression; false for anything else (bzip2, in-toto,
// unknown), so such layers are refused before they are downloaded.
bool layer_compression(std::string_view type, Compression* out);

// The value sent in Accept for manifest requests: all four types, OCI first. Debian's
// docker-registry answers 404 for an OCI manifest when Accept lacks the OCI type.
inline constexpr const char* manifest_accept =
    "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, "
    "application/vnd.docker.distribution.manifest.list.v2+json, "
    "application/vnd.docker.distribution.manifest.v2+json";

}  // namespace ocipod::media
