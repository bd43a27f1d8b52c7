// The producer thread reads the blob, decompresses it into a small pool of 1 MiB chunks and
// hashes every chunk before handing it over; the reader copies out of the front chunk and gives
// it back when it is drained. Only two locks per MiB are taken, and the chunk the decoder writes
// into is the one the reader copies from, so the only copy is into the caller's buffer.
//
// The producer ends either with the sha256 of everything it produced, or with an error that the
// reader sees after the bytes that preceded it.
#include "render/layer_stream.hpp"

#include <fcntl.h>
#include <isa-l/igzip_lib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>
#include <zstd_errors.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <system_error>
#include <thread>
#include <vector>

#include "c/hash.hpp"

namespace ocipod {

namespace {

constexpr size_t chunk_size = 1 << 20;
constexpr size_t chunk_count = 4;
constexpr size_t input_size = 256 * 1024;
// igzip reads up to 8 bytes ahead into its bit buffer; at the end of a gzip member it gives them
// back by moving next_in backwards, possibly to before the start of the latest read. The last
// bytes of the previous read are therefore kept just before the buffer.
constexpr size_t input_history = 16;
// libzstd's default limit, set explicitly: a larger window is refused before it is allocated
// (THREATS 71).
constexpr int zstd_window_log_max = 27;

struct Chunk {
    uint8_t* data = nullptr;
    size_t len = 0;
};

void free_zstd(ZSTD_DCtx* d) {
    ZSTD_freeDCtx(d);
}

}  // namespace

struct LayerStream::State {
    State(UniqueFd fd, media::Compression c, uint64_t max, std::string w)
        : blob(std::move(fd)), compression(c), max_bytes(max), what(std::move(w)) {}

    UniqueFd blob;
    media::Compression compression;
    uint64_t max_bytes;
    std::string what;
    std::vector<std::unique_ptr<uint8_t[]>> storage;  // every chunk, owned here

    // Shared between the threads, under mu.
    std::mutex mu;
    std::condition_variable space;  // a chunk went back to free, or stop
    std::condition_variable data;   // a chunk is ready, or done
    std::vector<uint8_t*> free;
    std::deque<Chunk> ready;
    bool done = false;
    bool stop = false;
    std::optional<Error> error;
    std::string digest_hex;

    // Reader side.
    Chunk current;
    size_t pos = 0;
    uint64_t delivered = 0;

    // Producer side.
    Hasher hasher{HashAlg::sha256};
    uint64_t produced = 0;
    std::unique_ptr<uint8_t[]> input;
    uint8_t* in = nullptr;
    size_t in_len = 0;
    size_t last_fill = 0;
    uint64_t offset = 0;
    bool eof = false;
    std::unique_ptr<inflate_state> inflate;
    CPtr<ZSTD_DCtx, free_zstd> zstd;
    std::thread thread;

