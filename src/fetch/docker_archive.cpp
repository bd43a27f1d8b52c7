// docker-archive: `docker save` output turned into an OCI image (archive_source.hpp).
#include <map>
#include <memory>
#include <optional>
#include <set>

#include "c/json.hpp"
#include "fetch/archive_members.hpp"
#include "fetch/archive_source.hpp"
#include "fetch/image_import.hpp"
#include "fetch/source.hpp"
#include "oci/manifest.hpp"
#include "oci/media_types.hpp"

namespace ocipod {

namespace {

constexpr size_t max_saved_images = 1000;
constexpr int max_link_hops = 8;

struct SavedImage {
    std::string config;
    std::vector<std::string> repo_tags;
    std::vector<std::string> layers;
};

Result<std::vector<SavedImage>> parse_saved_manifest(std::string_view bytes) {
    JsonPtr doc = TRY(json_parse(bytes, "manifest.json"));
    if (!json_is_array(doc.get())) return make_error(EBADMSG, "manifest.json is not an array");
    if (json_array_size(doc.get()) > max_saved_images)
        return make_error(EFBIG, "manifest.json lists more than %zu images", max_saved_images);
    std::vector<SavedImage> out;
    size_t i;
    const json_t* item;
    json_array_foreach(doc.get(), i, item) {
        std::string ctx = strf("manifest.json entry %zu", i);
        if (!json_is_object(item)) return make_error(EBADMSG, "%s is not an object", ctx.c_str());
        SavedImage img;
        img.config = TRY_WRAP(json_req_string(item, "Config"), ctx);
        // RepoTags is null for an image saved by ID.
        if (!json_is_null(json_object_get(item, "RepoTags")))
            img.repo_tags = TRY_WRAP(json_opt_string_array(item, "RepoTags"), ctx);
        img.layers = TRY_WRAP(json_opt_string_array(item, "Layers"), ctx);
        if (img.layers.size() > max_layers)
            return make_error(EFBIG, "%s has more than %zu layers", ctx.c_str(), max_layers);
        out.push_back(std::move(img));
    }
    if (out.empty()) return make_error(ENOENT, "manifest.json lists no images");
    return out;
}

std::string list_tags(const std::vector<SavedImage>& images) {
    std::string out;
    for (size_t i = 0; i < images.size() && i < 20; ++i) {
        if (!out.empty()) out += ", ";
        out += strf("@%zu", i);
        for (const std::string& t : images[i].repo_tags) out += " '" + printable(t, 100) + "'";
    }
    if (images.size() > 20) out += ", ...";
    return out;
}

// Select by "@N", by a reference matched against RepoTags, or the only image. Sets *name_value
// to the RepoTag that names the image ("" when there is none).
Result<size_t> select_image(const std::vector<SavedImage>& images, std::string_view selector,
                            std::string* name_value) {
    size_t index = 0;
    if (starts_with(selector, "@")) {
        auto n = parse_u64(selector.substr(1));
        if (!n || *n >= images.size())
            return make_error(ENOENT, "no image %s in the archive (it has: %s)",
                              printable(selector).c_str(), list_tags(images).c_str());
        index = static_cast<size_t>(*n);
    } else if (!selector.empty()) {
        Reference want = TRY(parse_reference(selector));
        for (size_t i = 0; i < images.size(); ++i)
            for (const std::string& t : images[i].repo_tags) {
                auto have = parse_reference(t);
                if (have && have->str() == want.str()) {
                    *name_value = t;
                    return i;
                }
            }
        return make_error(ENOENT, "no image tagged '%s' in the archive (it has: %s)",
                          printable(selector).c_str(), list_tags(images).c_str());
    } else if (images.size() > 1) {
        return make_error(EINVAL,
                          "the archive holds %zu images, name one with docker-archive:FILE:REF "
                          "or :@N (it has: %s)",
                          images.size(), list_tags(images).c_str());
    }
    if (!images[index].repo_tags.empty()) *name_value = images[index].repo_tags.front();
    return index;
}

class DockerArchiveSource : public ImageSource {
public:
    DockerArchiveSource(UniqueFd fd, std::string path)
        : fd_(std::move(fd)), path_(std::move(path)) {}

    UniqueFd release_fd() { return std::move(fd_); }
    bool has_manifest_json() const { return manifest_json_.has_value(); }
    bool has_oci_layout() const { return has_layout_ && has_index_; }

    Status scan() {
        return for_each_member(fd_.get(), [this](const std::string& name, const TarEntry& e,
                                                 TarReader& r) { return scan_member(name, e, r); })
            .wrap(where());
    }

