#include "run/exe_seal.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/close_range.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

// glibc 2.36 headers predate Linux 6.3's executable-memfd controls; the values are the kernel's
// ABI (include/uapi/linux/memfd.h and fcntl.h), so defining them here is safe on older headers.
#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif
#ifndef F_SEAL_EXEC
#define F_SEAL_EXEC 0x0020
#endif

namespace ocipod {

namespace {

constexpr const char* memfd_name = "oci-pod-runner";

Result<UniqueFd> create_memfd() {
    // MFD_EXEC says explicitly that this memfd is meant to be executed, so a kernel with
    // vm.memfd_noexec=1 does not turn it into a sealed non-executable one. Kernels before 6.3 do
    // not know the flag and answer EINVAL; there every memfd is executable anyway.
    int fd = memfd_create(memfd_name, MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
    if (fd < 0 && errno == EINVAL) fd = memfd_create(memfd_name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd < 0) return errno_error("memfd_create '%s'", memfd_name);
    return UniqueFd(fd);
}

// Copy everything from in to out, both at offset 0. copy_file_range refuses most cross-filesystem
// copies (EXDEV), sendfile copies file to file in the kernel, and read/write always works.
Status copy_all(int in, int out) {
    enum class Way { copy_range, sendfile, rw } way = Way::copy_range;
    off_t copied = 0;
    std::vector<char> buf;
    for (;;) {
        ssize_t n;
        if (way == Way::copy_range) {
            n = copy_file_range(in, nullptr, out, nullptr, 1 << 20, 0);
        } else if (way == Way::sendfile) {
            n = sendfile(out, in, nullptr, 1 << 20);
        } else {
            if (buf.empty()) buf.resize(1 << 16);
            n = read(in, buf.data(), buf.size());
            if (n > 0) {
                for (ssize_t done = 0; done < n;) {
                    ssize_t w = write(out, buf.data() + done, size_t(n - done));
                    if (w < 0 && errno == EINTR) continue;
                    if (w < 0) return errno_error("writing the copy of the runner");
                    done += w;
                }
            }
        }
        if (n == 0) return {};
        if (n > 0) {
            copied += n;
            continue;
        }
        if (errno == EINTR) continue;
        // Only switch before the first byte: a later failure is a real one, and the offsets of
        // both files have moved by then anyway.
        bool unsupported = errno == EXDEV || errno == EINVAL || errno == ENOSYS ||
                           errno == EOPNOTSUPP || errno == EPERM;
        if (copied == 0 && unsupported && way != Way::rw) {
            way = way == Way::copy_range ? Way::sendfile : Way::rw;
            continue;
        }
        return errno_error("copying the runner binary");
    }
}

Status seal(int fd) {
    if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) < 0)
        return errno_error("sealing the copy of the runner");
    // F_SEAL_EXEC (Linux 6.3+) also freezes the exec bits of the mode. Older kernels reject the
    // unknown bit with EINVAL, which is why it is added on its own, before F_SEAL_SEAL. (Newer
    // kernels make it imply the write seals on an executable memfd; older ones need them above.)
    if (fcntl(fd, F_ADD_SEALS, F_SEAL_EXEC) < 0 && errno != EINVAL)
        return errno_error("sealing the mode of the copy of the runner");
    if (fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL) < 0)
        return errno_error("sealing the seals of the copy of the runner");
    return {};
}

// close_range(2) through syscall(2): the kernel call is what matters, whatever glibc wraps.
bool close_range_syscall(unsigned first, unsigned flags) {
    return syscall(SYS_close_range, first, ~0U, flags) == 0;
}

// The fds of this process >= first, read from /proc/self/fd before any is touched, so closing
// does not disturb the directory walk. Empty with ok=false when /proc is not there.
std::vector<int> open_fds_from(int first, bool& ok) {
    std::vector<int> fds;
    DIR* d = opendir("/proc/self/fd");
    ok = d != nullptr;
    if (!d) return fds;
    int own = dirfd(d);
    while (struct dirent* de = readdir(d)) {
        char* end = nullptr;
        long v = strtol(de->d_name, &end, 10);
        if (end == de->d_name || *end != '\0' || v < first || v > INT_MAX || v == own) continue;
        fds.push_back(int(v));
    }
    closedir(d);
    return fds;
}

// The last resort without close_range and without /proc: every fd number below the limit.
int fd_limit() {
    struct rlimit rl {};
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < INT_MAX)
        return int(rl.rlim_cur);
    return 65536;
}

void set_cloexec(int fd) {
    int flags = fcntl(fd, F_GETFD);
    if (flags >= 0 && !(flags & FD_CLOEXEC)) (void)fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
}

}  // namespace

Result<UniqueFd> sealed_copy_of_self() {
    UniqueFd self(open("/proc/self/exe", O_RDONLY | O_CLOEXEC));
    if (!self) return errno_error("open '/proc/self/exe'");
    UniqueFd memfd = TRY(create_memfd());
    TRY(copy_all(self.get(), memfd.get()));
    // r-x--x--x: executable, never writable through a reopen by mode alone; fixed before
    // F_SEAL_EXEC, which freezes the exec bits (THREATS §2.1, runc's exeseal uses the same).
    if (fchmod(memfd.get(), 0511) < 0) return errno_error("chmod the copy of the runner");
    TRY(seal(memfd.get()));
    return memfd;
}