    uint8_t* acquire();
    Status publish(uint8_t* buf, size_t len);
    Status publish_then(uint8_t* buf, size_t len, Error e);
    Status refill();
    Status run_none();
    Status run_gzip();
    Status run_zstd();
    void produce();
    Result<bool> next_chunk();
};

// A free chunk to fill; nullptr once the reader has gone.
uint8_t* LayerStream::State::acquire() {
    std::unique_lock<std::mutex> lock(mu);
    space.wait(lock, [this] { return stop || !free.empty(); });
    if (stop) return nullptr;
    uint8_t* b = free.back();
    free.pop_back();
    return b;
}

// Hash and count the chunk, then queue it. The quota cuts the chunk at max_bytes (THREATS 61).
Status LayerStream::State::publish(uint8_t* buf, size_t len) {
    std::optional<Error> over;
    if (len > max_bytes - produced) {
        len = max_bytes - produced;
        over =
            make_error(EFBIG, "%s expands to more than %s (%llu bytes), refusing", what.c_str(),
                       human_size(max_bytes).c_str(), static_cast<unsigned long long>(max_bytes));
    }
    hasher.update(buf, len);
    produced += len;
    {
        std::lock_guard<std::mutex> lock(mu);
        if (len > 0)
            ready.push_back(Chunk{buf, len});
        else if (buf)
            free.push_back(buf);
    }
    data.notify_one();
    if (over) return std::move(*over);
    return {};
}

Status LayerStream::State::publish_then(uint8_t* buf, size_t len, Error e) {
    TRY(publish(buf, len));
    return e;
}

// Next compressed bytes into in/in_len; eof when the blob has no more.
Status LayerStream::State::refill() {
    uint8_t* base = input.get() + input_history;
    memmove(input.get(), input.get() + last_fill, input_history);
    ssize_t n;
    do {
        n = pread(blob.get(), base, input_size, static_cast<off_t>(offset));
    } while (n < 0 && errno == EINTR);
    if (n < 0) return errno_error("reading %s", what.c_str());
    offset += static_cast<uint64_t>(n);
    in = base;
    in_len = static_cast<size_t>(n);
    last_fill = in_len;
    if (n == 0) eof = true;
    return {};
}

Status LayerStream::State::run_none() {
    for (;;) {
        uint8_t* out = acquire();
        if (!out) return {};
        size_t len = 0;
        while (len < chunk_size) {
            ssize_t n = pread(blob.get(), out + len, chunk_size - len, static_cast<off_t>(offset));
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) return publish_then(out, len, errno_error("reading %s", what.c_str()));
            if (n == 0) {
                eof = true;
                break;
            }
            len += static_cast<size_t>(n);
            offset += static_cast<uint64_t>(n);
        }
        TRY(publish(out, len));
        if (eof) return {};
    }
}

// Members are decoded one after another (THREATS 70). After the last one only NUL bytes may
// follow (THREATS 69: some tools pad the blob); anything else is refused rather than ignored.
Status LayerStream::State::run_gzip() {
    inflate_state* st = inflate.get();
    isal_inflate_init(st);
    st->crc_flag = ISAL_GZIP;
    bool in_member = true;
    bool member_start = true;
    bool first_member = true;
    bool padding = false;
    uint8_t* out = nullptr;
    size_t out_len = 0;
    for (;;) {
        if (in_len == 0 && !eof) TRY(refill());
        if (!in_member) {
            if (in_len == 0 && eof) break;
            if (!padding && in[0] != 0) {
                isal_inflate_reset(st);
                st->crc_flag = ISAL_GZIP;
                in_member = true;
                member_start = true;
            } else {
                padding = true;
                for (size_t i = 0; i < in_len; ++i)
                    if (in[i] != 0)
                        return publish_then(
                            out, out_len,
                            make_error(EBADMSG,
                                       "%s: trailing garbage after the gzip data, refusing",
                                       what.c_str()));
                in_len = 0;
                continue;
            }
        }
        if (member_start) {
            // The magic is checked here rather than left to igzip, which waits for a whole
            // header: a short foreign tail or blob then gets the message it deserves.
            if (in_len == 1 && !eof) {
                TRY(refill());
                --in;  // the byte before the refill, kept in the history
                ++in_len;
            }
            if (in_len < 2)
                return publish_then(
                    out, out_len,
                    make_error(EBADMSG, "%s: the gzip data is truncated", what.c_str()));
            if (in[0] != 0x1f || in[1] != 0x8b)
                return publish_then(
                    out, out_len,
                    first_member
                        ? make_error(EBADMSG,
                                     "%s is not gzip data although its media type says gzip, "
                                     "refusing",
                                     what.c_str())
                        : make_error(EBADMSG, "%s: trailing garbage after the gzip data, refusing",
                                     what.c_str()));
            member_start = false;
        }
        if (!out) {
            out = acquire();
            if (!out) return {};
            out_len = 0;
        }
        size_t before = out_len;
        st->next_in = in;
        st->avail_in = static_cast<uint32_t>(in_len);
        st->next_out = out + out_len;
        st->avail_out = static_cast<uint32_t>(chunk_size - out_len);
        int rc = isal_inflate(st);
        in = st->next_in;
        in_len = st->avail_in;
        out_len = chunk_size - st->avail_out;
        if (rc < 0)
            return publish_then(
                out, out_len,
                make_error(EBADMSG, "%s: corrupt gzip data (igzip error %d), refusing",
                           what.c_str(), rc));
        if (st->block_state == ISAL_BLOCK_FINISH) {
            // Whole bytes still in the bit buffer belong to what follows (none once igzip has
            // rewound next_in itself).
            size_t back = static_cast<size_t>(st->read_in_length) / 8;
            in -= back;
            in_len += back;
            in_member = false;
            first_member = false;
        } else if (in_len == 0 && eof && out_len == before) {
            // igzip flushes what its bit buffer still holds first: only no progress at all
            // with no input left means the member ends early.
            return publish_then(
                out, out_len, make_error(EBADMSG, "%s: the gzip data is truncated", what.c_str()));
        }
        if (out_len == chunk_size) {
            TRY(publish(out, out_len));
            out = nullptr;
        }
    }
    if (out) TRY(publish(out, out_len));
    return {};
}

