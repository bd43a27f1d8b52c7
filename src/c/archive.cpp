#include "c/archive.hpp"

#include <locale.h>

#include <algorithm>
#include <optional>
#include <vector>

#include "base/unique_fd.hpp"

namespace ocipod {

const ArchiveFunctions& libarchive() {
    OCIPOD_LIB_LOAD(ArchiveFunctions, OCIPOD_ARCHIVE_FUNCTIONS, ARCHIVE_SONAME,
                    "reading layer tars");
}

namespace {

void free_archive(struct archive* a) {
    libarchive().archive_read_free(a);
}
using ArchivePtr = CPtr<struct archive, free_archive>;

// What open_source asks of its source per call: large enough that libarchive rarely has to join
// two reads to see one header.
constexpr size_t source_buffer_size = 256 * 1024;

Error archive_failure(struct archive* a, int rc, const char* what) {
    const char* msg = libarchive().archive_error_string(a);
    const char* kind = rc == ARCHIVE_WARN    ? " (warning treated as an error)"
                       : rc == ARCHIVE_RETRY ? " (damaged entry, refusing to resync)"
                                             : "";
    int code = libarchive().archive_errno(a);
    if (code <= 0 || rc == ARCHIVE_WARN || rc == ARCHIVE_RETRY) code = EBADMSG;
    return make_error(code, "%s: %s%s", what, msg ? printable(msg).c_str() : "libarchive error",
                      kind);
}

Result<TarCompression> compression_of(int filter_code) {
    switch (filter_code) {
        case ARCHIVE_FILTER_NONE:
            return TarCompression::none;
        case ARCHIVE_FILTER_GZIP:
            return TarCompression::gzip;
        case ARCHIVE_FILTER_ZSTD:
            return TarCompression::zstd;
        default:
            return make_error(ENOTSUP, "unsupported compression filter %d", filter_code);
    }
}

// libarchive converts PAX names (UTF-8 by definition) to the charset of the current locale, and
// in the C locale every non-ASCII name fails with ARCHIVE_WARN. Reading headers under C.UTF-8
// makes that conversion the identity, so names stay the exact bytes of the archive (THREATS 9).
// uselocale() changes only the calling thread, and only for the duration of one header read.
class Utf8HeaderLocale {
public:
    Utf8HeaderLocale() {
        static const locale_t utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", static_cast<locale_t>(0));
        if (utf8) previous_ = uselocale(utf8);
    }
    ~Utf8HeaderLocale() {
        if (previous_) uselocale(previous_);
    }
    Utf8HeaderLocale(const Utf8HeaderLocale&) = delete;
    Utf8HeaderLocale& operator=(const Utf8HeaderLocale&) = delete;

private:
    locale_t previous_ = static_cast<locale_t>(0);
};

}  // namespace

const char* tar_compression_name(TarCompression c) {
    switch (c) {
        case TarCompression::none:
            return "uncompressed";
        case TarCompression::gzip:
            return "gzip";
        case TarCompression::zstd:
            return "zstd";
    }
    return "?";
}

struct TarReader::State {
    // libarchive's read callback for open_source: the source's bytes through buffer. A failure
    // is kept so the caller sees the source's own error rather than libarchive's summary of it.
    static la_ssize_t read_source(struct archive* a, void* client, const void** out);
    // The source's error when there is one, else libarchive's.
    Error failure(int rc, const char* what) const {
        return source_error ? *source_error : archive_failure(a.get(), rc, what);
    }

