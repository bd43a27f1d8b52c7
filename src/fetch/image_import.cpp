#include "fetch/image_import.hpp"

#include <map>
#include <set>
#include <variant>

#include "oci/manifest.hpp"

namespace ocipod {

namespace {

constexpr size_t copy_chunk = 1 << 20;

// Counts what a source actually transfers and forwards everything to the caller's sink. Bytes are
// counted from progress deltas, so an attempt that failed on a mirror still counts what it moved.
class CountingProgress : public ProgressSink {
public:
    explicit CountingProgress(ProgressSink* next) : next_(next) {}

    void blob_started(const Descriptor& blob, int64_t resumed_from) override {
        last_[blob.digest.str()] = resumed_from;
        if (next_) next_->blob_started(blob, resumed_from);
    }
    void blob_progress(const Descriptor& blob, int64_t done) override {
        int64_t& last = last_[blob.digest.str()];
        if (done > last) bytes_ += done - last;
        last = done;
        if (next_) next_->blob_progress(blob, done);
    }
    void blob_finished(const Descriptor& blob, bool already_present) override {
        if (already_present) {
            ++present_;
        } else {
            ++fetched_;
            auto it = last_.find(blob.digest.str());
            int64_t last = it == last_.end() ? 0 : it->second;
            if (blob.size > last) bytes_ += blob.size - last;
        }
        last_.erase(blob.digest.str());
        if (next_) next_->blob_finished(blob, already_present);
    }
    void blob_retrying(const Descriptor& blob, const char* why) override {
        if (next_) next_->blob_retrying(blob, why);
    }

    void fill(PullResult* r) const {
        r->bytes_fetched = bytes_;
        r->blobs_fetched = fetched_;
        r->blobs_present = present_;
    }

private:
    ProgressSink* next_;
    std::map<std::string, int64_t> last_;
    int64_t bytes_ = 0;
    int fetched_ = 0;
    int present_ = 0;
};

Status check_hash(const FetchedManifest& m) {
    if (Digest::of(m.digest.alg(), m.bytes) != m.digest)
        return make_error(EBADMSG, "manifest does not match its digest %s, refusing",
                          m.digest.str().c_str());
    return {};
}

// Refuse what we could never run before anything large is transferred.
Status check_before_download(const Manifest& m) {
    TRY(check_runnable_manifest(m));
    if (m.config.size > static_cast<int64_t>(max_config_bytes))
        return make_error(EFBIG, "image config of %lld bytes is larger than the limit of %zu",
                          static_cast<long long>(m.config.size), max_config_bytes);
    return {};
}

std::vector<Descriptor> unique_blobs(const std::vector<Descriptor>& blobs) {
    std::set<Digest> seen;
    std::vector<Descriptor> out;
    for (const Descriptor& d : blobs)
        if (seen.insert(d.digest).second) out.push_back(d);
    return out;
}

}  // namespace

Result<FetchedManifest> fetch_described(ImageSource& source, const Descriptor& d) {
    FetchedManifest m = TRY(source.get_manifest(d.digest.str(), d.digest));
    if (m.digest != d.digest)
        return make_error(EBADMSG, "manifest %s arrived as %s, refusing", d.digest.str().c_str(),
                          m.digest.str().c_str());
    TRY(check_hash(m));
    if (static_cast<int64_t>(m.bytes.size()) != d.size)
        return make_error(EBADMSG, "manifest %s has %zu bytes, its descriptor says %lld, refusing",
                          d.digest.str().c_str(), m.bytes.size(), static_cast<long long>(d.size));
    return m;
}

Result<PullResult> import_image(ImageSource& source, Store& store, const FetchedManifest& top,
                                std::string_view top_descriptor_type, const ImportRequest& request,
                                ProgressSink* progress) {
    CountingProgress counter(progress);
    PullResult result;
    TRY(check_hash(top));
    FetchedManifest current = top;
    ManifestDocument doc =
        TRY(parse_manifest_document(current.bytes, current.content_type, top_descriptor_type));
    for (int depth = 0; std::holds_alternative<Index>(doc); ++depth) {
        if (depth >= max_index_depth)
            return make_error(ELOOP, "indexes nested more than %d deep, refusing", max_index_depth);
        Descriptor child = TRY(choose_manifest(std::get<Index>(doc), request.platform));
        std::string what = strf("manifest %s", child.digest.str().c_str());
        current = TRY_WRAP(fetch_described(source, child), what);
        doc = TRY_WRAP(
            parse_manifest_document(current.bytes, current.content_type, child.media_type), what);
        result.from_index = true;
    }
    const Manifest& manifest = std::get<Manifest>(doc);
    TRY(check_before_download(manifest));

    TRY_WRAP(source.fetch_blobs({manifest.config}, store, &counter), "fetching the image config");
    std::string config_bytes = TRY_WRAP(store.read_blob(manifest.config.digest, max_config_bytes),
                                        "reading the image config");
    ImageConfig config = TRY(parse_image_config(config_bytes));
    TRY(check_runnable_image(manifest, config));
    if (result.from_index) {
        Platform want = normalize_platform(request.platform);
        if (config.platform.os != want.os || config.platform.architecture != want.architecture)
            return make_error(EBADMSG,
                              "the image config is for '%s' but the index offered it for '%s', "
                              "refusing",
                              config.platform.str().c_str(), want.str().c_str());
    }

    TRY_WRAP(source.fetch_blobs(unique_blobs(manifest.layers), store, &counter), "fetching layers");
    TRY_WRAP(store.put_blob(current.digest, current.bytes), "storing the manifest");

    Descriptor target;
    target.media_type = manifest.media_type;
    target.digest = current.digest;
    target.size = static_cast<int64_t>(current.bytes.size());
    target.platform = config.platform;
    TRY(store.set_ref(request.ref_name, target));

    result.ref_name = request.ref_name;
    result.manifest = std::move(target);
    counter.fill(&result);
    return result;
}

Status ingest_stream(Store& store, const Descriptor& blob, ProgressSink* progress,
                     const ReadFn& read, std::string_view what) {
    std::string ctx = strf("copying blob %s from %.*s", blob.digest.str().c_str(),
                           static_cast<int>(what.size()), what.data());
    std::optional<Ingest> ingest = TRY_WRAP(store.begin_ingest(blob.digest, blob.size), ctx);
    if (!ingest) {
        if (progress) progress->blob_finished(blob, true);
        return {};
    }
    if (ingest->offset() > 0) TRY_WRAP(ingest->restart(), ctx);
    if (progress) progress->blob_started(blob, 0);
    std::vector<char> buf(copy_chunk);
    int64_t done = 0;
    for (;;) {
        size_t n = TRY_WRAP(read(buf.data(), buf.size()), ctx);
        if (n == 0) break;
        if (static_cast<int64_t>(n) > blob.size - done) {
            (void)ingest->restart();  // this data can never become right
            return make_error(EBADMSG, "%s: more than the %lld bytes its descriptor says, refusing",
                              ctx.c_str(), static_cast<long long>(blob.size));
        }
        TRY_WRAP(ingest->write(buf.data(), n), ctx);
        done += static_cast<int64_t>(n);
        if (progress) progress->blob_progress(blob, done);
    }
    Status st = ingest->commit();
    if (!st) {
        if (st.error().code == EBADMSG)
            return make_error(EBADMSG,
                              "%s: content does not match its digest or size, refusing (%s)",
                              ctx.c_str(), st.error().message.c_str());
        return std::move(st).wrap(ctx);
    }
    if (progress) progress->blob_finished(blob, false);
    return {};
}

}  // namespace ocipod
