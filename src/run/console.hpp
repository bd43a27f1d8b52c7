// Terminals for pods: handing a pty master to the caller's --console-socket (runtime-spec
// runtime.md "create", the console socket protocol of runc: one SCM_RIGHTS message), and, for a
// foreground run, proxying the pty to the runner's own terminal.
#pragma once

#include <string>

#include "base/result.hpp"
#include "base/unique_fd.hpp"

namespace ocipod {

// Connect to the AF_UNIX socket at path and send fd with SCM_RIGHTS (payload: the tty name).
Status send_console_fd(const std::string& socket_path, int fd);

// Send / receive one fd over a connected AF_UNIX socket (SCM_RIGHTS, one byte of payload).
Status send_fd(int socket_fd, int fd);
Result<UniqueFd> receive_fd(int socket_fd);

// Copy the window size of `from` (a tty) onto `to` (a pty master); no-op when from is no tty.
void copy_window_size(int from, int to);

// Foreground terminal: puts `in` in raw mode when it is a tty (restored on return), copies
// in -> master and master -> out until the master reports hang-up, forwards SIGWINCH as window
// size changes. Returns when the pod side closes. stop_fd, when >= 0, ends the loop when
// readable (the runner's signal/exit notification).
Status proxy_terminal(int master, int in, int out, int stop_fd);

}  // namespace ocipod
