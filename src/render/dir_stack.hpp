// DirStack: the chain of open directories from a walk's root down to the directory being walked,
// for iterative walks and removals of trees of any depth (THREATS.md 7: depth 2000, no PATH_MAX
// limit, no recursion) with a bounded number of open fds. Only the deepest `window` levels keep
// their fd; going back up re-opens a closed parent with openat(child, "..") and checks that it is
// the directory (device and inode) it was on the way down, so a swapped tree is an error rather
// than a walk somewhere else. Every open is O_NOFOLLOW | O_DIRECTORY | O_CLOEXEC.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "base/result.hpp"
#include "base/unique_fd.hpp"

namespace ocipod {

struct DirChild {
    std::string name;
    unsigned char type = 0;  // d_type; DT_UNKNOWN on file systems that do not fill it
};

class DirStack {
public:
    explicit DirStack(size_t window = 64) : window_(window) {}

    // Enter the directory fd (taken over), named name in the current one ("" for the root).
    // list: read its children now, for next().
    Status push(UniqueFd fd, const std::string& name, bool list);
    // Leave the deepest directory; its parent is open afterwards.
    Status pop();

    size_t depth() const { return levels_.size(); }
    int fd() const { return levels_.back().fd.get(); }
    dev_t dev() const { return levels_.back().dev; }
    ino_t ino() const { return levels_.back().ino; }
    const std::string& name() const { return levels_.back().name; }
    // The path of leaf below the root ("a/b/leaf"); for messages and for re-finding a file.
    std::string path(const std::string& leaf) const;
    // The next child of the deepest directory not handed out yet, or nullptr.
    const DirChild* next();

private:
    struct Level {
        UniqueFd fd;
        dev_t dev = 0;
        ino_t ino = 0;
        std::string name;
        std::vector<DirChild> children;
        size_t next = 0;
    };
    std::vector<Level> levels_;
    size_t window_;
};

// Open the directory name below dirfd without following a symlink.
Result<UniqueFd> open_subdir(int dirfd, const std::string& name);

// Remove dirfd/name, a directory tree of any depth included, never following symlinks. Missing is
// fine.
Status remove_entry(int dirfd, const std::string& name);

// Remove every child of the directory dirfd, keeping the directory.
Status remove_children(int dirfd);

}  // namespace ocipod
