#include "base/fs.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <set>
#include <vector>

namespace ocipod {

Result<UniqueFd> open_dir(int dirfd, const std::string& path, bool create, mode_t mode) {
    if (create && mkdirat(dirfd, path.c_str(), mode) < 0 && errno != EEXIST)
        return errno_error("creating directory '%s'", path.c_str());
    int fd = openat(dirfd, path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) return errno_error("opening directory '%s'", path.c_str());
    return UniqueFd(fd);
}

Status make_dirs(const std::string& path, mode_t mode) {
    for (size_t end = path.find('/', 1);; end = path.find('/', end + 1)) {
        std::string prefix = path.substr(0, end);
        if (!prefix.empty() && prefix.back() != '/' && mkdir(prefix.c_str(), mode) < 0 &&
            errno != EEXIST)
            return errno_error("creating '%s'", prefix.c_str());
        if (end == std::string::npos) return {};
    }
}

Result<std::string> read_fd_capped(int fd, size_t cap) {
    std::string out;
    char buf[65536];
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) continue;
            return errno_error("reading");
        }
        if (n == 0) return out;
        if (out.size() + static_cast<size_t>(n) > cap)
            return make_error(EFBIG, "larger than the limit of %zu bytes", cap);
        out.append(buf, static_cast<size_t>(n));
    }
}

Result<std::string> read_file_capped(int dirfd, const std::string& path, size_t cap) {
    int fd = openat(dirfd, path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) return errno_error("opening '%s'", path.c_str());
    UniqueFd owner(fd);
    struct stat st;
    if (fstat(fd, &st) < 0) return errno_error("stat '%s'", path.c_str());
    if (!S_ISREG(st.st_mode)) return make_error(EINVAL, "'%s' is not a regular file", path.c_str());
    return read_fd_capped(fd, cap).wrap(strf("reading '%s'", path.c_str()));
}

Status write_all(int fd, std::string_view data) {
    while (!data.empty()) {
        ssize_t n = write(fd, data.data(), data.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            return errno_error("writing");
        }
        data.remove_prefix(static_cast<size_t>(n));
    }
    return {};
}

Status fsync_fd(int fd, const char* what) {
    if (fsync(fd) < 0) return errno_error("fsync of %s", what);
    return {};
}

Result<std::vector<std::string>> list_regular_files(int dirfd, const std::string& what) {
    int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return errno_error("opening directory '%s'", what.c_str());
    DIR* d = fdopendir(fd);
    if (!d) {
        close(fd);
        return errno_error("reading directory '%s'", what.c_str());
    }
    CPtr<DIR, closedir> owner(d);
    std::vector<std::string> names;
    for (;;) {
        errno = 0;
        struct dirent* e = readdir(d);
        if (!e) {
            if (errno) return errno_error("reading directory '%s'", what.c_str());
            break;
        }
        struct stat st;
        if (fstatat(dirfd, e->d_name, &st, 0) < 0) {
            if (errno == ENOENT) continue;  // a dangling symlink, or removed meanwhile
            return errno_error("stat '%s/%s'", what.c_str(), e->d_name);
        }
        if (S_ISREG(st.st_mode)) names.emplace_back(e->d_name);
    }
    std::sort(names.begin(), names.end());
    return names;
}

std::string temp_name(std::string_view prefix) {
    static std::atomic<unsigned> counter{0};
    return strf(".tmp-%.*s-%d-%u", static_cast<int>(prefix.size()), prefix.data(),
                static_cast<int>(getpid()), counter.fetch_add(1));
}

Status write_file_atomic(int dirfd, const std::string& name, std::string_view data, mode_t mode,
                         Sync sync) {
    std::string tmp = temp_name(name);
    int fd = openat(dirfd, tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd < 0) return errno_error("creating '%s'", tmp.c_str());
    UniqueFd owner(fd);
    Status st = write_all(fd, data);
    if (st && sync == Sync::durable) st = fsync_fd(fd, tmp.c_str());
    if (st && renameat(dirfd, tmp.c_str(), dirfd, name.c_str()) < 0)
        st = errno_error("renaming '%s' to '%s'", tmp.c_str(), name.c_str());
    if (!st) {
        unlinkat(dirfd, tmp.c_str(), 0);
        return std::move(st).wrap(strf("writing '%s'", name.c_str()));
    }
    return sync == Sync::durable ? fsync_fd(dirfd, "directory") : Status{};
}

Status rename_noreplace(int olddirfd, const std::string& oldname, int newdirfd,
                        const std::string& newname) {
    if (renameat2(olddirfd, oldname.c_str(), newdirfd, newname.c_str(), RENAME_NOREPLACE) < 0)
        return errno_error("renaming '%s' to '%s'", oldname.c_str(), newname.c_str());
    return {};
}

Status remove_tree(int dirfd, const std::string& name) {
    if (unlinkat(dirfd, name.c_str(), 0) == 0 || errno == ENOENT) return {};
    if (errno != EISDIR && errno != EPERM) return errno_error("removing '%s'", name.c_str());
    int fd = openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return errno_error("opening '%s'", name.c_str());
    DIR* dir = fdopendir(fd);
    if (!dir) {
        close(fd);
        return errno_error("reading '%s'", name.c_str());
    }
    std::vector<std::string> children;
    while (struct dirent* de = readdir(dir)) {
        std::string child = de->d_name;
        if (child != "." && child != "..") children.push_back(std::move(child));
    }
    Status st;
    for (const std::string& child : children) {
        st = remove_tree(::dirfd(dir), child);
        if (!st) break;
    }
    closedir(dir);
    if (!st) return st;
    if (unlinkat(dirfd, name.c_str(), AT_REMOVEDIR) < 0 && errno != ENOENT)
        return errno_error("removing '%s'", name.c_str());
    return {};
}

namespace {

uint64_t disk_usage_of(int dirfd, const char* name, std::set<std::pair<dev_t, ino_t>>& seen) {
    struct stat st;
    if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) return 0;
    uint64_t total = 0;
    if (seen.insert({st.st_dev, st.st_ino}).second) total = uint64_t(st.st_blocks) * 512;
    if (!S_ISDIR(st.st_mode)) return total;
    UniqueFd fd(openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd) return total;
    DIR* d = fdopendir(fd.get());
    if (!d) return total;
    fd.release();
    while (struct dirent* e = readdir(d)) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        total += disk_usage_of(::dirfd(d), e->d_name, seen);
    }
    closedir(d);
    return total;
}

}  // namespace

uint64_t disk_usage(int dirfd, const std::string& name) {
    std::set<std::pair<dev_t, ino_t>> seen;
    return disk_usage_of(dirfd, name.c_str(), seen);
}

}  // namespace ocipod
