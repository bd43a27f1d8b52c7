// ensure_layers (render.hpp): the missing layers of an image are extracted by a pool of worker
// threads, each layer into its own staging directory and without waiting for its lower layers;
// the calling thread then settles them strictly bottom up (fixups against the complete lowers,
// re-extraction when those say so) and commits each one. A worker that fails raises a shared
// flag so that the others stop at their next read; nothing of a failed layer is committed.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <system_error>
#include <thread>

#include "c/json.hpp"
#include "oci/media_types.hpp"
#include "render/chain_id.hpp"
#include "render/layer_stream.hpp"
#include "render/render.hpp"

namespace ocipod {

namespace {

// The layer stream as the tar reader sees it, stopping with ECANCELED once another layer failed.
class CancellableSource : public ByteSource {
public:
    CancellableSource(LayerStream& stream, const std::atomic<bool>& stop)
        : stream_(stream), stop_(stop) {}
    Result<size_t> read(void* buf, size_t len) override {
        if (stop_.load(std::memory_order_relaxed))
            return make_error(ECANCELED, "stopped after another layer failed");
        return stream_.read(buf, len);
    }

private:
    LayerStream& stream_;
    const std::atomic<bool>& stop_;
};

struct LayerJob {
    size_t index = 0;  // in the manifest, bottom first
    const Descriptor* desc = nullptr;
    Digest diff_id = Digest::empty_sha256();
    Digest chain_id = Digest::empty_sha256();
    std::string what;  // "layer N (sha256:…)"

    // Filled by the worker that took the job.
    bool done = false;
    std::optional<LayerWriter> writer;  // nullopt with no error: another process completed it
    LayerApplyResult applied;
    std::optional<Error> error;
};

// The complete lower layers of layer index (topmost first), or nullopt if one is not complete.
Result<std::optional<std::vector<UniqueFd>>> open_lowers(const Store& store,
                                                         const std::vector<Digest>& chain,
                                                         size_t index) {
    using Out = std::optional<std::vector<UniqueFd>>;
    std::vector<UniqueFd> fds;
    for (size_t j = index; j-- > 0;) {
        std::optional<UniqueFd> fd = TRY(store.open_layer(chain[j]));
        if (!fd) return Out();
        fds.push_back(std::move(*fd));
    }
    return Out(std::move(fds));
}

LowerDirs borrow(const std::vector<UniqueFd>& fds) {
    LowerDirs out;
    for (const UniqueFd& fd : fds) out.push_back(fd.get());
    return out;
}

// Stream the layer's blob through apply_layer into fs_fd and check its diffID (THREATS 74).
Result<LayerApplyResult> extract(const Store& store, const LayerJob& job, int fs_fd,
                                 const LowerDirs* lowers, const RenderLimits& limits,
                                 const std::atomic<bool>& stop) {
    media::Compression compression;
    if (!media::layer_compression(job.desc->media_type, &compression))
        return make_error(ENOTSUP, "%s has unsupported media type '%s'", job.what.c_str(),
                          printable(job.desc->media_type).c_str());
    auto blob = store.open_blob(job.desc->digest);
    if (!blob) {
        if (blob.error().code == ENOENT)
            return make_error(ENOENT, "%s is not in the store; pull the image again",
                              job.what.c_str());
        return std::move(blob).error().wrap(job.what);
    }
    std::unique_ptr<LayerStream> stream =
        TRY(LayerStream::open(blob.take(), compression, limits.max_layer_bytes, job.what));
    CancellableSource source(*stream, stop);
    LayerApplyResult applied;
    {
        TarReader tar = TRY_WRAP(TarReader::open_source(&source), job.what);
        applied = TRY(apply_layer(tar, fs_fd, lowers, limits.apply, job.what));
    }
    Digest got = TRY_WRAP(stream->finish(), job.what);
    if (!(got == job.diff_id))
        return make_error(EBADMSG, "%s: diffID is %s, the image config says %s, refusing",
                          job.what.c_str(), got.str().c_str(), job.diff_id.str().c_str());
    return applied;
}

std::string layer_json(const LayerJob& job, const Digest* parent) {
    JsonPtr o(json_object());
    json_object_set_new(o.get(), "chainID", json_string(job.chain_id.str().c_str()));
    json_object_set_new(o.get(), "diffID", json_string(job.diff_id.str().c_str()));
    if (parent) json_object_set_new(o.get(), "parent", json_string(parent->str().c_str()));
    json_object_set_new(o.get(), "digest", json_string(job.desc->digest.str().c_str()));
    json_object_set_new(o.get(), "mediaType", json_string(job.desc->media_type.c_str()));
    json_object_set_new(o.get(), "size", json_integer(job.desc->size));
    json_object_set_new(o.get(), "entries",
                        json_integer(static_cast<json_int_t>(job.applied.report.entries)));
    json_object_set_new(o.get(), "bytesWritten",
                        json_integer(static_cast<json_int_t>(job.applied.report.bytes_written)));
    return json_dump(o.get());
}

// The jobs, the worker threads and what they share.
class Extraction {
public:
    Extraction(Store& store, const std::vector<Digest>& chain, const RenderLimits& limits,
               const LayerProgress& progress)
        : store_(store), chain_(chain), limits_(limits), progress_(progress) {}
    ~Extraction() { stop_and_join(); }

