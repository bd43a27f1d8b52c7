#include "fetch/config_files.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>

#include "base/fs.hpp"

namespace ocipod {

Result<std::optional<std::string>> read_config_file(const std::string& path, size_t cap) {
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        if (errno == ENOENT || errno == ENOTDIR) return std::optional<std::string>();
        return errno_error("opening '%s'", path.c_str());
    }
    UniqueFd owner(fd);
    struct stat st;
    if (fstat(fd, &st) < 0) return errno_error("stat '%s'", path.c_str());
    if (!S_ISREG(st.st_mode)) return make_error(EINVAL, "'%s' is not a regular file", path.c_str());
    std::string text = TRY_WRAP(read_fd_capped(fd, cap), strf("reading '%s'", path.c_str()));
    return std::optional<std::string>(std::move(text));
}

Result<std::vector<std::string>> list_config_dropins(const std::string& dir,
                                                     std::string_view suffix) {
    std::vector<std::string> out;
    int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) return out;
        return errno_error("opening directory '%s'", dir.c_str());
    }
    DIR* d = fdopendir(fd);
    if (!d) {
        close(fd);
        return errno_error("reading directory '%s'", dir.c_str());
    }
    CPtr<DIR, closedir> owner(d);
    std::vector<std::string> names;
    for (;;) {
        errno = 0;
        struct dirent* e = readdir(d);
        if (!e) {
            if (errno) return errno_error("reading directory '%s'", dir.c_str());
            break;
        }
        std::string_view name = e->d_name;
        if (name.size() <= suffix.size() || !name.ends_with(suffix)) continue;
        struct stat st;
        // Drop-ins may be symlinks (to a shared file); other kinds are skipped as the
        // containers tools do.
        if (fstatat(dirfd(d), e->d_name, &st, 0) < 0) {
            if (errno == ENOENT) continue;  // dangling symlink
            return errno_error("stat '%s/%s'", dir.c_str(), e->d_name);
        }
        if (S_ISREG(st.st_mode)) names.emplace_back(name);
    }
    std::sort(names.begin(), names.end());
    for (const std::string& n : names) out.push_back(dir + "/" + n);
    return out;
}

}  // namespace ocipod