    // Build the OCI image for the selected entry; returns the name value (a RepoTag or "").
    Result<std::string> prepare(std::string_view selector) {
        std::vector<SavedImage> images = TRY(parse_saved_manifest(*manifest_json_));
        std::string name_value;
        const SavedImage& img = images[TRY(select_image(images, selector, &name_value))];

        std::string config_name = TRY(resolve(TRY(clean_member_name(img.config))));
        config_ = TRY(member_bytes(config_name, max_config_bytes));
        ImageConfig config = TRY_WRAP(parse_image_config(config_), "the saved image config");
        if (config.diff_ids.size() != img.layers.size())
            return make_error(EBADMSG,
                              "the image config lists %zu diff_ids but manifest.json %zu layers",
                              config.diff_ids.size(), img.layers.size());

        Descriptor config_desc;
        config_desc.media_type = media::oci_config;
        config_desc.digest = Digest::of(HashAlg::sha256, config_);
        config_desc.size = static_cast<int64_t>(config_.size());
        JsonPtr layers(json_array());
        for (size_t i = 0; i < img.layers.size(); ++i) {
            std::string name = TRY(resolve(TRY(clean_member_name(img.layers[i]))));
            const Digest& diff_id = config.diff_ids[i];
            auto [it, inserted] = layer_members_.emplace(name, diff_id);
            if (!inserted && it->second != diff_id)
                return make_error(EBADMSG,
                                  "layer '%s' is listed with two different diff_ids, refusing",
                                  printable(name).c_str());
            Descriptor d;
            d.media_type = media::oci_layer_tar;
            d.digest = diff_id;
            d.size = sizes_.at(name);
            json_array_append_new(layers.get(), descriptor_to_json(d).release());
        }
        JsonPtr doc(json_object());
        json_object_set_new(doc.get(), "schemaVersion", json_integer(2));
        json_object_set_new(doc.get(), "mediaType",
                            json_string(std::string(media::oci_manifest).c_str()));
        json_object_set_new(doc.get(), "config", descriptor_to_json(config_desc).release());
        json_object_set_new(doc.get(), "layers", layers.release());
        std::string bytes = json_dump(doc.get());
        manifest_.emplace(FetchedManifest{bytes, std::string(media::oci_manifest),
                                          Digest::of(HashAlg::sha256, bytes)});
        config_digest_ = config_desc.digest;
        return name_value;
    }

    const FetchedManifest& manifest() const { return *manifest_; }

    Result<FetchedManifest> get_manifest(std::string_view tag_or_digest,
                                         const std::optional<Digest>& expected) override {
        if (manifest_ && expected && *expected == manifest_->digest) return *manifest_;
        return make_error(ENOENT, "manifest '%s' is not in '%s'", printable(tag_or_digest).c_str(),
                          printable(path_).c_str());
    }

    Status fetch_blobs(const std::vector<Descriptor>& blobs, Store& store,
                       ProgressSink* progress) override {
        std::map<std::string, Descriptor> wanted;  // member name -> layer
        for (const Descriptor& b : blobs) {
            if (store.has_blob(b.digest)) {
                if (progress) progress->blob_finished(b, true);
                continue;
            }
            if (config_digest_ && b.digest == *config_digest_) {
                std::string_view data = config_;
                size_t pos = 0;
                ReadFn read = [data, &pos](void* buf, size_t len) -> Result<size_t> {
                    size_t n = std::min(len, data.size() - pos);
                    data.copy(static_cast<char*>(buf), n, pos);
                    pos += n;
                    return n;
                };
                TRY(ingest_stream(store, b, progress, read, where()));
                continue;
            }
            bool found = false;
            for (const auto& [name, diff_id] : layer_members_)
                if (diff_id == b.digest) {
                    wanted.emplace(name, b);
                    found = true;
                    break;
                }
            if (!found)
                return make_error(ENOENT, "blob %s is not in '%s'", b.digest.str().c_str(),
                                  printable(path_).c_str());
        }
        if (wanted.empty()) return {};
        TRY_WRAP(for_each_member(
                     fd_.get(),
                     [&](const std::string& name, const TarEntry& e, TarReader& r) -> Status {
                         auto w = wanted.find(name);
                         if (w == wanted.end() || e.type != TarEntry::Type::regular) return {};
                         ReadFn read = [&r](void* buf, size_t len) { return r.read(buf, len); };
                         Status st = ingest_stream(store, w->second, progress, read, where());
                         if (!st && st.error().code == EBADMSG)
                             return make_error(EBADMSG,
                                               "layer '%s' does not match the config's diff_id %s, "
                                               "refusing",
                                               printable(name).c_str(),
                                               w->second.digest.str().c_str());
                         TRY(std::move(st));
                         wanted.erase(w);
                         return {};
                     }),
                 where());
        if (!wanted.empty())
            return make_error(ENOENT, "layer '%s' vanished from '%s'",
                              printable(wanted.begin()->first).c_str(), printable(path_).c_str());
        return {};
    }

private:
    std::string where() const { return strf("reading '%s'", printable(path_).c_str()); }

