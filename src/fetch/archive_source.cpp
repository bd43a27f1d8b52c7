// oci-archive: an OCI image layout inside a tar, read in passes (archive_source.hpp).
#include "fetch/archive_source.hpp"

#include <algorithm>
#include <cstring>
#include <map>
#include <memory>
#include <optional>

#include "fetch/archive_members.hpp"
#include "fetch/image_import.hpp"
#include "fetch/oci_layout_source.hpp"
#include "oci/image_layout.hpp"
#include "oci/manifest.hpp"

namespace ocipod {

namespace {

enum class MemberKind { directory, layout, index, blob, ignored };

struct LayoutMember {
    MemberKind kind;
    std::optional<Digest> digest;
};

// The only names an image layout has (image-layout.md), checked in every pass.
Result<LayoutMember> classify(const std::string& name, const TarEntry& e, bool docker_files) {
    auto refuse = [&](const char* why) {
        return make_error(EINVAL, "archive member '%s' %s, refusing", printable(e.path).c_str(),
                          why);
    };
    bool is_dir = e.type == TarEntry::Type::directory;
    if (name.empty() || name == "blobs" || name == "blobs/sha256" || name == "blobs/sha512") {
        if (!is_dir) return refuse("should be a directory");
        return LayoutMember{MemberKind::directory, std::nullopt};
    }
    if (e.type == TarEntry::Type::symlink || e.type == TarEntry::Type::hardlink)
        return refuse("is a link");
    if (e.type != TarEntry::Type::regular) return refuse("is not a regular file");
    if (name == "oci-layout") return LayoutMember{MemberKind::layout, std::nullopt};
    if (name == "index.json") return LayoutMember{MemberKind::index, std::nullopt};
    if (docker_files && (name == "manifest.json" || name == "repositories"))
        return LayoutMember{MemberKind::ignored, std::nullopt};
    if (starts_with(name, "blobs/")) {
        std::vector<std::string> parts = split(name, '/');
        if (parts.size() == 3) {
            // Digest::parse validates alg and hex before the name means anything.
            auto d = Digest::parse(parts[1] + ":" + parts[2]);
            if (d) return LayoutMember{MemberKind::blob, d.take()};
        }
        return refuse("is not named blobs/ALG/HEX with a valid digest");
    }
    return refuse("is not part of an OCI image layout");
}

ReadFn memory_reader(std::string_view data) {
    auto pos = std::make_shared<size_t>(0);
    return [data, pos](void* buf, size_t len) -> Result<size_t> {
        size_t n = std::min(len, data.size() - *pos);
        memcpy(buf, data.data() + *pos, n);
        *pos += n;
        return n;
    };
}

class OciArchiveSource : public ImageSource {
public:
    OciArchiveSource(UniqueFd fd, std::string path, bool docker_files)
        : fd_(std::move(fd)), path_(std::move(path)), docker_files_(docker_files) {}

    // First pass: metadata, the blob catalogue and small blobs.
    Status scan() {
        TRY_WRAP(
            for_each_member(fd_.get(), [this](const std::string& name, const TarEntry& e,
                                              TarReader& r) { return scan_member(name, e, r); }),
            where());
        if (!layout_ || !index_)
            return make_error(ENOENT, "'%s' has no %s: not an OCI archive",
                              printable(path_).c_str(), layout_ ? "index.json" : "oci-layout");
        TRY_WRAP(check_oci_layout_file(*layout_), where());
        return {};
    }

    const std::string& index_json() const { return *index_; }

    Result<FetchedManifest> get_manifest(std::string_view tag_or_digest,
                                         const std::optional<Digest>& expected) override {
        if (!expected)
            return make_error(EINVAL, "'%s' is not a digest; an image layout has no tags",
                              printable(tag_or_digest).c_str());
        auto it = cache_.find(*expected);
        if (it == cache_.end()) {
            auto size = sizes_.find(*expected);
            if (size == sizes_.end())
                return make_error(ENOENT, "manifest %s is missing from '%s'",
                                  expected->str().c_str(), printable(path_).c_str());
            if (size->second > static_cast<int64_t>(max_manifest_bytes))
                return make_error(EFBIG, "manifest %s is larger than the limit of %zu bytes",
                                  expected->str().c_str(), max_manifest_bytes);
            TRY(load(*expected));
            it = cache_.find(*expected);
            if (it == cache_.end())
                return make_error(ENOENT, "manifest %s vanished from '%s'", expected->str().c_str(),
                                  printable(path_).c_str());
        }
        if (Digest::of(expected->alg(), it->second) != *expected)
            return make_error(EBADMSG, "manifest %s in '%s' does not match its digest, refusing",
                              expected->str().c_str(), printable(path_).c_str());
        return FetchedManifest{it->second, "", *expected};
    }

