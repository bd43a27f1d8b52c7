#include "fetch/config_files.hpp"

#include <fcntl.h>
#include <sys/stat.h>

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
    UniqueFd owner(fd);
    // Drop-ins may be symlinks (to a shared file); other kinds are skipped as the containers
    // tools do.
    for (const std::string& name : TRY(list_regular_files(fd, dir)))
        if (name.size() > suffix.size() && name.ends_with(suffix)) out.push_back(dir + "/" + name);
    return out;
}

}  // namespace ocipod
