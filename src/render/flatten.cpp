// flatten_layers: the layers' diff dirs copied bottom-up into one directory, giving the tree an
// overlay mount of the same layers shows (rootfs.hpp).
//
// Per entry of a layer, on the same path in the target:
//   - char 0/0 (whiteout): remove what is there;
//   - directory: create it unless a directory is there (any other entry is removed first); a
//     directory already there keeps its children unless this layer's one is opaque
//     (trusted.overlay.opaque=y), then they go. Owner and xattrs are those of the topmost layer
//     that has the directory, as in the merged overlay directory;
//   - anything else replaces what is there.
// Directory modes and times are applied at the very end, deepest first: a later layer changing a
// child would move a parent's mtime, and a read-only mode would stop the copy into it.
// Xattrs: trusted.* (the overlay's own markers and anything the host put there) and
// security.selinux (the host's label, not the image's) are never copied, as layer_apply.hpp never
// takes them from an image either; the rest (security.capability, user.*, system.posix_acl_*)
// is.
#include <dirent.h>
#include <fcntl.h>
#include <linux/fs.h>  // FICLONE
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <unordered_map>

#include "base/fs.hpp"
#include "render/dir_stack.hpp"
#include "render/overlay_form.hpp"
#include "render/rootfs.hpp"

namespace ocipod {

namespace {

struct FileKey {
    dev_t dev;
    ino_t ino;
    bool operator==(const FileKey&) const = default;
};

struct FileKeyHash {
    size_t operator()(const FileKey& k) const { return std::hash<uint64_t>()(k.ino * 31 + k.dev); }
};

struct DirAttrs {
    mode_t mode;
    struct timespec times[2];
};

bool copied_xattr(std::string_view name) {
    return !starts_with(name, "trusted.") && name != "security.selinux";
}

Result<std::vector<std::string>> xattr_names(int fd) {
    std::string buf(256, '\0');
    for (;;) {
        ssize_t n = flistxattr(fd, buf.data(), buf.size());
        if (n >= 0) {
            buf.resize(static_cast<size_t>(n));
            break;
        }
        if (errno == ENOTSUP) return std::vector<std::string>{};
        if (errno != ERANGE) return errno_error("listing xattrs");
        n = flistxattr(fd, nullptr, 0);
        if (n < 0) return errno_error("listing xattrs");
        buf.resize(static_cast<size_t>(n) + 256);
    }
    std::vector<std::string> out;
    for (std::string_view rest = buf; !rest.empty();) {
        size_t end = rest.find('\0');
        if (end == std::string_view::npos) end = rest.size();
        if (end) out.emplace_back(rest.substr(0, end));
        rest.remove_prefix(std::min(end + 1, rest.size()));
    }
    return out;
}

Result<std::string> xattr_value(int fd, const std::string& name) {
    std::string buf(256, '\0');
    for (;;) {
        ssize_t n = fgetxattr(fd, name.c_str(), buf.data(), buf.size());
        if (n >= 0) {
            buf.resize(static_cast<size_t>(n));
            return buf;
        }
        if (errno != ERANGE) return errno_error("reading xattr '%s'", name.c_str());
        n = fgetxattr(fd, name.c_str(), nullptr, 0);
        if (n < 0) return errno_error("reading xattr '%s'", name.c_str());
        buf.resize(static_cast<size_t>(n) + 256);
    }
}

// The copied xattrs of src onto dst; with replace, dst's other copied xattrs go.
Status copy_xattrs(int src, int dst, bool replace) {
    std::vector<std::string> names = TRY(xattr_names(src));
    std::erase_if(names, [](const std::string& n) { return !copied_xattr(n); });
    for (const std::string& name : names) {
        std::string value = TRY(xattr_value(src, name));
        if (fsetxattr(dst, name.c_str(), value.data(), value.size(), 0) < 0)
            return errno_error("setting xattr '%s'", name.c_str());
    }
    if (!replace) return {};
    for (const std::string& name : TRY(xattr_names(dst))) {
        if (!copied_xattr(name) || std::find(names.begin(), names.end(), name) != names.end())
            continue;
        if (fremovexattr(dst, name.c_str()) < 0 && errno != ENODATA)
            return errno_error("removing xattr '%s'", name.c_str());
    }
    return {};
}

// File data: a reflink where the file system shares extents, else copy_file_range, else
// read/write. Returns the bytes written. *clone turns false once the file system refuses
// reflinks, so a big tree does not ask again for every file.
Result<uint64_t> copy_data(int in, int out, off_t size, bool* clone) {
    if (size == 0) return uint64_t{0};
    if (*clone) {
        if (ioctl(out, FICLONE, in) == 0) return static_cast<uint64_t>(size);
        if (errno == EOPNOTSUPP || errno == ENOTTY || errno == EXDEV || errno == EINVAL ||
            errno == ENOSYS)
            *clone = false;
    }
    uint64_t done = 0;
    bool plain = false;
    while (!plain) {
        ssize_t n = copy_file_range(in, nullptr, out, nullptr, 1 << 30, 0);
        if (n == 0) return done;
        if (n > 0) {
            done += static_cast<uint64_t>(n);
            continue;
        }
        if (errno == EINTR) continue;
        if (done || (errno != EXDEV && errno != EOPNOTSUPP && errno != ENOSYS && errno != EINVAL))
            return errno_error("copying file data");
        plain = true;
    }
    std::vector<char> buf(128 * 1024);
    for (;;) {
        ssize_t n = read(in, buf.data(), buf.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            return errno_error("reading file data");
        }
        if (n == 0) return done;
        TRY(write_all(out, std::string_view(buf.data(), static_cast<size_t>(n))));
        done += static_cast<uint64_t>(n);
    }
}

class Flattener {
public:
    explicit Flattener(int target) : target_(target) {}
    Status apply(int layer_fd);
    Status finish();
    uint64_t bytes() const { return bytes_; }

private:
    Status enter_dir(DirStack& src, DirStack& dst, const std::string& name, const struct stat& st);
    Status copy_entry(DirStack& src, DirStack& dst, const std::string& name, const struct stat& st);
    Status copy_file(DirStack& src, DirStack& dst, const std::string& name, const struct stat& st);
    Status link_to_first(const std::string& first, int dst_dir, const std::string& name);
    Status dir_metadata(int src, int dst, const struct stat& st, bool existed);

