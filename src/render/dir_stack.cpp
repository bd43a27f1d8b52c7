#include "render/dir_stack.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace ocipod {

namespace {

Result<std::vector<DirChild>> list_children(int fd) {
    int copy = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (copy < 0) return errno_error("opening a directory to list it");
    DIR* dir = fdopendir(copy);
    if (!dir) {
        int code = errno;
        close(copy);
        return errno_error_code(code, "listing a directory");
    }
    std::vector<DirChild> out;
    errno = 0;
    while (struct dirent* de = readdir(dir)) {
        std::string_view n = de->d_name;
        if (n != "." && n != "..") out.push_back(DirChild{std::string(n), de->d_type});
        errno = 0;
    }
    int code = errno;
    closedir(dir);
    if (code) return errno_error_code(code, "listing a directory");
    return out;
}

}  // namespace

Result<UniqueFd> open_subdir(int dirfd, const std::string& name) {
    int fd = openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return errno_error("opening directory '%s'", name.c_str());
    return UniqueFd(fd);
}

Status DirStack::push(UniqueFd fd, const std::string& name, bool list) {
    struct stat st;
    if (fstat(fd.get(), &st) < 0) return errno_error("stat of directory '%s'", name.c_str());
    Level level;
    level.dev = st.st_dev;
    level.ino = st.st_ino;
    level.name = name;
    if (list) level.children = TRY_WRAP(list_children(fd.get()), strf("'%s'", name.c_str()));
    level.fd = std::move(fd);
    levels_.push_back(std::move(level));
    if (levels_.size() > window_) levels_[levels_.size() - 1 - window_].fd.reset();
    return {};
}

Status DirStack::pop() {
    if (levels_.size() >= 2) {
        Level& parent = levels_[levels_.size() - 2];
        if (!parent.fd) {
            int up = openat(fd(), "..", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (up < 0) return errno_error("re-opening the parent of '%s'", name().c_str());
            UniqueFd owned(up);
            struct stat st;
            if (fstat(up, &st) < 0)
                return errno_error("stat of the parent of '%s'", name().c_str());
            if (st.st_dev != parent.dev || st.st_ino != parent.ino)
                return make_error(EIO, "the parent of '%s' was moved during the walk, refusing.",
                                  name().c_str());
            parent.fd = std::move(owned);
        }
    }
    levels_.pop_back();
    return {};
}

std::string DirStack::path(const std::string& leaf) const {
    std::string out;
    for (size_t i = 1; i < levels_.size(); ++i) out += levels_[i].name + "/";
    return out + leaf;
}

const DirChild* DirStack::next() {
    Level& level = levels_.back();
    if (level.next == level.children.size()) return nullptr;
    return &level.children[level.next++];
}

Status remove_children(int dirfd) {
    int top = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (top < 0) return errno_error("opening a directory to empty it");
    DirStack stack;
    TRY(stack.push(UniqueFd(top), "", true));
    for (;;) {
        const DirChild* child = stack.next();
        if (!child) {
            if (stack.depth() == 1) return {};
            std::string done = stack.name();
            TRY(stack.pop());
            if (unlinkat(stack.fd(), done.c_str(), AT_REMOVEDIR) < 0 && errno != ENOENT)
                return errno_error("removing '%s'", stack.path(done).c_str());
            continue;
        }
        if (child->type != DT_DIR && child->type != DT_UNKNOWN) {
            if (unlinkat(stack.fd(), child->name.c_str(), 0) == 0 || errno == ENOENT) continue;
            if (errno != EISDIR)
                return errno_error("removing '%s'", stack.path(child->name).c_str());
        }
        int fd = openat(stack.fd(), child->name.c_str(),
                        O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) {
            if (errno == ENOENT) continue;
            if (errno != ENOTDIR && errno != ELOOP)
                return errno_error("opening '%s'", stack.path(child->name).c_str());
            if (unlinkat(stack.fd(), child->name.c_str(), 0) < 0 && errno != ENOENT)
                return errno_error("removing '%s'", stack.path(child->name).c_str());
            continue;
        }
        TRY(stack.push(UniqueFd(fd), child->name, true));
    }
}

Status remove_entry(int dirfd, const std::string& name) {
    if (unlinkat(dirfd, name.c_str(), 0) == 0 || errno == ENOENT) return {};
    if (errno != EISDIR && errno != EPERM) return errno_error("removing '%s'", name.c_str());
    UniqueFd fd = TRY(open_subdir(dirfd, name));
    TRY_WRAP(remove_children(fd.get()), strf("emptying '%s'", name.c_str()));
    if (unlinkat(dirfd, name.c_str(), AT_REMOVEDIR) < 0 && errno != ENOENT)
        return errno_error("removing '%s'", name.c_str());
    return {};
}

}  // namespace ocipod