// Frames, skippable ones included, are decoded one after another (THREATS 70).
Status LayerStream::State::run_zstd() {
    ZSTD_DCtx* d = zstd.get();
    bool any_frame = false;
    size_t pending = 1;  // ZSTD_decompressStream's last hint: 0 at the end of a frame
    uint8_t* out = nullptr;
    size_t out_len = 0;
    for (;;) {
        if (in_len == 0 && !eof) TRY(refill());
        if (!out) {
            out = acquire();
            if (!out) return {};
            out_len = 0;
        }
        if (in_len == 0 && eof && pending == 0 && any_frame) break;
        ZSTD_inBuffer ib{in, in_len, 0};
        ZSTD_outBuffer ob{out, chunk_size, out_len};
        size_t r = ZSTD_decompressStream(d, &ob, &ib);
        in += ib.pos;
        in_len -= ib.pos;
        size_t made = ob.pos - out_len;
        out_len = ob.pos;
        if (ZSTD_isError(r)) {
            ZSTD_ErrorCode code = ZSTD_getErrorCode(r);
            Error e;
            if (code == ZSTD_error_frameParameter_windowTooLarge)
                e = make_error(EBADMSG,
                               "%s needs a zstd window larger than %u MiB to decode, refusing",
                               what.c_str(), (1u << zstd_window_log_max) >> 20);
            else if (code == ZSTD_error_prefix_unknown && !any_frame)
                e = make_error(EBADMSG,
                               "%s is not zstd data although its media type says zstd, refusing",
                               what.c_str());
            else if (code == ZSTD_error_prefix_unknown)
                e = make_error(EBADMSG, "%s: trailing garbage after the zstd data, refusing",
                               what.c_str());
            else
                e = make_error(EBADMSG, "%s: corrupt zstd data (%s), refusing", what.c_str(),
                               ZSTD_getErrorName(r));
            return publish_then(out, out_len, std::move(e));
        }
        pending = r;
        if (r == 0) any_frame = true;
        if (out_len == chunk_size) {
            TRY(publish(out, out_len));
            out = nullptr;
        } else if (in_len == 0 && eof && made == 0 && ib.pos == 0 && (pending != 0 || !any_frame)) {
            return publish_then(
                out, out_len, make_error(EBADMSG, "%s: the zstd data is truncated", what.c_str()));
        }
    }
    if (out) TRY(publish(out, out_len));
    return {};
}

