// The store: the only code that knows the on-disk format (DESIGN.md §3).
//
//   ROOT/                       mode 0700
//     lock                      OFD locks: byte 0 = store (shared for users, exclusive for GC),
//                               byte 1 = index.json writers (exclusive, short)
//     store/oci-layout          {"imageLayoutVersion":"1.0.0"}
//     store/index.json          refs: manifests[] annotated org.opencontainers.image.ref.name
//     store/blobs/ALG/HEX       verified, read-only (0444) blobs
//     ingest/ALG-HEX/           one in-progress download: data, plus "lock" (OFD lock held by the
//                               writer) — kept across crashes so the next pull resumes
//     quarantine/               blobs that failed `store verify`
//     layers/ALG-HEX/           one extracted layer, named by its ChainID (complete once renamed
//       fs/                     into place): fs/ is the overlay diff directory the renderer
//       layer.json              wrote, layer.json what it was made from (written by the renderer)
//     layers/.staging-ALG-HEX/  an extraction in progress (emptied by the next writer)
//     layers/.lock-ALG-HEX      OFD lock held by the one process extracting that layer
//
// Commit protocol: data is written into ingest, fsync'd, its size and digest verified, then
// renamed with RENAME_NOREPLACE into blobs (EEXIST = someone else committed the same content:
// fine), then blobs/ALG is fsync'd. index.json is rewritten whole (temp + fsync + rename + fsync
// dir) under the index lock. Temp files are ".tmp-*"; leftovers are removed on open. `skopeo
// inspect oci:ROOT/store:REF` and `umoci` read the layout as it is.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "base/unique_fd.hpp"
#include "c/hash.hpp"
#include "oci/descriptor.hpp"
#include "oci/digest.hpp"
#include "store/lock.hpp"

namespace ocipod {

class Store;

// One blob being written. Obtained from Store::begin_ingest, which holds the ingest's lock for
// this object's lifetime so that only one writer (in any process) appends to it. Destroying an
// Ingest without commit() keeps the partial data for a later resume.
class Ingest {
public:
    Ingest(Ingest&&) noexcept;
    Ingest& operator=(Ingest&&) noexcept;
    ~Ingest();

    const Digest& digest() const;
    int64_t expected_size() const;
    // Bytes already in the ingest (resumed from an earlier attempt or process); the next write
    // appends at this offset. Resumed bytes were re-hashed on open.
    int64_t offset() const;

    // Append and hash. Writing past expected_size() fails with EFBIG and writes nothing.
    Status write(const void* data, size_t len);
    // Drop everything written so far (a server that ignored Range, data that cannot be right).
    Status restart();
    // fsync, verify size and digest, rename into blobs/ (EEXIST counts as success), fsync dir.
    // A size or digest mismatch returns EBADMSG and discards the data (it can never become right).
    Status commit();

private:
    friend class Store;
    struct State;
    explicit Ingest(std::unique_ptr<State> s);
    std::unique_ptr<State> s_;
};

// One layer being extracted into the layer cache. Obtained from Store::begin_layer, which holds
// the layer's lock for this object's lifetime. Destroying it without commit() leaves the staging
// directory for the next writer to empty.
class LayerWriter {
public:
    LayerWriter(LayerWriter&&) noexcept;
    LayerWriter& operator=(LayerWriter&&) noexcept;
    ~LayerWriter();