    Status fetch_blobs(const std::vector<Descriptor>& blobs, Store& store,
                       ProgressSink* progress) override {
        std::map<Digest, Descriptor> wanted;
        for (const Descriptor& b : blobs) {
            if (store.has_blob(b.digest)) {
                if (progress) progress->blob_finished(b, true);
                continue;
            }
            auto size = sizes_.find(b.digest);
            if (size == sizes_.end())
                return make_error(ENOENT, "blob %s is missing from '%s'", b.digest.str().c_str(),
                                  printable(path_).c_str());
            if (size->second != b.size)
                return make_error(EBADMSG,
                                  "blob %s in '%s' has %lld bytes, its descriptor says %lld, "
                                  "refusing",
                                  b.digest.str().c_str(), printable(path_).c_str(),
                                  static_cast<long long>(size->second),
                                  static_cast<long long>(b.size));
            if (auto c = cache_.find(b.digest); c != cache_.end())
                TRY(ingest_stream(store, b, progress, memory_reader(c->second), where()));
            else
                wanted.emplace(b.digest, b);
        }
        if (wanted.empty()) return {};
        TRY_WRAP(for_each_member(
                     fd_.get(),
                     [&](const std::string& name, const TarEntry& e, TarReader& r) -> Status {
                         LayoutMember m = TRY(classify(name, e, docker_files_));
                         if (m.kind != MemberKind::blob) return {};
                         auto w = wanted.find(*m.digest);
                         if (w == wanted.end()) return {};
                         ReadFn read = [&r](void* buf, size_t len) { return r.read(buf, len); };
                         TRY(ingest_stream(store, w->second, progress, read, where()));
                         wanted.erase(w);
                         return {};
                     }),
                 where());
        if (!wanted.empty())
            return make_error(ENOENT, "blob %s is missing from '%s'",
                              wanted.begin()->first.str().c_str(), printable(path_).c_str());
        return {};
    }

private:
    std::string where() const { return strf("reading '%s'", printable(path_).c_str()); }

    Status scan_member(const std::string& name, const TarEntry& e, TarReader& r) {
        LayoutMember m = TRY(classify(name, e, docker_files_));
        auto duplicate = [&]() {
            return make_error(EBADMSG, "archive member '%s' appears twice, refusing",
                              printable(name).c_str());
        };
        switch (m.kind) {
            case MemberKind::layout:
                if (layout_) return duplicate();
                layout_ = TRY(read_member(r, e, max_layout_file_bytes));
                break;
            case MemberKind::index:
                if (index_) return duplicate();
                index_ = TRY(read_member(r, e, max_manifest_bytes));
                break;
            case MemberKind::blob:
                if (!sizes_.emplace(*m.digest, e.size).second) return duplicate();
                if (e.size <= static_cast<int64_t>(max_manifest_bytes) &&
                    cached_ + static_cast<size_t>(e.size) <= archive_cache_budget) {
                    cache_.emplace(*m.digest, TRY(read_member(r, e, max_manifest_bytes)));
                    cached_ += static_cast<size_t>(e.size);
                }
                break;
            case MemberKind::directory:
            case MemberKind::ignored:
                break;
        }
        return {};
    }

    // An extra pass for one small member the first pass did not keep.
    Status load(const Digest& d) {
        return for_each_member(
                   fd_.get(),
                   [&](const std::string& name, const TarEntry& e, TarReader& r) -> Status {
                       LayoutMember m = TRY(classify(name, e, docker_files_));
                       if (m.kind == MemberKind::blob && *m.digest == d && !cache_.count(d))
                           cache_.emplace(d, TRY(read_member(r, e, max_manifest_bytes)));
                       return {};
                   })
            .wrap(where());
    }

    UniqueFd fd_;
    std::string path_;
    bool docker_files_;
    std::optional<std::string> layout_;
    std::optional<std::string> index_;
    std::map<Digest, int64_t> sizes_;
    std::map<Digest, std::string> cache_;
    size_t cached_ = 0;
};

}  // namespace

Result<PullResult> pull_layout_archive(Store& store, UniqueFd fd, const std::string& file,
                                       std::string_view ref, const Platform& platform,
                                       ProgressSink* progress, bool docker_files) {
    OciArchiveSource source(std::move(fd), file, docker_files);
    TRY(source.scan());
    LayoutChoice choice = TRY(choose_layout_entry(source.index_json(), ref, file));
    return import_layout_choice(source, store, choice, file, platform, progress);
}

Result<PullResult> pull_oci_archive(Store& store, const std::string& file, std::string_view ref,
                                    const Platform& platform, ProgressSink* progress) {
    UniqueFd fd = TRY(open_archive_file(file));
    return pull_layout_archive(store, std::move(fd), file, ref, platform, progress, false);
}

}  // namespace ocipod
