#include "fetch/oci_layout_source.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <variant>
#include <vector>

#include "base/fs.hpp"
#include "c/json.hpp"
#include "fetch/source.hpp"
#include "oci/image_layout.hpp"
#include "oci/manifest.hpp"
#include "oci/media_types.hpp"

namespace ocipod {

namespace {

constexpr size_t max_listed_names = 20;

std::string ref_name_of(const Descriptor& d) {
    auto it = d.annotations.find(annotation_ref_name);
    return it == d.annotations.end() ? std::string() : it->second;
}

bool same_reference(std::string_view a, std::string_view b) {
    if (a.find_first_of("/:@") == std::string_view::npos) return false;
    auto ra = parse_reference(a);
    auto rb = parse_reference(b);
    return ra && rb && ra->str() == rb->str();
}

std::string list_names(const std::vector<Descriptor>& entries) {
    std::string out;
    size_t n = 0;
    for (const Descriptor& d : entries) {
        if (n++ == max_listed_names) {
            out += ", ...";
            break;
        }
        std::string name = ref_name_of(d);
        if (!out.empty()) out += ", ";
        out += name.empty() ? "(unnamed) " + d.digest.str() : "'" + printable(name, 100) + "'";
    }
    return out;
}

std::string index_of(const std::vector<Descriptor>& entries) {
    JsonPtr doc(json_object());
    json_object_set_new(doc.get(), "schemaVersion", json_integer(2));
    json_object_set_new(doc.get(), "mediaType", json_string(std::string(media::oci_index).c_str()));
    JsonPtr arr(json_array());
    for (const Descriptor& d : entries)
        json_array_append_new(arr.get(), descriptor_to_json(d).release());
    json_object_set_new(doc.get(), "manifests", arr.release());
    return json_dump(doc.get());
}

// A metadata file of the layout: a regular file, not followed through a symlink, capped.
Result<std::string> read_layout_file(int dirfd, const char* name, size_t cap,
                                     const std::string& dir) {
    int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return errno_error("opening '%s' in image layout '%s'", name, printable(dir).c_str());
    UniqueFd owner(fd);
    struct stat st;
    if (fstat(fd, &st) < 0) return errno_error("stat of '%s'", name);
    if (!S_ISREG(st.st_mode))
        return make_error(EINVAL, "'%s' in '%s' is not a regular file, refusing", name,
                          printable(dir).c_str());
    return read_fd_capped(fd, cap).wrap(strf("reading '%s' in '%s'", name, printable(dir).c_str()));
}

// Blobs of a layout directory. Each is opened below DIR without following symlinks, checked to be
// a regular file of the descriptor's size, and streamed into the store.
class OciDirSource : public ImageSource {
public:
    OciDirSource(UniqueFd dir, std::string path) : dir_(std::move(dir)), path_(std::move(path)) {}

    Result<FetchedManifest> get_manifest(std::string_view tag_or_digest,
                                         const std::optional<Digest>& expected) override {
        if (!expected)
            return make_error(EINVAL, "'%s' is not a digest; an image layout has no tags",
                              printable(tag_or_digest).c_str());
        UniqueFd fd = TRY(open_blob(*expected));
        std::string bytes = TRY_WRAP(read_fd_capped(fd.get(), max_manifest_bytes),
                                     strf("reading manifest %s", expected->str().c_str()));
        if (Digest::of(expected->alg(), bytes) != *expected)
            return make_error(EBADMSG, "manifest %s in '%s' does not match its digest, refusing",
                              expected->str().c_str(), printable(path_).c_str());
        return FetchedManifest{std::move(bytes), "", *expected};
    }

