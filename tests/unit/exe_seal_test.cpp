// The sealed runner copy (THREATS §2.1, CVE-2019-5736) and the fd and cwd hygiene before exec into
// a pod (THREATS §2.2, CVE-2024-21626). Whatever changes the process (chroot, closing fds,
// exec) happens in a forked child that reports through its exit status.
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "c/hash.hpp"
#include "forked_child.hpp"
#include "run/exe_seal.hpp"
#include "temp_dir.hpp"

// Last: CppUTest redefines new, which the standard headers above must not see.
#include <CppUTest/TestHarness.h>

using namespace ocipod;
using namespace ocipod::test;

#ifndef F_SEAL_EXEC
#define F_SEAL_EXEC 0x0020  // Linux 6.3+, missing from glibc 2.36 headers
#endif

namespace {

std::string sha256_of_fd(int fd) {
    Hasher h(HashAlg::sha256);
    char buf[1 << 16];
    off_t off = 0;
    for (;;) {
        ssize_t n = pread(fd, buf, sizeof buf, off);
        if (n <= 0) return n == 0 ? h.finish_hex() : std::string("read error");
        h.update(buf, size_t(n));
        off += n;
    }
}

std::string sha256_of_path(const char* path) {
    UniqueFd fd(open(path, O_RDONLY | O_CLOEXEC));
    return fd ? sha256_of_fd(fd.get()) : std::string("open error");
}

// The fds of this process >= first, other than the walking directory's own.
std::vector<int> fds_from(int first) {
    std::vector<int> out;
    DIR* d = opendir("/proc/self/fd");
    if (!d) return {-1};
    while (struct dirent* de = readdir(d)) {
        if (de->d_name[0] == '.') continue;
        int fd = atoi(de->d_name);
        if (fd >= first && fd != dirfd(d)) out.push_back(fd);
    }
    closedir(d);
    return out;
}

// Three fds without O_CLOEXEC, a low, a middle and a high one, as a careless caller leaks them.
struct LeakedFds {
    int low, mid, high;
    LeakedFds() {
        low = open("/", O_RDONLY | O_DIRECTORY);
        mid = open("/dev/null", O_RDONLY);
        high = dup2(mid, 1000);
    }
    ~LeakedFds() {
        close(low);
        close(mid);
        close(high);
    }
    bool ok() const { return low >= 0 && mid > low && high == 1000; }
};

bool cloexec(int fd) {
    int flags = fcntl(fd, F_GETFD);
    return flags >= 0 && (flags & FD_CLOEXEC);
}

}  // namespace

TEST_GROUP(ExeSeal){};

TEST(ExeSeal, SealedCopyHasTheBytesOfTheRunningBinary) {
    auto memfd = sealed_copy_of_self();
    CHECK_TRUE_TEXT(memfd.ok(), memfd.ok() ? "" : memfd.error().message.c_str());
    std::string want = sha256_of_path("/proc/self/exe");
    CHECK_EQUAL(64, want.size());
    STRCMP_EQUAL(want.c_str(), sha256_of_fd(memfd->get()).c_str());
    struct stat st {};
    CHECK_EQUAL(0, fstat(memfd->get(), &st));
    CHECK_EQUAL(0511, st.st_mode & 07777);
    CHECK_TRUE(st.st_size > 0);
    CHECK_TRUE(cloexec(memfd->get()));
}

