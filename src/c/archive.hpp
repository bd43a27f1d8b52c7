// libarchive as a tar READER only (DESIGN.md §5.2, THREATS.md §1.3). Only the tar format is
// enabled and only the decompression filters the caller names: never support_filter_all (it can
// exec lrzip/lzop/grzip) nor support_format_all (zip, 7z, rar, iso, cpio parsers). A filter that
// would need an external program is refused. ARCHIVE_WARN and ARCHIVE_RETRY are errors: libarchive
// resyncs past a damaged header on RETRY, which would silently drop tampered members.
// Names are the raw bytes of archive_entry_pathname() (no locale conversion).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>

#include <archive.h>
#include <archive_entry.h>

#include "base/result.hpp"
#include "c/dynamic_library.hpp"

// Every libarchive function oci-pod calls, loaded on first use (c/dynamic_library.hpp):
// libarchive().archive_read_new() is archive_read_new().
// clang-format off
#define OCIPOD_ARCHIVE_FUNCTIONS(X)     \
    X(archive_entry_atime)              \
    X(archive_entry_atime_is_set)       \
    X(archive_entry_atime_nsec)         \
    X(archive_entry_filetype)           \
    X(archive_entry_gid)                \
    X(archive_entry_hardlink)           \
    X(archive_entry_mtime)              \
    X(archive_entry_mtime_is_set)       \
    X(archive_entry_mtime_nsec)         \
    X(archive_entry_pathname)           \
    X(archive_entry_perm)               \
    X(archive_entry_rdevmajor)          \
    X(archive_entry_rdevminor)          \
    X(archive_entry_size)               \
    X(archive_entry_size_is_set)        \
    X(archive_entry_sparse_count)       \
    X(archive_entry_symlink)            \
    X(archive_entry_uid)                \
    X(archive_entry_xattr_next)         \
    X(archive_entry_xattr_reset)        \
    X(archive_errno)                    \
    X(archive_error_string)             \
    X(archive_filter_code)              \
    X(archive_read_data)                \
    X(archive_read_data_skip)           \
    X(archive_read_free)                \
    X(archive_read_new)                 \
    X(archive_read_next_header)         \
    X(archive_read_open)                \
    X(archive_read_open_fd)             \
    X(archive_read_support_filter_gzip) \
    X(archive_read_support_filter_zstd) \
    X(archive_read_support_format_tar)  \
    X(archive_set_error)
// clang-format on

namespace ocipod {

struct ArchiveFunctions {
    OCIPOD_ARCHIVE_FUNCTIONS(OCIPOD_LIB_MEMBER)
};
const ArchiveFunctions& libarchive();

enum class TarCompression { none, gzip, zstd };
const char* tar_compression_name(TarCompression c);

struct TarEntry {
    enum class Type { regular, directory, symlink, hardlink, other };
    std::string path;  // exactly as stored
    Type type = Type::other;
    int64_t size = 0;         // data bytes that follow (regular files)
    std::string link_target;  // symlink or hard-link target
};

// A source of bytes for TarReader::open_source (the renderer's decompressing layer stream).
// read() returns the number of bytes stored in buf, 0 at the end of the stream.
class ByteSource {
public:
    virtual ~ByteSource() = default;
    virtual Result<size_t> read(void* buf, size_t len) = 0;
};

class TarReader {
public:
    // Read a tar stream from fd (borrowed, not closed; read from its current offset). allowed
    // lists the compressions accepted: the stream's actual compression is checked against it on
    // the first header, so a caller that knows the type from a media type passes exactly that one.
    static Result<TarReader> open_fd(int fd, std::initializer_list<TarCompression> allowed);
    // Read an uncompressed tar stream from src (borrowed; must outlive the reader). No
    // decompression filter is enabled: the caller decompresses (and hashes) the stream itself.
    static Result<TarReader> open_source(ByteSource* src);

    TarReader(TarReader&&) noexcept;
    TarReader& operator=(TarReader&&) noexcept;
    ~TarReader();

    // The next member's header; false at the end of the archive.
    Result<bool> next(TarEntry* out);
    // Data of the current member: bytes read, 0 at its end. A truncated archive is an error.
    Result<size_t> read(void* buf, size_t len);
    // Skip the rest of the current member's data.
    Status skip();
    // Valid after the first next().
    TarCompression compression() const;
    // The libarchive entry of the last header, for readers that need more fields (owner, mode,
    // times, xattrs). Valid until the next call to next().
    struct archive_entry* raw_entry() const;

private:
    struct State;
    explicit TarReader(std::unique_ptr<State> s);
    std::unique_ptr<State> s_;
};

}  // namespace ocipod
