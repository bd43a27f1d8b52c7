#include "render/in_root.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace ocipod {

Result<UniqueFd> openat2_fd(int dirfd, const std::string& path, int flags, uint64_t resolve) {
    struct open_how how = {};
    how.flags = static_cast<uint64_t>(flags | O_CLOEXEC);
    how.resolve = resolve;
    const char* p = path.empty() ? "." : path.c_str();
    // EAGAIN: a rename raced the in-root walk and the kernel refused to guess. Retry, but not
    // forever: a tree being renamed without pause by another process fails the layer instead.
    long fd;
    int attempts = 0;
    do {
        fd = syscall(SYS_openat2, dirfd, p, &how, sizeof how);
    } while (fd < 0 && errno == EAGAIN && ++attempts < 1000);
    if (fd < 0) return errno_error("opening '%s'", printable(path).c_str());
    return UniqueFd(static_cast<int>(fd));
}

Result<UniqueFd> open_dir_in_root(int root_fd, const std::string& path) {
    return openat2_fd(root_fd, path, O_PATH | O_DIRECTORY, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
}

Result<UniqueFd> open_dir_beneath(int dir_fd, const std::string& path) {
    return openat2_fd(dir_fd, path, O_PATH | O_DIRECTORY,
                      RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS);
}

Result<UniqueFd> reopen_dir(int path_fd) {
    int fd = openat(path_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return errno_error("opening a directory");
    return UniqueFd(fd);
}

Result<bool> stat_at(int dir_fd, const std::string& name, struct stat* st) {
    if (fstatat(dir_fd, name.c_str(), st, AT_SYMLINK_NOFOLLOW) == 0) return true;
    if (errno == ENOENT) return false;
    return errno_error("inspecting '%s'", printable(name).c_str());
}

std::pair<std::string, std::string> split_parent(const std::string& path) {
    size_t slash = path.rfind('/');
    if (slash == std::string::npos) return {"", path};
    return {path.substr(0, slash), path.substr(slash + 1)};
}

std::string join_path(const std::string& dir, const std::string& name) {
    return dir.empty() ? name : dir + "/" + name;
}

}  // namespace ocipod