namespace {

Result<std::string> path_of_self() {
    char target[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", target, sizeof target - 1);
    if (n < 0) return errno_error("readlink '/proc/self/exe'");
    std::string path(target, size_t(n));
    // A replaced or removed binary: the name no longer leads to what runs, so do not use it.
    if (path.empty() || path[0] != '/' || path.ends_with(" (deleted)"))
        return make_error(ENOENT, "the runner's binary '%s' is not on a path", path.c_str());
    return path;
}

// oci-pod-runner beside this executable or in PKGLIBEXECDIR, when it is a regular executable
// file of root's that only root can change; "" when there is none (or this is it).
std::string runner_for_pods(const std::string& self) {
    constexpr std::string_view runner = "oci-pod-runner";
    std::string dir = self.substr(0, self.rfind('/') + 1);
    if (self.substr(dir.size()) == runner) return "";
    for (const std::string& candidate :
         {dir + std::string(runner), std::string(PKGLIBEXECDIR "/") + std::string(runner)}) {
        struct stat st {};
        if (stat(candidate.c_str(), &st) < 0 || !S_ISREG(st.st_mode)) continue;
        if (st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH)) || !(st.st_mode & S_IXUSR))
            continue;
        return candidate;
    }
    return "";
}

}  // namespace

Result<UniqueFd> read_only_view_of_self() {
    std::string path = TRY(path_of_self());
    return read_only_view_of(path);
}

Result<UniqueFd> read_only_view_of(const std::string& path) {
    if (path.empty() || path[0] != '/')
        return make_error(EINVAL, "'%s' is not an absolute path", path.c_str());
    size_t slash = path.rfind('/');
    std::string dir = slash == 0 ? "/" : path.substr(0, slash);
    std::string base = path.substr(slash + 1);

    UniqueFd dir_fd(open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!dir_fd) return errno_error("open '%s'", dir.c_str());
    // overlayfs without an upper layer needs two lower layers; an empty tmpfs is the second.
    UniqueFd tmpfs(fsopen("tmpfs", FSOPEN_CLOEXEC));
    if (!tmpfs) return errno_error("fsopen 'tmpfs'");
    if (fsconfig(tmpfs.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) < 0)
        return errno_error("creating the empty layer");
    UniqueFd empty(fsmount(tmpfs.get(), FSMOUNT_CLOEXEC, MOUNT_ATTR_RDONLY));
    if (!empty) return errno_error("fsmount the empty layer");

    UniqueFd overlay(fsopen("overlay", FSOPEN_CLOEXEC));
    if (!overlay) return errno_error("fsopen 'overlay'");
    std::string lower = "/proc/self/fd/" + std::to_string(dir_fd.get()) + ":/proc/self/fd/" +
                        std::to_string(empty.get());
    if (fsconfig(overlay.get(), FSCONFIG_SET_STRING, "lowerdir", lower.c_str(), 0) < 0 ||
        fsconfig(overlay.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) < 0)
        return errno_error("creating a read-only overlay of '%s'", dir.c_str());
    UniqueFd mnt(fsmount(overlay.get(), FSMOUNT_CLOEXEC,
                         MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV));
    if (!mnt) return errno_error("fsmount the read-only overlay of '%s'", dir.c_str());
    UniqueFd exe(openat(mnt.get(), base.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
    if (!exe) return errno_error("open '%s' in its read-only overlay", base.c_str());
    struct stat st {};
    if (fstat(exe.get(), &st) < 0) return errno_error("stat '%s'", path.c_str());
    if (!S_ISREG(st.st_mode)) return make_error(EINVAL, "'%s' is not a regular file", path.c_str());
    // The fd keeps the detached mount alive; the mount fds themselves can go.
    return exe;
}

Result<UniqueFd> protected_exe_of_self() {
    auto self = path_of_self();
    if (self) {
        std::string runner = runner_for_pods(*self);
        auto view = read_only_view_of(runner.empty() ? *self : runner);
        if (view) return view;
    }
    return sealed_copy_of_self();
}

void close_fds_from(int first) {
    if (first < 0) first = 0;
    if (close_range_syscall(unsigned(first), 0)) return;
    bool ok = false;
    std::vector<int> fds = open_fds_from(first, ok);
    if (ok) {
        for (int fd : fds) (void)close(fd);
        return;
    }
    for (int fd = first, end = fd_limit(); fd < end; ++fd) (void)close(fd);
}

void cloexec_fds_from(int first) {
    if (first < 0) first = 0;
    if (close_range_syscall(unsigned(first), CLOSE_RANGE_CLOEXEC)) return;
    bool ok = false;
    std::vector<int> fds = open_fds_from(first, ok);
    if (ok) {
        for (int fd : fds) set_cloexec(fd);
        return;
    }
    for (int fd = first, end = fd_limit(); fd < end; ++fd) set_cloexec(fd);
}

Status verify_cwd_inside_root() {
    // The kernel's getcwd(2) prefixes "(unreachable)" when the cwd is not below the process's
    // root (a leaked host dir fd, THREATS §2.2, CVE-2024-21626); glibc turns that into ENOENT.
    // Both forms, and a cwd that was removed, mean the pod would start outside its root.
    char buf[PATH_MAX];
    const char* cwd = getcwd(buf, sizeof buf);
    if ((!cwd && errno == ENOENT) || (cwd && cwd[0] != '/'))
        return make_error(EPERM,
                          "the working directory is outside the container's root, refusing "
                          "(possible breakout)");
    if (!cwd) return errno_error("getcwd");
    return {};
}

}  // namespace ocipod
