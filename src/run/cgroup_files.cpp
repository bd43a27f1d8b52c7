#include "run/cgroup_files.hpp"

#include <fcntl.h>
#include <unistd.h>

#include "base/fs.hpp"
#include "base/strings.hpp"
#include "base/unique_fd.hpp"

namespace ocipod {

Result<std::vector<CgroupMembership>> read_own_cgroups() {
    std::string text = TRY(read_file_capped(AT_FDCWD, "/proc/self/cgroup", 64 * 1024));
    std::vector<CgroupMembership> out;
    for (const std::string& line : split(text, '\n')) {
        if (line.empty()) continue;
        size_t a = line.find(':');
        size_t b = a == std::string::npos ? a : line.find(':', a + 1);
        if (b == std::string::npos)
            return make_error(EPROTO, "unexpected line in /proc/self/cgroup");
        out.push_back({line.substr(a + 1, b - a - 1), line.substr(b + 1)});
    }
    return out;
}

Status write_cgroup_file(int dir_fd, const char* name, const std::string& text) {
    UniqueFd fd(openat(dir_fd, name, O_WRONLY | O_CLOEXEC));
    if (!fd) return errno_error("opening '%s'", name);
    if (write(fd.get(), text.data(), text.size()) != ssize_t(text.size()))
        return errno_error("writing '%s' to '%s'", text.c_str(), name);
    return {};
}

}  // namespace ocipod
