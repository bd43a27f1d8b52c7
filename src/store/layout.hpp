// Internal to src/store: the open directories of one store (DESIGN.md §3) and the helpers its
// files share. Nothing outside src/store includes this.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "base/unique_fd.hpp"
#include "c/hash.hpp"
#include "oci/digest.hpp"
#include "oci/image_layout.hpp"
#include "store/store.hpp"

namespace ocipod {

struct StoreDirs {
    std::string root;
    UniqueFd root_fd;    // ROOT
    UniqueFd store_fd;   // ROOT/store (the OCI layout)
    UniqueFd blobs_fd;   // ROOT/store/blobs
    UniqueFd sha256_fd;  // ROOT/store/blobs/sha256
    UniqueFd sha512_fd;  // ROOT/store/blobs/sha512
    UniqueFd ingest_fd;  // ROOT/ingest
    UniqueFd layers_fd;  // ROOT/layers
    UniqueFd lock_fd;    // ROOT/lock, holding the shared store lock
    dev_t root_dev = 0;  // identify the store in the in-process ingest registry
    ino_t root_ino = 0;

    int alg_fd(HashAlg alg) const {
        return alg == HashAlg::sha256 ? sha256_fd.get() : sha512_fd.get();
    }
};

struct Store::State : StoreDirs {};

// Reads and hashes in chunks of this size, so memory does not grow with the blob.
inline constexpr size_t hash_chunk_bytes = size_t(1) << 20;

// Largest index.json we read (about 100 000 refs).
inline constexpr size_t max_index_json_bytes = size_t(64) << 20;

inline constexpr const char* index_json = "index.json";
inline constexpr const char* oci_layout_file = oci_layout_file_name;

// Feed the whole file (from offset 0 to EOF, with pread) into h; *bytes receives its length.
Status hash_fd(int fd, Hasher& h, int64_t* bytes);

// Names in a directory, without "." and "..".
Result<std::vector<std::string>> list_dir_names(int dirfd, const char* what);

// Name of a complete layer's directory under layers/: "sha256-HEX" of its ChainID, and back
// (nullopt for anything else: staging dirs, locks, temp names, foreign files).
std::string layer_dir_name(const Digest& d);
std::optional<Digest> parse_layer_dir_name(const std::string& name);

// Name of a blob's directory under ingest/: "sha256-HEX".
std::string ingest_dir_name(const Digest& d);

// The pid embedded in a temp_name() ".tmp-PREFIX-PID-N", or nullopt if the name is not one.
std::optional<pid_t> temp_name_pid(std::string_view name);

// Remove ".tmp-*" entries of dirfd: all of them when all is true (the caller holds the lock that
// every writer of that directory holds), otherwise only those whose writing process is gone.
Status remove_temp_leftovers(int dirfd, bool all, const char* what);

}  // namespace ocipod
