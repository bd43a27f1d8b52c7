// LayerStream: exact bytes and diffID for each compression, multi-member gzip and multi-frame
// zstd (THREATS 70), NUL padding versus trailing garbage (THREATS 69), the zstd window cap
// (THREATS 71), compression named by the media type and never sniffed (THREATS 72), truncation,
// the uncompressed quota (THREATS 61) and bytes after the tar end marker (THREATS 68).
#include <fcntl.h>
#include <isa-l/crc.h>
#include <isa-l/igzip_lib.h>
// ZSTD_getFrameHeader, to check what a crafted frame header asks for.
#define ZSTD_STATIC_LINKING_ONLY
#include <zstd.h>

#include "c/archive.hpp"
#include "c/hash.hpp"
#include "compress_fixture.hpp"
#include "image_fixture.hpp"
#include "render/layer_stream.hpp"

// CppUTest last: its leak-detecting operator new macro must not meet the STL headers.
#include <CppUTest/TestHarness.h>

using namespace ocipod;
using namespace ocipod::test;

namespace {

const char* const layer_name = "layer 3 (sha256:feed)";

std::string sha256_hex(std::string_view data) {
    Hasher h(HashAlg::sha256);
    h.update(data);
    return h.finish_hex();
}

// Mildly compressible data: a pattern with runs, so the compressed form is much smaller.
std::string sample(size_t n, unsigned seed) {
    std::string s = pattern_bytes(n, seed);
    for (size_t i = 0; i < n; i += 64) s.replace(i, std::min<size_t>(32, n - i), 32, 'a');
    return s;
}

void put_le(std::string* s, uint64_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) s->push_back(static_cast<char>(v >> (8 * i)));
}

// One gzip member of stored (uncompressed) blocks: its length is 18 + data + 5 per 64 KiB
// block, so a test can place a member boundary exactly.
std::string gzip_stored(std::string_view data) {
    std::string out("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff", 10);
    size_t pos = 0;
    do {
        size_t n = std::min<size_t>(65535, data.size() - pos);
        out.push_back(pos + n == data.size() ? 1 : 0);
        put_le(&out, n, 2);
        put_le(&out, ~n & 0xffff, 2);
        out.append(data.substr(pos, n));
        pos += n;
    } while (pos < data.size());
    put_le(&out, crc32_gzip_refl(0, reinterpret_cast<const uint8_t*>(data.data()), data.size()), 4);
    put_le(&out, data.size() & 0xffffffff, 4);
    return out;
}

size_t gzip_stored_size(size_t n) {
    return 18 + n + 5 * std::max<size_t>(1, (n + 65534) / 65535);
}

std::string zstd_of(std::string_view data, int level = 3) {
    std::string out(ZSTD_compressBound(data.size()), '\0');
    size_t n = ZSTD_compress(out.data(), out.size(), data.data(), data.size(), level);
    if (ZSTD_isError(n)) return "compress failed";
    out.resize(n);
    return out;
}

std::string zstd_skippable(std::string_view payload) {
    std::string out;
    put_le(&out, 0x184D2A5A, 4);
    put_le(&out, payload.size(), 4);
    out.append(payload);
    return out;
}

// A frame whose header asks for a 2^window_log window (no content size, not single-segment),
// followed by one raw last block.
std::string zstd_frame_with_window(unsigned window_log, std::string_view data) {
    std::string out;
    put_le(&out, 0xFD2FB528, 4);
    out.push_back(0x00);
    out.push_back(static_cast<char>((window_log - 10) << 3));
    put_le(&out, 1 | (data.size() << 3), 3);
    out.append(data);
    return out;
}

}  // namespace