TEST(ExeSeal, SealedCopyCannotBeWrittenResizedOrResealed) {
    auto memfd = sealed_copy_of_self();
    CHECK_TRUE(memfd.ok());
    int fd = memfd->get();
    int seals = fcntl(fd, F_GET_SEALS);
    int want = F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE;
    CHECK_EQUAL(want, seals & want);
    if (!(seals & F_SEAL_EXEC)) {
        // Only acceptable where the kernel does not know the seal: a fresh memfd must refuse it.
        int probe = memfd_create("probe", MFD_CLOEXEC | MFD_ALLOW_SEALING);
        CHECK_TRUE(probe >= 0);
        CHECK_EQUAL(-1, fcntl(probe, F_ADD_SEALS, F_SEAL_EXEC));
        CHECK_EQUAL(EINVAL, errno);
        close(probe);
    } else {
        // The seal freezes the exec bits (the write bits are F_SEAL_WRITE's business).
        CHECK_EQUAL(-1, fchmod(fd, 0400));
        CHECK_EQUAL(EPERM, errno);
    }
    std::string before = sha256_of_fd(fd);

    CHECK_EQUAL(-1, pwrite(fd, "x", 1, 0));
    CHECK_EQUAL(EPERM, errno);
    CHECK_EQUAL(-1, ftruncate(fd, 0));
    CHECK_EQUAL(EPERM, errno);
    CHECK_EQUAL(-1, ftruncate(fd, 1 << 30));
    CHECK_EQUAL(EPERM, errno);
    CHECK_EQUAL(-1, fcntl(fd, F_ADD_SEALS, 0));
    CHECK_EQUAL(EPERM, errno);

    // A reopen through /proc, as a pod process would via /proc/PID/exe: root may get the open
    // past the 0511 mode (CAP_DAC_OVERRIDE), but then the seal refuses every write.
    std::string path = "/proc/self/fd/" + std::to_string(fd);
    for (int mode : {O_RDWR, O_WRONLY}) {
        int w = open(path.c_str(), mode | O_CLOEXEC);
        if (w < 0) {
            CHECK_TRUE(errno == EPERM || errno == EACCES || errno == ETXTBSY);
            continue;
        }
        CHECK_EQUAL(-1, write(w, "x", 1));
        CHECK_EQUAL(EPERM, errno);
        CHECK_EQUAL(-1, ftruncate(w, 0));
        CHECK_EQUAL(EPERM, errno);
        close(w);
    }
    STRCMP_EQUAL(before.c_str(), sha256_of_fd(fd).c_str());
}

// What a process exec'd from fd shows: the child stops at its exec under PTRACE_TRACEME, so its
// /proc/PID/exe is read (and reopened for writing) while it surely exists, with no race with its
// exit. The program is this test binary told to run one small test of this group, so a zero exit
// status shows the exec'd file really runs.
namespace {

struct ExecView {
    std::string link;      // readlink /proc/PID/exe
    int reopen_errno = 0;  // errno of opening /proc/PID/exe for writing (0: it opened)
    int exit_status = -1;  // the child's exit code, -1 when it did not exit normally
    bool reached_exec = false;
};

ExecView exec_from(int fd) {
    ExecView v;
    pid_t pid = fork();
    if (pid < 0) return v;
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        dup2(null, 1);
        dup2(null, 2);
        if (ptrace(PTRACE_TRACEME, 0, nullptr, nullptr) < 0) _exit(126);
        char arg0[] = "unit-tests", arg1[] = "-g", arg2[] = "ExeSeal", arg3[] = "-n",
             arg4[] = "CwdInsideTheRootIsAccepted";
        char* argv[] = {arg0, arg1, arg2, arg3, arg4, nullptr};
        char* envp[] = {nullptr};
        fexecve(fd, argv, envp);
        _exit(127);
    }
    int st = 0;
    if (waitpid(pid, &st, 0) != pid) return v;
    v.reached_exec = WIFSTOPPED(st) && WSTOPSIG(st) == SIGTRAP;
    std::string proc = "/proc/" + std::to_string(pid) + "/exe";
    char link[PATH_MAX] = {};
    if (readlink(proc.c_str(), link, sizeof link - 1) > 0) v.link = link;
    int w = open(proc.c_str(), O_WRONLY | O_CLOEXEC);
    v.reopen_errno = w < 0 ? errno : 0;
    if (w >= 0) close(w);
    if (WIFSTOPPED(st)) ptrace(PTRACE_DETACH, pid, nullptr, nullptr);
    if (WIFSTOPPED(st) && waitpid(pid, &st, 0) != pid) return v;
    if (WIFEXITED(st)) v.exit_status = WEXITSTATUS(st);
    return v;
}

}  // namespace

// fexecve of the copy runs it, and the new process's /proc/PID/exe names the memfd, not the host
// file; the sealed copy does not open for writing.
TEST(ExeSeal, FexecveOfTheCopyHidesTheHostBinary) {
    auto memfd = sealed_copy_of_self();
    CHECK_TRUE(memfd.ok());
    ExecView v = exec_from(memfd->get());
    CHECK_TRUE(v.reached_exec);
    STRCMP_EQUAL("/memfd:oci-pod-runner (deleted)", v.link.c_str());
    CHECK_TRUE(v.reopen_errno != 0);
    CHECK_EQUAL(0, v.exit_status);
}