    int target_;
    uint64_t bytes_ = 0;
    bool clone_ = true;
    std::unordered_map<FileKey, DirAttrs, FileKeyHash> dir_attrs_;  // by target directory
    // Inodes with several names in the current layer -> target path of the first one copied.
    std::unordered_map<FileKey, std::string, FileKeyHash> links_;
};

Status Flattener::dir_metadata(int src, int dst, const struct stat& st, bool existed) {
    if (fchown(dst, st.st_uid, st.st_gid) < 0) return errno_error("chown");
    TRY(copy_xattrs(src, dst, existed));
    struct stat now;
    if (fstat(dst, &now) < 0) return errno_error("stat");
    dir_attrs_[FileKey{now.st_dev, now.st_ino}] =
        DirAttrs{static_cast<mode_t>(st.st_mode & 07777), {st.st_atim, st.st_mtim}};
    return {};
}

Status Flattener::apply(int layer_fd) {
    links_.clear();
    DirStack src, dst;
    TRY(src.push(TRY(open_subdir(layer_fd, ".")), "", true));
    TRY(dst.push(TRY(open_subdir(target_, ".")), "", false));
    struct stat root;
    if (fstat(src.fd(), &root) < 0) return errno_error("stat of the layer root");
    // An opaque layer root hides every lower layer (".wh..wh..opq" at the top of the tar).
    if (TRY(has_opaque_marker(src.fd()))) TRY_WRAP(remove_children(dst.fd()), "emptying the root");
    TRY_WRAP(dir_metadata(src.fd(), dst.fd(), root, true), "the root directory");
    for (;;) {
        const DirChild* child = src.next();
        if (!child) {
            if (src.depth() == 1) return {};
            TRY(src.pop());
            TRY(dst.pop());
            continue;
        }
        const std::string& name = child->name;
        struct stat st;
        if (fstatat(src.fd(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0)
            return errno_error("stat of '%s'", src.path(name).c_str());
        if (is_whiteout_device(st)) {
            TRY(remove_entry(dst.fd(), name).wrap(strf("whiteout '%s'", src.path(name).c_str())));
        } else if (S_ISDIR(st.st_mode)) {
            TRY_WRAP(enter_dir(src, dst, name, st), strf("'%s'", src.path(name).c_str()));
        } else {
            TRY_WRAP(copy_entry(src, dst, name, st), strf("'%s'", src.path(name).c_str()));
        }
    }
}

Status Flattener::enter_dir(DirStack& src, DirStack& dst, const std::string& name,
                            const struct stat& st) {
    struct stat cur;
    bool existed = fstatat(dst.fd(), name.c_str(), &cur, AT_SYMLINK_NOFOLLOW) == 0;
    if (!existed && errno != ENOENT) return errno_error("stat in the target");
    if (existed && !S_ISDIR(cur.st_mode)) {
        TRY(remove_entry(dst.fd(), name));
        existed = false;
    }
    if (!existed && mkdirat(dst.fd(), name.c_str(), 0700) < 0)
        return errno_error("creating the directory");
    UniqueFd src_fd = TRY(open_subdir(src.fd(), name));
    UniqueFd dst_fd = TRY(open_subdir(dst.fd(), name));
    if (existed && TRY(has_opaque_marker(src_fd.get()))) TRY(remove_children(dst_fd.get()));
    TRY(dir_metadata(src_fd.get(), dst_fd.get(), st, existed));
    TRY(src.push(std::move(src_fd), name, true));
    return dst.push(std::move(dst_fd), name, false);
}

Status Flattener::copy_entry(DirStack& src, DirStack& dst, const std::string& name,
                             const struct stat& st) {
    TRY(remove_entry(dst.fd(), name));
    const char* n = name.c_str();
    if (S_ISREG(st.st_mode)) return copy_file(src, dst, name, st);
    const struct timespec times[2] = {st.st_atim, st.st_mtim};
    if (S_ISLNK(st.st_mode)) {
        std::string target(static_cast<size_t>(st.st_size) + 1, '\0');
        ssize_t len = readlinkat(src.fd(), n, target.data(), target.size());
        if (len < 0) return errno_error("reading the symlink");
        if (static_cast<size_t>(len) == target.size())
            return make_error(EIO, "the symlink changed while copying it");
        target.resize(static_cast<size_t>(len));
        if (symlinkat(target.c_str(), dst.fd(), n) < 0) return errno_error("creating the symlink");
    } else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) || S_ISFIFO(st.st_mode) ||
               S_ISSOCK(st.st_mode)) {
        if (mknodat(dst.fd(), n, (st.st_mode & S_IFMT) | 0600, st.st_rdev) < 0)
            return errno_error("creating the node");
    } else {
        return make_error(EINVAL, "unknown file type %o, refusing.", st.st_mode & S_IFMT);
    }
    if (fchownat(dst.fd(), n, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0)
        return errno_error("chown");
    // The node was just made by mknodat, so it is no symlink for fchmodat to follow.
    if (!S_ISLNK(st.st_mode) && fchmodat(dst.fd(), n, st.st_mode & 07777, 0) < 0)
        return errno_error("chmod");
    if (utimensat(dst.fd(), n, times, AT_SYMLINK_NOFOLLOW) < 0) return errno_error("utimens");
    return {};
}

Status Flattener::copy_file(DirStack& src, DirStack& dst, const std::string& name,
                            const struct stat& st) {
    FileKey key{st.st_dev, st.st_ino};
    if (st.st_nlink > 1) {
        auto it = links_.find(key);
        if (it != links_.end()) return link_to_first(it->second, dst.fd(), name);
    }
    int raw = openat(src.fd(), name.c_str(), O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
    if (raw < 0) return errno_error("opening");
    UniqueFd in(raw);
    raw =
        openat(dst.fd(), name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (raw < 0) return errno_error("creating");
    UniqueFd out(raw);
    bytes_ += TRY(copy_data(in.get(), out.get(), st.st_size, &clone_));
    // chmod after chown (chown drops setuid/setgid); xattrs after chown (it drops
    // security.capability).
    if (fchown(out.get(), st.st_uid, st.st_gid) < 0) return errno_error("chown");
    if (fchmod(out.get(), st.st_mode & 07777) < 0) return errno_error("chmod");
    TRY(copy_xattrs(in.get(), out.get(), false));
    const struct timespec times[2] = {st.st_atim, st.st_mtim};
    if (futimens(out.get(), times) < 0) return errno_error("utimens");
    if (st.st_nlink > 1) links_.emplace(key, dst.path(name));
    return {};
}

// A further name of a file copied earlier in this layer: a hard link to that copy, found again
// component by component (the path may be longer than PATH_MAX).
Status Flattener::link_to_first(const std::string& first, int dst_dir, const std::string& name) {
    std::vector<std::string> parts = split(first, '/');
    UniqueFd dir = TRY(open_subdir(target_, "."));
    for (size_t i = 0; i + 1 < parts.size(); ++i) dir = TRY(open_subdir(dir.get(), parts[i]));
    if (linkat(dir.get(), parts.back().c_str(), dst_dir, name.c_str(), 0) < 0)
        return errno_error("linking to '%s'", first.c_str());
    return {};
}

Status Flattener::finish() {
    DirStack walk;
    TRY(walk.push(TRY(open_subdir(target_, ".")), "", true));
    for (;;) {
        const DirChild* child = walk.next();
        if (child) {
            if (child->type != DT_DIR && child->type != DT_UNKNOWN) continue;
            int fd = openat(walk.fd(), child->name.c_str(),
                            O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (fd < 0) {
                if (errno == ENOTDIR || errno == ELOOP) continue;
                return errno_error("opening '%s'", walk.path(child->name).c_str());
            }
            TRY(walk.push(UniqueFd(fd), child->name, true));
            continue;
        }
        auto it = dir_attrs_.find(FileKey{walk.dev(), walk.ino()});
        if (it != dir_attrs_.end()) {
            std::string what = walk.path("");
            if (fchmod(walk.fd(), it->second.mode) < 0)
                return errno_error("chmod of '%s'", what.c_str());
            if (futimens(walk.fd(), it->second.times) < 0)
                return errno_error("setting the times of '%s'", what.c_str());
        }
        if (walk.depth() == 1) return {};
        TRY(walk.pop());
    }
}

}  // namespace

Status flatten_layers(const std::vector<int>& layers, int target_dirfd, uint64_t* bytes_copied) {
    Flattener flattener(target_dirfd);
    for (size_t i = 0; i < layers.size(); ++i)
        TRY_WRAP(flattener.apply(layers[i]), strf("flattening layer %zu", i + 1));
    TRY_WRAP(flattener.finish(), "directory modes and times");
    if (bytes_copied) *bytes_copied = flattener.bytes();
    return {};
}

}  // namespace ocipod