TEST_GROUP(LayerStream) {
    TempDir* tmp = nullptr;
    void setup() override {
        tmp = new TempDir("stream");
    }
    void teardown() override {
        delete tmp;
    }

    std::unique_ptr<LayerStream> open_blob(std::string_view blob, media::Compression c,
                                           uint64_t max = UINT64_MAX) {
        std::string path = *tmp / "blob";
        write_path(path, blob);
        int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
        CHECK(fd >= 0);
        auto r = LayerStream::open(UniqueFd(fd), c, max, layer_name);
        CHECK_TEXT(r.ok(), r ? "" : r.error().message.c_str());
        return std::move(r).take();
    }

    // Every byte the stream yields, then "error: MESSAGE" if it failed.
    static std::string drain(LayerStream * s, int* code = nullptr) {
        std::string out;
        std::string buf(65536 + 7, '\0');
        for (;;) {
            auto n = s->read(buf.data(), buf.size());
            if (!n) {
                if (code) *code = n.error().code;
                return out + "error: " + n.error().message;
            }
            if (*n == 0) return out;
            out.append(buf.data(), *n);
        }
    }

    // Decodes blob and checks the bytes and the digest against plain.
    void check_round_trip(std::string_view blob, media::Compression c, const std::string& plain) {
        auto s = open_blob(blob, c);
        std::string got = drain(s.get());
        LONGS_EQUAL(plain.size(), got.size());
        CHECK(got == plain);
        auto d = s->finish();
        CHECK_TEXT(d.ok(), d ? "" : d.error().message.c_str());
        STRCMP_EQUAL(sha256_hex(plain).c_str(), d->hex().c_str());
        CHECK(d->alg() == HashAlg::sha256);
        LONGS_EQUAL(plain.size(), s->uncompressed_bytes());
    }

    // The error a blob fails with (after checking that the bytes before it were right).
    std::string failure(std::string_view blob, media::Compression c, const std::string& prefix,
                        int* code = nullptr) {
        auto s = open_blob(blob, c);
        std::string got = drain(s.get(), code);
        size_t at = got.find("error: ");
        if (at == std::string::npos) return "no error";
        CHECK_TEXT(got.compare(0, at, prefix, 0, at) == 0, "bytes before the error differ");
        auto d = s->finish();
        CHECK(!d.ok());
        return got.substr(at + 7);
    }
};

TEST(LayerStream, UncompressedRoundTrip) {
    std::string plain = pattern_bytes(3 * 1024 * 1024 + 123, 1);
    check_round_trip(plain, media::Compression::none, plain);
}

TEST(LayerStream, EmptyUncompressedLayer) {
    check_round_trip("", media::Compression::none, "");
}

TEST(LayerStream, GzipRoundTrip) {
    std::string plain = sample(5 * 1024 * 1024 + 77, 2);
    std::string gz = gzip_bytes(plain);
    CHECK(gz.size() < plain.size());
    check_round_trip(gz, media::Compression::gzip, plain);
}

TEST(LayerStream, ZstdRoundTrip) {
    std::string plain = sample(5 * 1024 * 1024 + 77, 3);
    std::string zs = zstd_of(plain);
    CHECK(zs.size() < plain.size());
    check_round_trip(zs, media::Compression::zstd, plain);
}

TEST(LayerStream, GzipMembersAreAllDecoded) {
    std::string a = sample(300000, 4), b = "short", c = sample(2 * 1024 * 1024, 5);
    check_round_trip(gzip_bytes(a) + gzip_bytes(b) + gzip_bytes("") + gzip_bytes(c),
                     media::Compression::gzip, a + b + c);
}

TEST(LayerStream, GzipMemberBoundaryAroundEveryReadSize) {
    // The decoder reads ahead of a member's end; the boundary falls just before, at and after
    // each read size a reader might use, so the bytes read ahead sit in the previous read.
    for (size_t boundary : {size_t{64} << 10, size_t{256} << 10, size_t{1} << 20}) {
        for (size_t end = boundary - 12; end <= boundary + 12; ++end) {
            size_t n = end - 23;
            while (gzip_stored_size(n) > end) --n;
            CHECK(gzip_stored_size(n) == end);
            std::string a = pattern_bytes(n, static_cast<unsigned>(end));
            std::string b = pattern_bytes(1000, 7);
            std::string blob = gzip_stored(a) + gzip_stored(b);
            LONGS_EQUAL(end, blob.size() - gzip_stored_size(b.size()));
            check_round_trip(blob, media::Compression::gzip, a + b);
        }
    }
}

TEST(LayerStream, GzipNulPaddingIsAccepted) {
    std::string plain = sample(100000, 6);
    check_round_trip(gzip_bytes(plain) + std::string(5000, '\0'), media::Compression::gzip, plain);
    check_round_trip(gzip_bytes(plain) + std::string(300 * 1024, '\0'), media::Compression::gzip,
                     plain);
}