void LayerStream::State::produce() {
    Status st;
    switch (compression) {
        case media::Compression::none:
            st = run_none();
            break;
        case media::Compression::gzip:
            st = run_gzip();
            break;
        case media::Compression::zstd:
            st = run_zstd();
            break;
    }
    std::string hex = st.ok() ? hasher.finish_hex() : std::string();
    {
        std::lock_guard<std::mutex> lock(mu);
        if (!st.ok())
            error = std::move(st).error();
        else
            digest_hex = std::move(hex);
        done = true;
    }
    data.notify_one();
}

// Give the drained chunk back and take the next one; false at the end of the stream.
Result<bool> LayerStream::State::next_chunk() {
    std::unique_lock<std::mutex> lock(mu);
    if (current.data) {
        free.push_back(current.data);
        current = Chunk{};
        pos = 0;
        space.notify_one();
    }
    data.wait(lock, [this] { return done || !ready.empty(); });
    if (!ready.empty()) {
        current = ready.front();
        ready.pop_front();
        return true;
    }
    if (error) return *error;
    return false;
}

LayerStream::LayerStream(std::unique_ptr<State> s) : s_(std::move(s)) {}

LayerStream::~LayerStream() {
    if (!s_) return;
    {
        std::lock_guard<std::mutex> lock(s_->mu);
        s_->stop = true;
    }
    s_->space.notify_all();
    if (s_->thread.joinable()) s_->thread.join();
}

Result<std::unique_ptr<LayerStream>> LayerStream::open(UniqueFd blob,
                                                       media::Compression compression,
                                                       uint64_t max_bytes, std::string what) {
    if (!blob) return make_error(EBADF, "no blob to read for %s", what.c_str());
    auto s = std::make_unique<State>(std::move(blob), compression, max_bytes, std::move(what));
    (void)posix_fadvise(s->blob.get(), 0, 0, POSIX_FADV_SEQUENTIAL);
    // Everything the producer needs is allocated here, so the thread itself only decodes.
    for (size_t i = 0; i < chunk_count; ++i) {
        s->storage.emplace_back(new uint8_t[chunk_size]);
        s->free.push_back(s->storage.back().get());
    }
    if (compression != media::Compression::none) {
        s->input.reset(new uint8_t[input_history + input_size]);
        memset(s->input.get(), 0, input_history);
    }
    if (compression == media::Compression::gzip) s->inflate = std::make_unique<inflate_state>();
    if (compression == media::Compression::zstd) {
        s->zstd.reset(ZSTD_createDCtx());
        if (!s->zstd)
            return make_error(ENOMEM, "allocating a zstd decoder for %s", s->what.c_str());
        size_t r = ZSTD_DCtx_setParameter(s->zstd.get(), ZSTD_d_windowLogMax, zstd_window_log_max);
        if (ZSTD_isError(r))
            return make_error(EINVAL, "configuring the zstd decoder: %s", ZSTD_getErrorName(r));
    }
    std::unique_ptr<LayerStream> stream(new LayerStream(std::move(s)));
    State* st = stream->s_.get();
    try {
        st->thread = std::thread([st] { st->produce(); });
    } catch (const std::system_error& e) {
        return make_error(e.code().value(), "starting the decoder thread for %s: %s",
                          st->what.c_str(), e.what());
    }
    return stream;
}

Result<size_t> LayerStream::read(void* buf, size_t len) {
    State& s = *s_;
    if (len == 0) return size_t{0};
    while (s.pos == s.current.len) {
        if (!TRY(s.next_chunk())) return size_t{0};
    }
    size_t n = std::min(len, s.current.len - s.pos);
    memcpy(buf, s.current.data + s.pos, n);
    s.pos += n;
    s.delivered += n;
    return n;
}

Result<Digest> LayerStream::finish() {
    State& s = *s_;
    s.delivered += s.current.len - s.pos;
    s.pos = s.current.len;
    while (TRY(s.next_chunk())) {
        s.delivered += s.current.len;
        s.pos = s.current.len;
    }
    return Digest::from_hex(HashAlg::sha256, s.digest_hex);
}

uint64_t LayerStream::uncompressed_bytes() const {
    return s_->delivered;
}

}  // namespace ocipod
