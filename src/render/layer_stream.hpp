// The uncompressed byte stream of one stored layer blob, for the tar reader. The compression is
// the one the layer's media type names (never sniffed: a gzip layer with zstd bytes fails).
// Decompression runs on its own thread, a few buffers ahead of the reader, so inflating and
// hashing overlap with the file-system work of extraction; gzip uses ISA-L's igzip, zstd libzstd
// with a decoder window capped at 128 MiB (THREATS 71).
//
// Every uncompressed byte is hashed for the layer's diffID, including bytes after the tar
// end-of-archive marker (THREATS 68: they are never extracted, but the diffID covers them):
// finish() reads the rest of the stream and returns the digest. More than max_bytes of
// uncompressed data fails the stream with EFBIG (gzip bombs, THREATS 61); compressed input that
// ends early or decodes to garbage fails it with EBADMSG.
#pragma once

#include <cstdint>
#include <memory>

#include "base/result.hpp"
#include "base/unique_fd.hpp"
#include "c/archive.hpp"
#include "oci/digest.hpp"
#include "oci/media_types.hpp"

namespace ocipod {

class LayerStream : public ByteSource {
public:
    // blob: a read-only fd of the stored (already digest-verified) blob, read from offset 0.
    // what names the layer in errors ("layer 2 (sha256:…)").
    static Result<std::unique_ptr<LayerStream>> open(UniqueFd blob, media::Compression compression,
                                                     uint64_t max_bytes, std::string what);
    ~LayerStream() override;

    // Uncompressed bytes, in order. An error (bad data, quota) is returned from here once the
    // reader reaches the point where it happened.
    Result<size_t> read(void* buf, size_t len) override;
    // Consume the rest of the stream and return sha256 of all uncompressed bytes.
    Result<Digest> finish();
    uint64_t uncompressed_bytes() const;

private:
    struct State;
    explicit LayerStream(std::unique_ptr<State> s);
    std::unique_ptr<State> s_;
};

}  // namespace ocipod