TEST(LayerStream, GzipTrailingGarbageIsRefused) {
    std::string plain = sample(100000, 7);
    int code = 0;
    std::string e = failure(gzip_bytes(plain) + "garbage", media::Compression::gzip, plain, &code);
    CHECK_TEXT(e.find("trailing garbage after the gzip data") != std::string::npos, e.c_str());
    CHECK_TEXT(e.find(layer_name) != std::string::npos, e.c_str());
    LONGS_EQUAL(EBADMSG, code);
    e = failure(gzip_bytes(plain) + "\x1f", media::Compression::gzip, plain);
    CHECK_TEXT(e.find("truncated") != std::string::npos, e.c_str());
    e = failure(gzip_bytes(plain) + std::string(100, '\0') + "x", media::Compression::gzip, plain);
    CHECK_TEXT(e.find("trailing garbage after the gzip data") != std::string::npos, e.c_str());
    // NUL padding does not hide a further member either.
    e = failure(gzip_bytes(plain) + std::string(8, '\0') + gzip_bytes("more"),
                media::Compression::gzip, plain);
    CHECK_TEXT(e.find("trailing garbage after the gzip data") != std::string::npos, e.c_str());
}

TEST(LayerStream, ZstdFramesAndSkippableFramesAreAllDecoded) {
    std::string a = sample(400000, 8), b = sample(3 * 1024 * 1024, 9);
    std::string blob = zstd_skippable("manifest") + zstd_of(a) +
                       zstd_skippable(std::string(9, 'x')) + zstd_of(b, 1) + zstd_of("") +
                       zstd_skippable("");
    check_round_trip(blob, media::Compression::zstd, a + b);
}

TEST(LayerStream, ZstdWindowAbove128MiBIsRefused) {
    std::string data = "small payload";
    std::string big = zstd_frame_with_window(28, data);
    ZSTD_frameHeader h;
    LONGS_EQUAL(0, ZSTD_getFrameHeader(&h, big.data(), big.size()));
    CHECK(h.windowSize > (uint64_t{1} << 27));
    int code = 0;
    std::string e = failure(big, media::Compression::zstd, "", &code);
    CHECK_TEXT(e.find("window larger than 128 MiB") != std::string::npos, e.c_str());
    LONGS_EQUAL(EBADMSG, code);
    // The same frame with a 128 MiB window decodes: the refusal is the window's alone.
    std::string ok = zstd_frame_with_window(27, data);
    LONGS_EQUAL(0, ZSTD_getFrameHeader(&h, ok.data(), ok.size()));
    CHECK(h.windowSize == (uint64_t{1} << 27));
    check_round_trip(ok, media::Compression::zstd, data);
}

TEST(LayerStream, ZstdBytesUnderAGzipTypeAreRefused) {
    std::string e = failure(zstd_of(sample(1000, 10)), media::Compression::gzip, "");
    CHECK_TEXT(e.find(layer_name) != std::string::npos, e.c_str());
    CHECK_TEXT(e.find("not gzip data although its media type says gzip") != std::string::npos,
               e.c_str());
}

TEST(LayerStream, GzipBytesUnderAZstdTypeAreRefused) {
    std::string e = failure(gzip_bytes(sample(1000, 11)), media::Compression::zstd, "");
    CHECK_TEXT(e.find(layer_name) != std::string::npos, e.c_str());
    CHECK_TEXT(e.find("not zstd data although its media type says zstd") != std::string::npos,
               e.c_str());
}

TEST(LayerStream, TruncatedGzipIsRefused) {
    std::string plain = sample(2 * 1024 * 1024, 12);
    std::string gz = gzip_bytes(plain);
    for (size_t cut : {gz.size() / 2, gz.size() - 4, gz.size() - 1, size_t{5}, size_t{0}}) {
        int code = 0;
        std::string e = failure(gz.substr(0, cut), media::Compression::gzip, plain, &code);
        CHECK_TEXT(e.find("truncated") != std::string::npos, e.c_str());
        LONGS_EQUAL(EBADMSG, code);
    }
}