    std::vector<LayerJob> jobs;

    Status start(unsigned threads) {
        for (unsigned t = 0; t < threads; ++t) {
            try {
                workers_.emplace_back([this] { work(); });
            } catch (const std::system_error& e) {
                if (workers_.empty())
                    return make_error(EAGAIN, "starting an extraction thread: %s", e.what());
                break;  // fewer workers still finish every job
            }
        }
        return {};
    }

    // Wait for job k's worker. Returns the first real error of any layer if one failed.
    Status wait(size_t k) {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return jobs[k].done; });
        if (!jobs[k].error) return {};
        if (first_error_) return *first_error_;
        return *jobs[k].error;
    }

    // Settle job k (its worker is done) and commit it; false: another process completed it.
    Result<bool> settle(size_t k) {
        LayerJob& job = jobs[k];
        if (!job.writer) return false;
        LayerWriter& w = *job.writer;
        if (job.applied.fixups) {
            auto lowers = TRY(open_lowers(store_, chain_, job.index));
            if (!lowers)
                return make_error(EIO, "%s: a lower layer is not complete", job.what.c_str());
            LowerDirs dirs = borrow(*lowers);
            bool settled = TRY_WRAP(apply_fixups(w.fs_fd(), dirs, *job.applied.fixups), job.what);
            if (!settled) {
                // The layer's own paths run through a lower-layer symlink: extract it again with
                // the lowers known.
                TRY_WRAP(w.reset(), job.what);
                auto again = extract(store_, job, w.fs_fd(), &dirs, limits_, stop_);
                if (!again) {
                    (void)w.reset();
                    return std::move(again).error();
                }
                job.applied = again.take();
            }
        }
        const Digest* parent = job.index ? &chain_[job.index - 1] : nullptr;
        TRY_WRAP(w.commit(layer_json(job, parent)), job.what);
        job.writer.reset();
        report_progress(job, true);
        return true;
    }

    void stop_and_join() {
        stop_.store(true);
        for (std::thread& t : workers_)
            if (t.joinable()) t.join();
        workers_.clear();
    }

private:
    void report_progress(const LayerJob& job, bool done) {
        if (!progress_) return;
        std::lock_guard lock(progress_mu_);
        progress_(job.index, job.chain_id, done);
    }

    void work() {
        for (;;) {
            size_t k;
            {
                std::lock_guard lock(mu_);
                if (next_ == jobs.size()) return;
                k = next_++;
            }
            Status st = stop_.load() ? Status(make_error(ECANCELED,
                                                         "stopped after another "
                                                         "layer failed"))
                                     : run(jobs[k]);
            std::lock_guard lock(mu_);
            if (!st) {
                Error e = std::move(st).error();
                if (e.code != ECANCELED && !first_error_) first_error_ = e;
                jobs[k].error = std::move(e);
                stop_.store(true);
            }
            jobs[k].done = true;
            cv_.notify_all();
        }
    }

