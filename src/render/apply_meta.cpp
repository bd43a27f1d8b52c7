#include "render/apply_meta.hpp"

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "c/archive.hpp"

namespace ocipod {

namespace {

// security.capability carries file caps (56); user.* and POSIX ACLs are ordinary data.
// trusted.* would forge overlay whiteouts or opaque markers (55), security.selinux belongs to
// the runtime's label policy (57); other security.* names are the host's business.
bool applied_xattr(const std::string& name) {
    return name == "security.capability" || name.starts_with("user.") ||
           name == "system.posix_acl_access" || name == "system.posix_acl_default";
}

Result<uint32_t> checked_id(la_int64_t id, const char* what) {
    // 2^32-1 is "no change" to chown: never let it or an overflow stand for an owner (53).
    if (id < 0 || id >= 0xffffffffLL)
        return make_error(ERANGE, "%s %lld is out of range, refusing", what,
                          static_cast<long long>(id));
    return static_cast<uint32_t>(id);
}

}  // namespace

Result<EntryMeta> read_entry_meta(struct archive_entry* e) {
    EntryMeta m;
    m.uid = TRY(checked_id(libarchive().archive_entry_uid(e), "uid"));
    m.gid = TRY(checked_id(libarchive().archive_entry_gid(e), "gid"));
    m.mode = libarchive().archive_entry_perm(e) & 07777;
    if (libarchive().archive_entry_mtime_is_set(e)) {
        m.mtime.tv_sec = libarchive().archive_entry_mtime(e);
        m.mtime.tv_nsec = libarchive().archive_entry_mtime_nsec(e);
    }
    if (libarchive().archive_entry_atime_is_set(e)) {
        m.atime.tv_sec = libarchive().archive_entry_atime(e);
        m.atime.tv_nsec = libarchive().archive_entry_atime_nsec(e);
    } else {
        m.atime = m.mtime;
    }
    int count = libarchive().archive_entry_xattr_reset(e);
    if (count < 0 || static_cast<size_t>(count) > max_xattr_count)
        return make_error(E2BIG, "%d xattrs on one entry, refusing", count);
    const char* name;
    const void* value;
    size_t size;
    while (libarchive().archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK) {
        size_t len = strnlen(name, max_xattr_name + 1);
        if (len == 0 || len > max_xattr_name)
            return make_error(E2BIG, "xattr name of %zu bytes, refusing", len);
        if (size > max_xattr_value)
            return make_error(E2BIG, "xattr '%s' of %zu bytes, refusing", printable(name).c_str(),
                              size);
        std::string n(name, len);
        if (!applied_xattr(n)) continue;
        m.xattrs.emplace_back(std::move(n), std::string(static_cast<const char*>(value), size));
    }
    return m;
}

Status set_times_fd(int fd, const struct timespec& atime, const struct timespec& mtime) {
    struct timespec ts[2] = {atime, mtime};
    if (futimens(fd, ts) < 0) return errno_error("setting times");
    return {};
}

Status apply_meta_fd(int fd, const EntryMeta& m, bool is_dir) {
    if (fchown(fd, m.uid, m.gid) < 0) return errno_error("changing the owner");
    for (const auto& [name, value] : m.xattrs) {
        if (!is_dir && name == "system.posix_acl_default") continue;
        if (fsetxattr(fd, name.c_str(), value.data(), value.size(), 0) < 0)
            return errno_error("setting xattr '%s'", printable(name).c_str());
    }
    if (fchmod(fd, m.mode) < 0) return errno_error("changing the mode");
    if (!is_dir) return set_times_fd(fd, m.atime, m.mtime);
    return {};
}

Status apply_meta_symlink(int dir_fd, const std::string& name, const EntryMeta& m) {
    if (fchownat(dir_fd, name.c_str(), m.uid, m.gid, AT_SYMLINK_NOFOLLOW) < 0)
        return errno_error("changing the owner");
    struct timespec ts[2] = {m.atime, m.mtime};
    if (utimensat(dir_fd, name.c_str(), ts, AT_SYMLINK_NOFOLLOW) < 0)
        return errno_error("setting times");
    return {};
}

Status apply_meta_special(int path_fd, const EntryMeta& m) {
    if (fchownat(path_fd, "", m.uid, m.gid, AT_EMPTY_PATH) < 0)
        return errno_error("changing the owner");
    // chmod and utimens have no AT_EMPTY_PATH form for an O_PATH fd: go through our own fd's
    // /proc entry, which names exactly this inode.
    std::string self = "/proc/self/fd/" + std::to_string(path_fd);
    if (chmod(self.c_str(), m.mode) < 0) return errno_error("changing the mode");
    struct timespec ts[2] = {m.atime, m.mtime};
    if (utimensat(AT_FDCWD, self.c_str(), ts, 0) < 0) return errno_error("setting times");
    return {};
}

Status copy_meta_fd(int src_fd, int dst_fd, bool with_times) {
    struct stat st;
    if (fstat(src_fd, &st) < 0) return errno_error("inspecting a lower inode");
    if (fchown(dst_fd, st.st_uid, st.st_gid) < 0) return errno_error("changing the owner");
    char names[64 * 1024];
    ssize_t len = flistxattr(src_fd, names, sizeof names);
    if (len < 0 && errno != ENOTSUP) return errno_error("listing xattrs");
    std::string value;
    for (ssize_t off = 0; off < len;) {
        std::string name(names + off);
        off += static_cast<ssize_t>(name.size()) + 1;
        if (name.starts_with("trusted.overlay.")) continue;
        value.resize(max_xattr_value);
        ssize_t n = fgetxattr(src_fd, name.c_str(), value.data(), value.size());
        if (n < 0) return errno_error("reading xattr '%s'", printable(name).c_str());
        if (fsetxattr(dst_fd, name.c_str(), value.data(), static_cast<size_t>(n), 0) < 0)
            return errno_error("setting xattr '%s'", printable(name).c_str());
    }
    if (fchmod(dst_fd, st.st_mode & 07777) < 0) return errno_error("changing the mode");
    if (with_times) return set_times_fd(dst_fd, st.st_atim, st.st_mtim);
    return {};
}

}  // namespace ocipod
