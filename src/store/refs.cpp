// Refs: entries of store/index.json annotated org.opencontainers.image.ref.name with the full
// normalised reference (image-spec image-layout.md "index.json", annotations.md), which is also
// how skopeo's and umoci's oci: transports name images in a layout. Entries without the
// annotation, and fields we do not know, are kept as they are.
//
// Readers take no lock: index.json is only ever replaced by rename, so they see one version whole.
// Writers hold the index lock around read-modify-write so no update is lost.
#include <fcntl.h>
#include <unistd.h>

#include "base/crash_point.hpp"
#include "base/fs.hpp"
#include "c/json.hpp"
#include "oci/media_types.hpp"
#include "store/layout.hpp"
#include "store/lock.hpp"
#include "store/store.hpp"

namespace ocipod {

namespace {

struct IndexDoc {
    JsonPtr root;
    json_t* manifests = nullptr;  // borrowed from root
};

Status check_index(const json_t* root) {
    if (!json_is_object(root)) return make_error(EBADMSG, "not a JSON object");
    int64_t version = TRY(json_req_int(root, "schemaVersion"));
    if (version != 2)
        return make_error(EBADMSG, "schemaVersion %lld is not 2", static_cast<long long>(version));
    auto media_type = TRY(json_opt_string(root, "mediaType"));
    if (media_type && *media_type != media::oci_index)
        return make_error(EBADMSG, "mediaType '%s' is not an image index",
                          printable(*media_type).c_str());
    const json_t* manifests = json_opt_member(root, "manifests");
    if (!json_is_array(manifests)) return make_error(EBADMSG, "field 'manifests' is not an array");
    size_t i;
    const json_t* entry;
    json_array_foreach(manifests, i, entry) {
        TRY_WRAP(parse_descriptor(entry), strf("manifests[%zu]", i));
        if (const json_t* ann = json_opt_member(entry, "annotations")) {
            const json_t* name = json_opt_member(ann, annotation_ref_name);
            if (name && !json_is_string(name))
                return make_error(EBADMSG, "manifests[%zu]: ref name is not a string", i);
        }
    }
    return {};
}

Result<IndexDoc> load_index(const StoreDirs& dirs) {
    std::string what = strf("store index '%s/store/%s'", dirs.root.c_str(), index_json);
    std::string bytes =
        TRY_WRAP(read_file_capped(dirs.store_fd.get(), index_json, max_index_json_bytes), what);
    IndexDoc doc;
    doc.root = TRY_WRAP(json_parse(bytes, index_json), what);
    Status valid = check_index(doc.root.get());
    if (!valid) {
        // Whatever the entry's own complaint (a bad digest is EINVAL), the file is malformed.
        Error e = std::move(valid).error().wrap(what);
        e.code = EBADMSG;
        return e;
    }
    doc.manifests = json_object_get(doc.root.get(), "manifests");
    return doc;
}

// The entry's ref name, or nullptr when it has none (check_index made sure of the type).
const char* entry_ref_name(const json_t* entry) {
    const json_t* ann = json_opt_member(entry, "annotations");
    const json_t* name = json_opt_member(ann, annotation_ref_name);
    return name ? json_string_value(name) : nullptr;
}

// write_file_atomic's protocol, with the crash point between the written temp file and the
// rename that the crash matrix needs (THREATS.md §4.4). Caller holds the index lock.
Status save_index(const StoreDirs& dirs, const IndexDoc& doc) {
    int dirfd = dirs.store_fd.get();
    std::string bytes = json_dump(doc.root.get());
    std::string tmp = temp_name(index_json);
    UniqueFd fd(
        openat(dirfd, tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644));
    if (!fd) return errno_error("creating '%s'", tmp.c_str());
    Status st = write_all(fd.get(), bytes);
    if (st) st = fsync_fd(fd.get(), tmp.c_str());
    if (st) crash_point("mid-metadata-write");
    if (st && renameat(dirfd, tmp.c_str(), dirfd, index_json) < 0)
        st = errno_error("renaming '%s' to '%s'", tmp.c_str(), index_json);
    if (!st) {
        unlinkat(dirfd, tmp.c_str(), 0);
        return std::move(st).wrap(strf("writing '%s/store/%s'", dirs.root.c_str(), index_json));
    }
    return fsync_fd(dirfd, "store directory");
}

Status check_ref_name(std::string_view name) {
    if (name.empty()) return make_error(EINVAL, "empty ref name");
    if (name.find('\0') != std::string_view::npos)
        return make_error(EINVAL, "ref name '%s' contains NUL", printable(name).c_str());
    return {};
}

}  // namespace

Result<std::vector<RefEntry>> Store::list_refs() const {
    IndexDoc doc = TRY(load_index(*s_));
    std::vector<RefEntry> refs;
    size_t i;
    json_t* entry;
    json_array_foreach(doc.manifests, i, entry) {
        const char* name = entry_ref_name(entry);
        if (!name) continue;
        refs.push_back(RefEntry{name, TRY(parse_descriptor(entry))});
    }
    return refs;
}

Result<std::optional<RefEntry>> Store::find_ref(std::string_view name) const {
    std::vector<RefEntry> refs = TRY(list_refs());
    for (RefEntry& r : refs)
        if (r.name == name) return std::optional<RefEntry>(std::move(r));
    return std::optional<RefEntry>();
}

Status Store::set_ref(std::string_view name, const Descriptor& target) {
    TRY(check_ref_name(name));
    std::string ref(name);
    // A ref must never name what is not stored (DESIGN.md §3: metadata after the blob is durable).
    if (!has_blob(target.digest))
        return make_error(ENOENT, "setting ref '%s': blob %s is not stored", printable(ref).c_str(),
                          target.digest.str().c_str());
    crash_point("after-blob-before-metadata");
    UniqueFd lock = TRY(take_index_lock(s_->root_fd.get()));
    IndexDoc doc = TRY(load_index(*s_));

    Descriptor d = target;
    d.annotations[annotation_ref_name] = ref;
    JsonPtr entry = descriptor_to_json(d);

    // Replace the first entry of this name in place (order is what `oci-pod images` shows) and
    // drop any duplicates another tool may have written.
    bool placed = false;
    for (size_t i = 0; i < json_array_size(doc.manifests);) {
        const char* n = entry_ref_name(json_array_get(doc.manifests, i));
        if (n && ref == n) {
            if (!placed) {
                json_array_set(doc.manifests, i, entry.get());
                placed = true;
            } else {
                json_array_remove(doc.manifests, i);
                continue;
            }
        }
        ++i;
    }
    if (!placed) json_array_append(doc.manifests, entry.get());
    return save_index(*s_, doc).wrap(strf("setting ref '%s'", printable(ref).c_str()));
}

Result<bool> Store::remove_ref(std::string_view name) {
    UniqueFd lock = TRY(take_index_lock(s_->root_fd.get()));
    IndexDoc doc = TRY(load_index(*s_));
    bool removed = false;
    for (size_t i = json_array_size(doc.manifests); i-- > 0;) {
        const char* n = entry_ref_name(json_array_get(doc.manifests, i));
        if (n && name == n) {
            json_array_remove(doc.manifests, i);
            removed = true;
        }
    }
    if (!removed) return false;
    TRY_WRAP(save_index(*s_, doc), strf("removing ref '%s'", printable(name).c_str()));
    return true;
}

}  // namespace ocipod