    Status run(LayerJob& job) {
        std::optional<LayerWriter> w = TRY(store_.begin_layer(job.chain_id));
        if (!w) return {};  // completed by another process while we waited for its lock
        report_progress(job, false);
        // Lowers already complete (reused, or committed meanwhile) let the layer be applied
        // with no fixups to settle later.
        auto lowers = TRY(open_lowers(store_, chain_, job.index));
        LowerDirs dirs;
        if (lowers) dirs = borrow(*lowers);
        auto applied = extract(store_, job, w->fs_fd(), lowers ? &dirs : nullptr, limits_, stop_);
        if (!applied) {
            // Give back the space of a failed extraction now (a bomb stopped at its quota,
            // THREATS 61); the empty staging directory goes with the next writer.
            (void)w->reset();
            return std::move(applied).error();
        }
        job.applied = applied.take();
        job.writer = std::move(w);
        return {};
    }

    Store& store_;
    const std::vector<Digest>& chain_;
    const RenderLimits& limits_;
    const LayerProgress& progress_;
    std::mutex mu_;
    std::condition_variable cv_;
    size_t next_ = 0;
    std::optional<Error> first_error_;
    std::atomic<bool> stop_{false};
    std::mutex progress_mu_;
    std::vector<std::thread> workers_;
};

unsigned worker_count(unsigned jobs, size_t layers) {
    if (jobs == 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        jobs = n > 0 ? static_cast<unsigned>(n) : 1;
    }
    return static_cast<unsigned>(std::min<size_t>(jobs, layers));
}

}  // namespace

Result<std::vector<Digest>> ensure_layers(Store& store, const RenderImage& image,
                                          const RenderLimits& limits, unsigned jobs,
                                          LayerCacheReport* report, const LayerProgress& progress) {
    LayerCacheReport local;
    LayerCacheReport& rep = report ? *report : local;
    rep = LayerCacheReport();
    ImageConfig config = TRY_WRAP(parse_image_config(image.config_bytes), "image config");
    TRY(check_runnable_image(image.manifest, config));
    std::vector<Digest> chain = chain_ids(config.diff_ids);

    Extraction ex(store, chain, limits, progress);
    for (size_t i = 0; i < chain.size(); ++i) {
        std::optional<UniqueFd> fd = TRY(store.open_layer(chain[i]));
        if (fd) continue;
        const Descriptor& desc = image.manifest.layers[i];
        LayerJob job;
        job.index = i;
        job.desc = &desc;
        job.diff_id = config.diff_ids[i];
        job.chain_id = chain[i];
        job.what = strf("layer %zu (%s)", i, desc.digest.str().c_str());
        // Foreign and non-distributable layers are fetched by the puller like any other; a
        // blob missing now was never pulled or has been collected since.
        if (!store.has_blob(desc.digest))
            return make_error(ENOENT, "%s is not in the store; pull the image again",
                              job.what.c_str());
        ex.jobs.push_back(std::move(job));
    }

    if (!ex.jobs.empty()) {
        TRY(ex.start(worker_count(jobs, ex.jobs.size())));
        for (size_t k = 0; k < ex.jobs.size(); ++k) {
            TRY(ex.wait(k));
            if (TRY(ex.settle(k))) {
                rep.extracted.push_back(ex.jobs[k].chain_id);
                rep.bytes_written += ex.jobs[k].applied.report.bytes_written;
                rep.entries += ex.jobs[k].applied.report.entries;
            }
        }
        ex.stop_and_join();
    }
    // Everything not extracted here was found complete (before, or after waiting for another
    // process that extracted it).
    for (const Digest& c : chain)
        if (std::find(rep.extracted.begin(), rep.extracted.end(), c) == rep.extracted.end())
            rep.reused.push_back(c);
    return chain;
}

}  // namespace ocipod
