// Keeping the host runtime binary out of the pod's reach (THREATS §2.1, CVE-2019-5736) and fds
// from leaking into it (THREATS §2.2, CVE-2024-21626).
#pragma once

#include <string>

#include "base/result.hpp"
#include "base/unique_fd.hpp"

namespace ocipod {

// A sealed, executable memfd copy of the running executable (/proc/self/exe): MFD_CLOEXEC |
// MFD_ALLOW_SEALING (| MFD_EXEC when the kernel knows it), the whole file copied, then sealed with
// F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE (and F_SEAL_EXEC where supported), so
// that a process that opens it through /proc/PID/exe can neither write nor resize it. Re-exec'ing
// it with fexecve makes /proc/self/exe of the new process point at the memfd, not the host file.
Result<UniqueFd> sealed_copy_of_self();

// An O_PATH fd of the running executable as seen through a read-only overlayfs that is mounted
// nowhere (fsmount without move_mount; its lower layers are the executable's directory and an
// empty detached tmpfs). Executing it makes /proc/self/exe name a file on a read-only mount that
// no path reaches, so opening it for writing fails with EROFS, and nothing is copied: the cost
// is three mount syscalls whatever the size of the binary (runc 1.2 prefers the same for
// privileged runs). Needs CAP_SYS_ADMIN in the host's mount namespace.
Result<UniqueFd> read_only_view_of_self();
// The same for the executable at path (absolute).
Result<UniqueFd> read_only_view_of(const std::string& path);

// What pods are started from. The pod's init is the runner (maybe_run_pod_init in any oci-pod
// executable), and oci-pod-runner is the smallest of them to load: the oci-pod CLI starts pods
// from the oci-pod-runner beside it (the build tree) or in PKGLIBEXECDIR (an installation) when
// that file is root's and writable by nobody else, else from itself. The file is exec'd through
// read_only_view_of(), or where overlayfs cannot be mounted (no privilege, no overlay), as
// sealed_copy_of_self().
Result<UniqueFd> protected_exe_of_self();

// Close every fd >= first (close_range(2), falling back to walking /proc/self/fd). Used right
// before exec into the pod, so nothing the runner or its caller leaked crosses over.
void close_fds_from(int first);

// Mark every fd >= first close-on-exec (close_range with CLOSE_RANGE_CLOEXEC, else a /proc walk).
void cloexec_fds_from(int first);

// Whether the current working directory is inside the current root: getcwd() fails with ENOENT
// or returns "(unreachable)..." when it is not (the runc "possible container breakout" check,
// THREATS §2.2). Call after chdir in the pod.
Status verify_cwd_inside_root();

}  // namespace ocipod