    Status scan_member(const std::string& name, const TarEntry& e, TarReader& r) {
        if (name.empty() && e.type != TarEntry::Type::directory)
            return make_error(EINVAL, "archive member '%s' names the archive root, refusing",
                              printable(e.path).c_str());
        switch (e.type) {
            case TarEntry::Type::directory:
                return {};
            case TarEntry::Type::symlink:
            case TarEntry::Type::hardlink:
                if (!links_.emplace(name, TRY(resolve_member_link(name, e))).second ||
                    sizes_.count(name))
                    return duplicate(name);
                return {};
            case TarEntry::Type::regular:
                break;
            case TarEntry::Type::other:
                return make_error(EINVAL, "archive member '%s' is not a regular file, refusing",
                                  printable(e.path).c_str());
        }
        if (!sizes_.emplace(name, e.size).second || links_.count(name)) return duplicate(name);
        if (name == "manifest.json") {
            manifest_json_ = TRY(read_member(r, e, max_manifest_bytes));
        } else {
            has_layout_ = has_layout_ || name == "oci-layout";
            has_index_ = has_index_ || name == "index.json";
            if (e.size <= static_cast<int64_t>(max_config_bytes) &&
                cached_ + static_cast<size_t>(e.size) <= archive_cache_budget) {
                cache_.emplace(name, TRY(read_member(r, e, max_config_bytes)));
                cached_ += static_cast<size_t>(e.size);
            }
        }
        return {};
    }

    Error duplicate(const std::string& name) const {
        return make_error(EBADMSG, "archive member '%s' appears twice, refusing",
                          printable(name).c_str());
    }

    // Follow links inside the archive to a regular member.
    Result<std::string> resolve(std::string name) const {
        for (int hop = 0; hop <= max_link_hops; ++hop) {
            if (sizes_.count(name)) return name;
            auto link = links_.find(name);
            if (link == links_.end())
                return make_error(ENOENT, "'%s' is not in '%s'", printable(name).c_str(),
                                  printable(path_).c_str());
            name = link->second;
        }
        return make_error(ELOOP, "too many links to '%s' in '%s'", printable(name).c_str(),
                          printable(path_).c_str());
    }

    Result<std::string> member_bytes(const std::string& name, size_t cap) {
        if (sizes_.at(name) > static_cast<int64_t>(cap))
            return make_error(EFBIG, "'%s' is larger than the limit of %zu bytes",
                              printable(name).c_str(), cap);
        if (auto it = cache_.find(name); it != cache_.end()) return it->second;
        std::optional<std::string> out;
        TRY_WRAP(
            for_each_member(fd_.get(),
                            [&](const std::string& n, const TarEntry& e, TarReader& r) -> Status {
                                if (n == name && e.type == TarEntry::Type::regular && !out)
                                    out = TRY(read_member(r, e, cap));
                                return {};
                            }),
            where());
        if (!out)
            return make_error(ENOENT, "'%s' vanished from '%s'", printable(name).c_str(),
                              printable(path_).c_str());
        return *out;
    }

    UniqueFd fd_;
    std::string path_;
    std::optional<std::string> manifest_json_;
    bool has_layout_ = false;
    bool has_index_ = false;
    std::map<std::string, int64_t> sizes_;      // regular members
    std::map<std::string, std::string> links_;  // link member -> target member
    std::map<std::string, std::string> cache_;  // small members kept from the first pass
    size_t cached_ = 0;
    std::string config_;
    std::optional<Digest> config_digest_;
    std::map<std::string, Digest> layer_members_;  // member -> diff_id
    std::optional<FetchedManifest> manifest_;
};

}  // namespace

Result<PullResult> pull_docker_archive(Store& store, const std::string& file,
                                       std::string_view selector, const Platform& platform,
                                       ProgressSink* progress) {
    UniqueFd fd = TRY(open_archive_file(file));
    DockerArchiveSource source(std::move(fd), file);
    TRY(source.scan());
    if (!source.has_manifest_json()) {
        if (source.has_oci_layout())
            return pull_layout_archive(store, source.release_fd(), file, selector, platform,
                                       progress, true);
        return make_error(ENOENT,
                          "'%s' has no manifest.json: not a docker save archive (the format "
                          "before Docker 1.10 is not supported)",
                          printable(file).c_str());
    }
    std::string name_value =
        TRY_WRAP(source.prepare(selector), strf("'%s'", printable(file).c_str()));
    Reference name = TRY(local_image_name(name_value, file));
    ImportRequest request{platform, name.str()};
    return import_image(source, store, source.manifest(), media::oci_manifest, request, progress);
}

}  // namespace ocipod