    const Digest& chain_id() const;
    // The empty staging directory fs/ to extract into.
    int fs_fd() const;
    // Empty fs/ again (an extraction that has to be redone).
    Status reset();
    // Write layer.json, syncfs, rename the staging directory to layers/ALG-HEX with
    // RENAME_NOREPLACE (EEXIST: the layer is already complete, fine), fsync layers/.
    Status commit(std::string_view layer_json);

private:
    friend class Store;
    struct State;
    explicit LayerWriter(std::unique_ptr<State> s);
    std::unique_ptr<State> s_;
};

struct RefEntry {
    std::string name;   // full normalised reference, e.g. docker.io/library/alpine:3.20
    Descriptor target;  // the manifest or index the name points at
};

struct StoreObject {
    enum class Kind { blob, layer, ingest, leftover };
    Kind kind = Kind::blob;
    std::string name;  // blob, layer: "sha256:HEX"; ingest, leftover: the entry's name
    uint64_t bytes = 0;
    int64_t mtime = 0;  // seconds since the epoch
};

struct VerifyReport {
    uint64_t blobs_checked = 0;
    uint64_t bytes_checked = 0;
    std::vector<std::string> bad;      // "sha256:…: reason", each moved to quarantine/
    std::vector<std::string> missing;  // blobs referenced by a ref's manifests but absent
};

class Store {
public:
    // Open ROOT (created with mode 0700 when create is true), take the shared store lock, create
    // the layout if missing, remove temp-file leftovers. Refuses a layout with another version.
    static Result<Store> open(const std::string& root, bool create = true);
    // The collector's open: the store lock exclusive, waiting until no other Store is open in
    // any process, so no pull or render runs while it is held. The store must exist.
    static Result<Store> open_exclusive(const std::string& root);

    Store(Store&&) noexcept;
    Store& operator=(Store&&) noexcept;
    ~Store();

    const std::string& root() const;

    bool has_blob(const Digest& d) const;
    // Size of a stored blob, or ENOENT.
    Result<int64_t> blob_size(const Digest& d) const;
    // Read-only fd of a stored blob.
    Result<UniqueFd> open_blob(const Digest& d) const;
    // Read a whole small blob (manifest, config), refusing more than cap bytes and re-verifying
    // its digest.
    Result<std::string> read_blob(const Digest& d, size_t cap) const;
    // Store a small blob from memory (manifests, configs): verified and committed like an ingest.
    Status put_blob(const Digest& d, std::string_view bytes);

    // Start or resume writing a blob. Returns nullopt if the blob is already stored. Waits while
    // another process writes the same digest, and returns nullopt if that one committed it.
    Result<std::optional<Ingest>> begin_ingest(const Digest& d, int64_t size);

    // Refs (index.json entries). set_ref replaces an existing entry of the same name.
    Result<std::vector<RefEntry>> list_refs() const;
    Result<std::optional<RefEntry>> find_ref(std::string_view name) const;
    Status set_ref(std::string_view name, const Descriptor& target);
    // Returns false when no such ref existed.
    Result<bool> remove_ref(std::string_view name);

    // The layer cache. open_layer: a read-only O_DIRECTORY fd of a complete layer's fs/, nullopt
    // when the layer is not (yet) extracted. layer_fs_path: its path, for overlay lowerdirs.
    Result<std::optional<UniqueFd>> open_layer(const Digest& chain_id) const;
    std::string layer_fs_path(const Digest& chain_id) const;
    // Start extracting a layer: takes the layer's lock (waiting while another process extracts
    // it) and returns nullopt when the layer is complete by then; otherwise an empty staging dir.
    Result<std::optional<LayerWriter>> begin_layer(const Digest& chain_id);
    // ChainIDs of the complete layers, sorted.
    Result<std::vector<Digest>> list_layers() const;

    // Re-hash every blob; quarantine the bad ones; report blobs referenced but missing.
    Result<VerifyReport> verify();

    // What a collector may remove (src/store/collect.cpp): every blob, complete layer, ingest and
    // layer-cache leftover, with its size and age. Remove only from a store opened with
    // open_exclusive: a complete layer is renamed away before its tree goes, so a crash
    // half-way never leaves a layer that looks complete.
    Result<std::vector<StoreObject>> list_objects() const;
    Status remove_object(const StoreObject& object);

private:
    static Result<Store> open_locked(const std::string& root, bool create, LockMode mode);
    struct State;
    explicit Store(std::unique_ptr<State> s);
    std::unique_ptr<State> s_;
};

}  // namespace ocipod
