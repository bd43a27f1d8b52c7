#include "store/lock.hpp"

#include <fcntl.h>

namespace ocipod {

Status ofd_lock(int fd, off_t byte, LockMode mode, bool wait, const char* what) {
    struct flock fl = {};
    fl.l_type = mode == LockMode::shared ? F_RDLCK : F_WRLCK;
    fl.l_whence = SEEK_SET;
    fl.l_start = byte;
    fl.l_len = 1;
    fl.l_pid = 0;  // required for OFD locks
    for (;;) {
        if (fcntl(fd, wait ? F_OFD_SETLKW : F_OFD_SETLK, &fl) == 0) return {};
        if (errno == EINTR) continue;
        if (errno == EACCES) errno = EAGAIN;  // some kernels report a conflict as EACCES
        return errno_error("locking %s", what);
    }
}

Result<UniqueFd> take_index_lock(int root_fd) {
    int fd = openat(root_fd, "lock", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);
    if (fd < 0) return errno_error("opening the store lock");
    UniqueFd owner(fd);
    TRY(ofd_lock(fd, index_lock_byte, LockMode::exclusive, true, "the store index"));
    return owner;
}

}  // namespace ocipod
