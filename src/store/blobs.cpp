// Stored blobs: store/blobs/ALG/HEX, regular files of mode 0444 whose content hashes to their name.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <memory>

#include "base/fs.hpp"
#include "store/layout.hpp"
#include "store/store.hpp"

namespace ocipod {

Status hash_fd(int fd, Hasher& h, int64_t* bytes) {
    std::unique_ptr<char[]> buf(new char[hash_chunk_bytes]);
    int64_t off = 0;
    for (;;) {
        ssize_t n = pread(fd, buf.get(), hash_chunk_bytes, off);
        if (n < 0) {
            if (errno == EINTR) continue;
            return errno_error("reading");
        }
        if (n == 0) break;
        h.update(buf.get(), static_cast<size_t>(n));
        off += n;
    }
    if (bytes) *bytes = off;
    return {};
}

std::string ingest_dir_name(const Digest& d) {
    return std::string(d.alg_name()) + "-" + d.hex();
}

bool Store::has_blob(const Digest& d) const {
    struct stat st;
    return fstatat(s_->alg_fd(d.alg()), d.hex().c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
           S_ISREG(st.st_mode);
}

Result<int64_t> Store::blob_size(const Digest& d) const {
    struct stat st;
    if (fstatat(s_->alg_fd(d.alg()), d.hex().c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0)
        return errno_error("blob %s", d.str().c_str());
    if (!S_ISREG(st.st_mode))
        return make_error(EINVAL, "blob %s is not a regular file", d.str().c_str());
    return static_cast<int64_t>(st.st_size);
}

Result<UniqueFd> Store::open_blob(const Digest& d) const {
    int fd = openat(s_->alg_fd(d.alg()), d.hex().c_str(),
                    O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        if (errno == ELOOP) return make_error(EINVAL, "blob %s is a symlink", d.str().c_str());
        return errno_error("opening blob %s", d.str().c_str());
    }
    UniqueFd owner(fd);
    struct stat st;
    if (fstat(fd, &st) < 0) return errno_error("stat blob %s", d.str().c_str());
    // O_NONBLOCK only kept a FIFO planted in blobs/ from blocking the open.
    if (!S_ISREG(st.st_mode))
        return make_error(EINVAL, "blob %s is not a regular file", d.str().c_str());
    if (fcntl(fd, F_SETFL, 0) < 0) return errno_error("opening blob %s", d.str().c_str());
    return owner;
}

Result<std::string> Store::read_blob(const Digest& d, size_t cap) const {
    UniqueFd fd = TRY(open_blob(d));
    std::string bytes = TRY_WRAP(read_fd_capped(fd.get(), cap), strf("blob %s", d.str().c_str()));
    if (hash_hex(d.alg(), bytes) != d.hex())
        return make_error(EBADMSG, "blob %s is corrupt", d.str().c_str());
    return bytes;
}

Status Store::put_blob(const Digest& d, std::string_view bytes) {
    if (has_blob(d)) return {};
    if (hash_hex(d.alg(), bytes) != d.hex())
        return make_error(EBADMSG, "content does not match blob %s", d.str().c_str());
    // Same commit protocol as an ingest, with the temp file beside its final name: a small blob
    // is not worth an ingest directory, and a leftover carries our pid for the cleanup on open.
    int dirfd = s_->alg_fd(d.alg());
    std::string tmp = temp_name("blob");
    int fd = openat(dirfd, tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0444);
    if (fd < 0) return errno_error("storing blob %s", d.str().c_str());
    UniqueFd owner(fd);
    Status st = write_all(fd, bytes);
    if (st) st = fsync_fd(fd, "blob");
    if (st) {
        st = rename_noreplace(dirfd, tmp, dirfd, d.hex());
        if (!st && st.error().code == EEXIST) st = {};  // stored meanwhile by someone else
    }
    unlinkat(dirfd, tmp.c_str(), 0);  // ENOENT after a successful rename
    if (!st) return std::move(st).wrap(strf("storing blob %s", d.str().c_str()));
    return fsync_fd(dirfd, "blobs directory").wrap(strf("storing blob %s", d.str().c_str()));
}

}  // namespace ocipod