TEST(LayerStream, TruncatedZstdIsRefused) {
    std::string plain = sample(2 * 1024 * 1024, 13);
    std::string zs = zstd_of(plain);
    for (size_t cut : {zs.size() / 2, zs.size() - 1, size_t{3}, size_t{0}}) {
        int code = 0;
        std::string e = failure(zs.substr(0, cut), media::Compression::zstd, plain, &code);
        CHECK_TEXT(e.find("truncated") != std::string::npos, e.c_str());
        LONGS_EQUAL(EBADMSG, code);
    }
}

TEST(LayerStream, CorruptGzipIsRefused) {
    std::string plain = sample(200000, 14);
    std::string gz = gzip_bytes(plain);
    gz[gz.size() - 6] ^= 0x55;  // the CRC
    std::string e = failure(gz, media::Compression::gzip, plain);
    CHECK_TEXT(e.find("corrupt gzip data") != std::string::npos, e.c_str());
}

TEST(LayerStream, QuotaStopsTheExpansion) {
    std::string plain(6 * 1024 * 1024, '\0');
    uint64_t max = 1024 * 1024 + 5;
    for (auto c : {media::Compression::none, media::Compression::gzip, media::Compression::zstd}) {
        std::string blob = c == media::Compression::gzip   ? gzip_bytes(plain)
                           : c == media::Compression::zstd ? zstd_of(plain)
                                                           : plain;
        auto s = open_blob(blob, c, max);
        int code = 0;
        std::string got = drain(s.get(), &code);
        LONGS_EQUAL(EFBIG, code);
        CHECK(got.starts_with(std::string(max, '\0') + "error: "));
        CHECK_TEXT(got.find("expands to more than") != std::string::npos, got.c_str() + max);
        CHECK_TEXT(got.find(layer_name) != std::string::npos, got.c_str() + max);
        auto d = s->finish();
        LONGS_EQUAL(EFBIG, d.error().code);
    }
    // Exactly at the quota is allowed.
    auto s = open_blob(gzip_bytes(plain), media::Compression::gzip, plain.size());
    CHECK(drain(s.get()) == plain);
    CHECK(s->finish().ok());
}

TEST(LayerStream, FinishHashesTheBytesAfterTheTarEndMarker) {
    std::string tar =
        TarBuilder().file("a", "one").dir("d/").file("d/b", sample(70000, 15)).finish();
    // Larger than any read-ahead of the tar reader, so finish() has real work left.
    std::string after =
        TarBuilder().file("hidden", "never extracted").finish() + pattern_bytes(3 << 20, 16);
    std::string whole = tar + after;
    for (auto c : {media::Compression::none, media::Compression::gzip, media::Compression::zstd}) {
        std::string blob = c == media::Compression::gzip   ? gzip_bytes(whole)
                           : c == media::Compression::zstd ? zstd_of(whole)
                                                           : whole;
        auto s = open_blob(blob, c);
        auto r = TarReader::open_source(s.get());
        CHECK_TEXT(r.ok(), r ? "" : r.error().message.c_str());
        std::string names;
        TarEntry e;
        for (;;) {
            auto more = r->next(&e);
            CHECK_TEXT(more.ok(), more ? "" : more.error().message.c_str());
            if (!*more) break;
            names += e.path + ";";
        }
        STRCMP_EQUAL("a;d/;d/b;", names.c_str());
        CHECK(s->uncompressed_bytes() < whole.size());
        auto d = s->finish();
        CHECK_TEXT(d.ok(), d ? "" : d.error().message.c_str());
        STRCMP_EQUAL(sha256_hex(whole).c_str(), d->hex().c_str());
        CHECK(d->hex() != sha256_hex(tar));
        LONGS_EQUAL(whole.size(), s->uncompressed_bytes());
    }
}

TEST(LayerStream, ReaderMayStopEarly) {
    std::string plain(32 * 1024 * 1024, 'z');
    std::string gz = gzip_bytes(plain);
    {
        auto s = open_blob(gz, media::Compression::gzip);
        char buf[10];
        auto n = s->read(buf, sizeof buf);
        CHECK(n.ok() && *n > 0);
    }
    {
        auto s = open_blob(gz, media::Compression::gzip);  // never read at all
    }
    auto s = open_blob(plain, media::Compression::none);
    std::string got = drain(s.get());
    CHECK(got == plain);
}