    ArchivePtr a;
    ByteSource* source = nullptr;
    std::unique_ptr<uint8_t[]> buffer;
    std::optional<Error> source_error;
    std::vector<TarCompression> allowed;
    TarCompression compression = TarCompression::none;
    bool checked_filter = false;
    bool at_end = false;
    struct archive_entry* entry = nullptr;
};

TarReader::TarReader(std::unique_ptr<State> s) : s_(std::move(s)) {}
TarReader::TarReader(TarReader&&) noexcept = default;
TarReader& TarReader::operator=(TarReader&&) noexcept = default;
TarReader::~TarReader() = default;

Result<TarReader> TarReader::open_fd(int fd, std::initializer_list<TarCompression> allowed) {
    auto st = std::make_unique<State>();
    st->allowed.assign(allowed.begin(), allowed.end());
    st->a.reset(libarchive().archive_read_new());
    if (!st->a) return make_error(ENOMEM, "allocating an archive reader");
    struct archive* a = st->a.get();
    // Any status but OK here (WARN means "will run an external program") is a refusal.
    int rc = libarchive().archive_read_support_format_tar(a);
    if (rc != ARCHIVE_OK) return archive_failure(a, rc, "enabling the tar format");
    for (TarCompression c : allowed) {
        if (c == TarCompression::gzip)
            rc = libarchive().archive_read_support_filter_gzip(a);
        else if (c == TarCompression::zstd)
            rc = libarchive().archive_read_support_filter_zstd(a);
        else
            continue;
        if (rc != ARCHIVE_OK)
            return archive_failure(a, rc, strf("enabling %s", tar_compression_name(c)).c_str());
    }
    rc = libarchive().archive_read_open_fd(a, fd, 128 * 1024);
    if (rc != ARCHIVE_OK) return archive_failure(a, rc, "opening the archive");
    return TarReader(std::move(st));
}

la_ssize_t TarReader::State::read_source(struct archive* a, void* client, const void** out) {
    auto* s = static_cast<State*>(client);
    if (s->source_error) return ARCHIVE_FATAL;
    Result<size_t> n = s->source->read(s->buffer.get(), source_buffer_size);
    if (!n) {
        s->source_error = n.error();
        libarchive().archive_set_error(a, n.error().code, "%s",
                                       printable(n.error().message).c_str());
        return ARCHIVE_FATAL;
    }
    *out = s->buffer.get();
    return static_cast<la_ssize_t>(*n);
}

Result<TarReader> TarReader::open_source(ByteSource* src) {
    auto st = std::make_unique<State>();
    st->source = src;
    st->buffer.reset(new uint8_t[source_buffer_size]);
    // The caller decompresses: the stream must be a plain tar, and is reported as such.
    st->allowed = {TarCompression::none};
    st->a.reset(libarchive().archive_read_new());
    if (!st->a) return make_error(ENOMEM, "allocating an archive reader");
    struct archive* a = st->a.get();
    int rc = libarchive().archive_read_support_format_tar(a);
    if (rc != ARCHIVE_OK) return archive_failure(a, rc, "enabling the tar format");
    rc = libarchive().archive_read_open(a, st.get(), nullptr, &State::read_source, nullptr);
    if (rc != ARCHIVE_OK) return st->failure(rc, "opening the archive");
    return TarReader(std::move(st));
}

Result<bool> TarReader::next(TarEntry* out) {
    State& s = *s_;
    if (s.at_end) return false;
    struct archive_entry* e = nullptr;
    int rc;
    {
        Utf8HeaderLocale utf8;
        rc = libarchive().archive_read_next_header(s.a.get(), &e);
    }
    if (rc != ARCHIVE_OK && rc != ARCHIVE_EOF) return s.failure(rc, "reading a tar header");
    if (!s.checked_filter) {
        // An empty tar (only the end marker) is a valid layer, so this is checked at EOF too.
        s.compression = TRY(compression_of(libarchive().archive_filter_code(s.a.get(), 0)));
        if (std::find(s.allowed.begin(), s.allowed.end(), s.compression) == s.allowed.end())
            return make_error(ENOTSUP, "%s archives are not accepted here",
                              tar_compression_name(s.compression));
        s.checked_filter = true;
    }
    if (rc == ARCHIVE_EOF) {
        s.at_end = true;
        s.entry = nullptr;
        return false;
    }
    s.entry = e;
    const char* path = libarchive().archive_entry_pathname(e);
    if (!path) return make_error(EBADMSG, "tar member without a name");
    out->path = path;
    out->link_target.clear();
    out->size = libarchive().archive_entry_size_is_set(e) ? libarchive().archive_entry_size(e) : 0;
    if (out->size < 0) return make_error(EBADMSG, "tar member '%s' has a negative size", path);
    if (const char* hl = libarchive().archive_entry_hardlink(e)) {
        out->type = TarEntry::Type::hardlink;
        out->link_target = hl;
        return true;
    }
    switch (libarchive().archive_entry_filetype(e)) {
        case AE_IFREG:
            out->type = TarEntry::Type::regular;
            break;
        case AE_IFDIR:
            out->type = TarEntry::Type::directory;
            break;
        case AE_IFLNK:
            out->type = TarEntry::Type::symlink;
            if (const char* t = libarchive().archive_entry_symlink(e)) out->link_target = t;
            break;
        default:
            out->type = TarEntry::Type::other;
            break;
    }
    return true;
}

Result<size_t> TarReader::read(void* buf, size_t len) {
    la_ssize_t n = libarchive().archive_read_data(s_->a.get(), buf, len);
    if (n < 0) return s_->failure(static_cast<int>(n), "reading tar data");
    return static_cast<size_t>(n);
}

Status TarReader::skip() {
    int rc = libarchive().archive_read_data_skip(s_->a.get());
    if (rc != ARCHIVE_OK) return s_->failure(rc, "skipping tar data");
    return {};
}

TarCompression TarReader::compression() const {
    return s_->compression;
}

struct archive_entry* TarReader::raw_entry() const {
    return s_->entry;
}

}  // namespace ocipod
