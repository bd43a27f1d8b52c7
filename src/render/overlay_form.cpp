#include "render/overlay_form.hpp"

#include <sys/xattr.h>

namespace ocipod {

Result<bool> has_opaque_marker(int dir_fd) {
    char v[2];
    ssize_t n = fgetxattr(dir_fd, opaque_xattr, v, sizeof v);
    if (n < 0) {
        if (errno == ENODATA || errno == ENOTSUP) return false;
        return errno_error("reading the opaque marker");
    }
    return n == 1 && v[0] == 'y';
}

Status set_opaque_marker(int dir_fd) {
    if (fsetxattr(dir_fd, opaque_xattr, "y", 1, 0) < 0)
        return errno_error("marking a directory opaque");
    return {};
}

}  // namespace ocipod