// The read-only overlay view: same bytes, no write through any reopen (EROFS), and a process
// executed from it shows neither the host path nor anything writable as its /proc/PID/exe.
TEST(ExeSeal, ReadOnlyViewRunsTheBinaryAndRefusesWrites) {
    if (skip_unless_root("mounting overlayfs")) return;
    auto view = read_only_view_of_self();
    CHECK_TRUE_TEXT(view.ok(), view.ok() ? "" : view.error().message.c_str());
    std::string via = "/proc/self/fd/" + std::to_string(view->get());
    STRCMP_EQUAL(sha256_of_path("/proc/self/exe").c_str(), sha256_of_path(via.c_str()).c_str());
    CHECK_EQUAL(-1, open(via.c_str(), O_WRONLY | O_CLOEXEC));
    CHECK_EQUAL(EROFS, errno);
    CHECK_TRUE(cloexec(view->get()));

    char host[PATH_MAX] = {};
    CHECK_TRUE(readlink("/proc/self/exe", host, sizeof host - 1) > 0);
    ExecView v = exec_from(view->get());
    CHECK_TRUE(v.reached_exec);
    CHECK_FALSE(v.link.empty());
    CHECK_TRUE_TEXT(v.link != host, v.link.c_str());
    CHECK_TRUE_TEXT(v.reopen_errno == EROFS || v.reopen_errno == ETXTBSY, strerror(v.reopen_errno));
    CHECK_EQUAL(0, v.exit_status);
}

TEST(ExeSeal, CloseFdsFromClosesFromTheBoundaryUp) {
    LeakedFds leaked;
    CHECK_TRUE(leaked.ok());
    int status = exit_code_in_child([&] {
        int std_open = fcntl(0, F_GETFD) >= 0 ? 1 : 0;
        close_fds_from(leaked.mid);
        if (fcntl(leaked.low, F_GETFD) < 0) return 1;  // below the boundary: kept
        if ((fcntl(0, F_GETFD) >= 0 ? 1 : 0) != std_open) return 2;
        if (!fds_from(leaked.mid).empty()) return 3;
        close_fds_from(3);
        if (!fds_from(3).empty()) return 4;
        return 0;
    });
    CHECK_EQUAL(0, status);
    // The parent's own fds are untouched.
    CHECK_TRUE(fcntl(leaked.high, F_GETFD) >= 0);
}

TEST(ExeSeal, CloexecFdsFromMarksFromTheBoundaryUp) {
    LeakedFds leaked;
    CHECK_TRUE(leaked.ok());
    CHECK_FALSE(cloexec(leaked.low));
    CHECK_FALSE(cloexec(leaked.high));
    int status = exit_code_in_child([&] {
        cloexec_fds_from(leaked.mid);
        if (cloexec(leaked.low)) return 1;
        for (int fd : fds_from(leaked.mid))
            if (!cloexec(fd)) return 2;
        if (fcntl(leaked.high, F_GETFD) < 0) return 3;  // marked, not closed
        cloexec_fds_from(3);
        for (int fd : fds_from(3))
            if (!cloexec(fd)) return 4;
        return 0;
    });
    CHECK_EQUAL(0, status);
    CHECK_FALSE(cloexec(leaked.high));
}

TEST(ExeSeal, CwdInsideTheRootIsAccepted) {
    Status st = verify_cwd_inside_root();
    CHECK_TRUE_TEXT(st.ok(), st.ok() ? "" : st.error().message.c_str());
}

// The CVE-2024-21626 shape: a directory fd from outside the root survives the chroot, and a
// fchdir to it puts the cwd outside the root.
TEST(ExeSeal, CwdOutsideTheRootIsRefused) {
    if (skip_unless_root("chroot")) return;
    TempDir tmp("exe-seal");
    CHECK_EQUAL(0, mkdir((tmp / "root").c_str(), 0755));
    int status = exit_code_in_child([&] {
        int outside = open(tmp.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (outside < 0 || chroot((tmp / "root").c_str()) < 0 || chdir("/") < 0) return 10;
        if (!verify_cwd_inside_root().ok()) return 1;  // "/" of the new root is inside
        if (fchdir(outside) < 0) return 11;
        Status st = verify_cwd_inside_root();
        if (st.ok()) return 2;
        if (st.error().message.find("outside the container's root") == std::string::npos) return 3;
        return 0;
    });
    CHECK_EQUAL(0, status);
}
