// What the user asked to pull, parsed from one string, and the names given to images from local
// sources.
//
// Source syntax:
//   oci:DIR[:REF]             an OCI image layout directory
//   oci-archive:FILE[:REF]    a tar (optionally gzip) of an OCI image layout
//   docker-archive:FILE[:X]   `docker save` output; X is a reference matched against RepoTags, or
//                             "@N" for the N-th image (0-based) as skopeo writes it
//   [docker://]REF            anything else: a registry reference (parse_reference), except
//                             the other containers-image transports (containers-storage:,
//                             docker-daemon:, dir:, ostree:, sif:, tarball:), refused by name
//
// Splitting PATH from REF: paths may contain ':' and REFs often do ("oci:/x:docker.io/a/b:1").
// The whole remainder is the path when it names an existing object of the right kind (a directory
// for oci:, a non-directory for the archives); otherwise the path ends at the FIRST ':' whose
// prefix names such an object, and everything after it is REF. When nothing matches, the path is
// the text before the first ':' (so the error names what the user most likely meant).
//
// Naming images from local sources (what the ref in the store is called):
//   - a value that contains '/', ':' or '@' is a reference: it is normalised with parse_reference
//     ("alpine:3.20" -> "docker.io/library/alpine:3.20");
//   - anything else is a tag: the image is named "localhost/BASENAME:TAG";
//   - with no value at all the image is "localhost/BASENAME:latest".
// BASENAME is the last path component of DIR or FILE with a trailing .tar, .tgz, .gz, .zst or .oci
// removed (repeatedly), lowercased, with every run of characters outside [a-z0-9] other than a
// single '.', '_', '__' or a run of '-' turned into '-', separators trimmed from both ends, at
// most 64 characters; "image" when nothing is left. podman names imported images localhost/ too.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/result.hpp"
#include "oci/reference.hpp"

namespace ocipod {

enum class SourceKind { registry, oci_dir, oci_archive, docker_archive };

struct Source {
    SourceKind kind = SourceKind::registry;
    Reference ref;          // registry sources
    std::string path;       // local sources
    std::string local_ref;  // local sources: REF as given, "" when omitted
};

Result<Source> parse_source(std::string_view s);

// BASENAME as described above.
std::string local_image_basename(std::string_view path);

// The stored name for a local image: value is REF, a ref.name annotation or a RepoTag ("" when
// there is none); path is the source's DIR or FILE.
Result<Reference> local_image_name(std::string_view value, std::string_view path);

}  // namespace ocipod