    Status fetch_blobs(const std::vector<Descriptor>& blobs, Store& store,
                       ProgressSink* progress) override {
        for (const Descriptor& b : blobs) {
            if (store.has_blob(b.digest)) {
                if (progress) progress->blob_finished(b, true);
                continue;
            }
            UniqueFd fd = TRY(open_blob(b.digest));
            struct stat st;
            if (fstat(fd.get(), &st) < 0)
                return errno_error("stat of blob %s", b.digest.str().c_str());
            if (st.st_size != b.size)
                return make_error(
                    EBADMSG, "blob %s in '%s' has %lld bytes, its descriptor says %lld, refusing",
                    b.digest.str().c_str(), printable(path_).c_str(),
                    static_cast<long long>(st.st_size), static_cast<long long>(b.size));
            int raw = fd.get();
            ReadFn read = [raw](void* buf, size_t len) -> Result<size_t> {
                for (;;) {
                    ssize_t n = ::read(raw, buf, len);
                    if (n >= 0) return static_cast<size_t>(n);
                    if (errno != EINTR) return errno_error("reading");
                }
            };
            TRY(ingest_stream(store, b, progress, read, strf("'%s'", printable(path_).c_str())));
        }
        return {};
    }

private:
    Result<UniqueFd> open_blob(const Digest& d) {
        // Digest was validated when parsed, so alg and hex are safe path components.
        int blobs = openat(dir_.get(), "blobs", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (blobs < 0) return missing_or_error(d);
        UniqueFd blobs_fd(blobs);
        int alg = openat(blobs, d.alg_name(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (alg < 0) return missing_or_error(d);
        UniqueFd alg_fd(alg);
        int fd =
            openat(alg, d.hex().c_str(), O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0) return missing_or_error(d);
        UniqueFd out(fd);
        struct stat st;
        if (fstat(fd, &st) < 0) return errno_error("stat of blob %s", d.str().c_str());
        if (!S_ISREG(st.st_mode))
            return make_error(EINVAL, "blob %s in '%s' is not a regular file, refusing",
                              d.str().c_str(), printable(path_).c_str());
        return out;
    }

    Error missing_or_error(const Digest& d) const {
        if (errno == ENOENT)
            return make_error(ENOENT, "blob %s is missing from '%s'", d.str().c_str(),
                              printable(path_).c_str());
        if (errno == ELOOP || errno == ENOTDIR)
            return make_error(EINVAL, "blob %s in '%s' is behind a symlink, refusing",
                              d.str().c_str(), printable(path_).c_str());
        return errno_error("opening blob %s in '%s'", d.str().c_str(), printable(path_).c_str());
    }

    UniqueFd dir_;
    std::string path_;
};

}  // namespace

Result<LayoutChoice> choose_layout_entry(std::string_view index_json, std::string_view ref,
                                         std::string_view what) {
    std::string w = printable(what);
    ManifestDocument doc = TRY_WRAP(parse_manifest_document(index_json, "", media::oci_index),
                                    strf("index.json of '%s'", w.c_str()));
    const std::vector<Descriptor>& entries = std::get<Index>(doc).manifests;
    if (entries.empty()) return make_error(ENOENT, "'%s' holds no images", w.c_str());

    std::vector<Descriptor> picked;
    LayoutChoice choice;
    if (!ref.empty()) {
        for (const Descriptor& d : entries)
            if (ref_name_of(d) == ref) picked.push_back(d);
        if (picked.empty())
            for (const Descriptor& d : entries)
                if (same_reference(ref_name_of(d), ref)) picked.push_back(d);
        if (picked.empty())
            return make_error(ENOENT, "no image named '%s' in '%s' (it has: %s)",
                              printable(ref).c_str(), w.c_str(), list_names(entries).c_str());
        choice.name_value = std::string(ref);
    } else {
        std::string first = ref_name_of(entries.front());
        bool one_name = !first.empty();
        for (const Descriptor& d : entries) one_name = one_name && ref_name_of(d) == first;
        if (entries.size() > 1 && !one_name)
            return make_error(EINVAL,
                              "'%s' holds %zu images, name one with oci:DIR:REF (it has: %s)",
                              w.c_str(), entries.size(), list_names(entries).c_str());
        picked = entries;
        choice.name_value = first;
    }
    if (picked.size() == 1)
        choice.top = picked.front();
    else
        choice.implicit_index = index_of(picked);
    return choice;
}

Result<PullResult> import_layout_choice(ImageSource& source, Store& store,
                                        const LayoutChoice& choice, std::string_view path,
                                        const Platform& platform, ProgressSink* progress) {
    Reference name = TRY(local_image_name(choice.name_value, path));
    ImportRequest request{platform, name.str()};
    if (choice.implicit_index) {
        FetchedManifest top{*choice.implicit_index, std::string(media::oci_index),
                            Digest::of(HashAlg::sha256, *choice.implicit_index)};
        return import_image(source, store, top, media::oci_index, request, progress);
    }
    FetchedManifest top = TRY(fetch_described(source, choice.top));
    return import_image(source, store, top, choice.top.media_type, request, progress);
}

Result<PullResult> pull_oci_dir(Store& store, const std::string& dir, std::string_view ref,
                                const Platform& platform, ProgressSink* progress) {
    // The user's own path may be a symlink; what is inside the layout is opened without following.
    int raw = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (raw < 0) return errno_error("opening image layout '%s'", printable(dir).c_str());
    UniqueFd fd(raw);
    std::string layout = TRY(read_layout_file(fd.get(), "oci-layout", max_layout_file_bytes, dir));
    TRY_WRAP(check_oci_layout_file(layout), strf("'%s'", printable(dir).c_str()));
    std::string index = TRY(read_layout_file(fd.get(), "index.json", max_manifest_bytes, dir));
    LayoutChoice choice = TRY(choose_layout_entry(index, ref, dir));
    OciDirSource source(std::move(fd), dir);
    return import_layout_choice(source, store, choice, dir, platform, progress);
}

}  // namespace ocipod
