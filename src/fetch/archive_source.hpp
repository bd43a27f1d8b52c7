// Pulling from archives users hand us:
//   oci-archive:FILE[:REF]     a tar (or tar.gz) of an OCI image layout; REF selects an entry of
//                              its index.json exactly as for oci:DIR (oci_layout_source.hpp).
//   docker-archive:FILE[:X]    `docker save` output: manifest.json lists images as
//                              {"Config": "x.json", "RepoTags": ["a:b"], "Layers":
//                              ["y/layer.tar"]}. X is "@N" (the N-th entry, 0-based) or a reference
//                              matched against the normalised RepoTags; without X the only entry is
//                              taken.
//
// Both read the file in passes: the first reads the metadata and keeps small members (capped),
// the next streams the blobs that are still needed straight into store ingests. An oci-archive
// may hold only oci-layout, index.json, directories and blobs/ALG/HEX files with a valid digest
// as name; anything else, links included, is refused.
//
// A docker-archive image becomes an OCI image: the config bytes are stored as they are (their
// sha256 is the config digest, media type application/vnd.oci.image.config.v1+json); each layer
// tar is stored uncompressed as application/vnd.oci.image.layer.v1.tar with digest = sha256 of
// its bytes, which must equal the config's rootfs.diff_ids[i]; a schema 2 OCI manifest is built
// over them (deterministically, so importing the same archive twice gives the same digest).
// Symlinked or hard-linked layer files (older docker save output shares layers that way) are
// followed inside the archive. An archive without manifest.json but with an OCI layout (index.json
// and oci-layout) is read as an oci-archive, with X selecting as REF does there. The naming rule
// is local_image_name (source.hpp): the matched or first RepoTag, else localhost/BASENAME:latest.
#pragma once

#include <string>
#include <string_view>

#include "base/result.hpp"
#include "base/unique_fd.hpp"
#include "fetch/progress.hpp"
#include "fetch/puller.hpp"
#include "oci/platform.hpp"
#include "store/store.hpp"

namespace ocipod {

Result<PullResult> pull_oci_archive(Store& store, const std::string& file, std::string_view ref,
                                    const Platform& platform, ProgressSink* progress);

Result<PullResult> pull_docker_archive(Store& store, const std::string& file,
                                       std::string_view selector, const Platform& platform,
                                       ProgressSink* progress);

// The oci-archive reader over an open archive; docker_files also admits docker save's
// manifest.json and repositories next to the layout (they are ignored).
Result<PullResult> pull_layout_archive(Store& store, UniqueFd fd, const std::string& file,
                                       std::string_view ref, const Platform& platform,
                                       ProgressSink* progress, bool docker_files);

}  // namespace ocipod
