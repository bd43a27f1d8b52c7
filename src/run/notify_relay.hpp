// The application's sd_notify(3) messages relayed to the service manager (DESIGN.md §6), for
// pods whose readiness is the application's own (a pod file's Notify=yes). The runner binds a
// datagram socket on the host, the pod sees it at pod_notify_socket ($NOTIFY_SOCKET there), and
// the runner, the unit's main process (NotifyAccess=main), passes each message on.
//
// Only what describes the service passes: READY=1, RELOADING=1, STOPPING=1, STATUS=, ERRNO=,
// BUSERROR=, EXTEND_TIMEOUT_USEC=, WATCHDOG=1 and MONOTONIC_USEC=. MAINPID= (a pid of the pod's
// namespace, meaningless outside), the fd store and anything unknown are dropped, and fds sent
// along are closed, so nothing in the pod can steer the unit beyond its own state.
#pragma once

#include <string>
#include <string_view>

#include "base/result.hpp"
#include "base/unique_fd.hpp"

namespace ocipod {

// Where the pod sees the socket (nspawn uses the same path).
inline constexpr const char* pod_notify_socket = "/run/host/notify";

// A SOCK_DGRAM socket bound at path, mode 0600 (a stale socket file there is replaced).
Result<UniqueFd> bind_notify_socket(const std::string& path);

// The lines of message that may pass, joined by '\n'; "" when none may.
std::string relayable_notify_fields(std::string_view message);

// Reads every datagram pending on fd and sends what may pass to $NOTIFY_SOCKET (read and dropped
// when that is not set).
void relay_notify_messages(int fd);

}  // namespace ocipod
