#include "run/console.hpp"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string_view>
#include <vector>

namespace ocipod {

namespace {

// The payload runc puts beside the master (the name of the file it opened, containerd/console's
// "/dev/ptmx"). Consumers such as runc's recvtty take at most one message of fewer than 4096 bytes
// and exactly one SCM_RIGHTS fd; the name itself is informational only.
constexpr std::string_view console_name = "/dev/ptmx";
constexpr size_t max_payload = 4096;
// Room for a few fds, so that a sender who passes more than one is noticed (and the extras are
// closed) instead of the kernel silently dropping them behind MSG_CTRUNC.
constexpr int max_received_fds = 8;

Status send_fd_with_payload(int socket_fd, int fd, std::string_view payload) {
    if (payload.empty() || payload.size() >= max_payload)
        return make_error(EINVAL, "fd payload of %zu bytes", payload.size());
    struct iovec iov = {const_cast<char*>(payload.data()), payload.size()};
    alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
    struct msghdr msg = {};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    struct cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cmsg), &fd, sizeof fd);
    // MSG_NOSIGNAL: a receiver that went away is an error to report, not a SIGPIPE for the runner.
    // The fd travels with the first byte, so a short send still delivered it; the rest of the
    // payload (the informational name) is not resent.
    for (;;) {
        ssize_t n = sendmsg(socket_fd, &msg, MSG_NOSIGNAL);
        if (n > 0) return {};
        if (n < 0 && errno == EINTR) continue;
        return errno_error("sendmsg");
    }
}

Status connect_unix(int sock, const std::string& path) {
    struct sockaddr_un addr = {};
    addr.sun_family = AF_UNIX;
    memcpy(addr.sun_path, path.data(), path.size());
    socklen_t len = socklen_t(offsetof(struct sockaddr_un, sun_path) + path.size() + 1);
    if (connect(sock, reinterpret_cast<struct sockaddr*>(&addr), len) == 0) return {};
    if (errno != EINTR) return errno_error("connect");
    // An interrupted connect carries on in the background: wait for it and fetch its outcome.
    struct pollfd p = {sock, POLLOUT, 0};
    while (poll(&p, 1, -1) < 0)
        if (errno != EINTR) return errno_error("connect");
    int err = 0;
    socklen_t err_len = sizeof err;
    if (getsockopt(sock, SOL_SOCKET, SO_ERROR, &err, &err_len) != 0) return errno_error("connect");
    if (err != 0) return errno_error_code(err, "connect");
    return {};
}

// write(2) until all of data is out, across short writes and signals (a blocking fd).
Status write_fully(int fd, const char* data, size_t size, const char* what) {
    while (size > 0) {
        ssize_t n = write(fd, data, size);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return errno_error("%s", what);
        data += n;
        size -= size_t(n);
    }
    return {};
}

// Restores on scope exit whatever proxy_terminal changed: the input tty's modes, the master's
// file status flags, and this thread's signal mask.
class TerminalState {
public:
    TerminalState() = default;
    TerminalState(const TerminalState&) = delete;
    TerminalState& operator=(const TerminalState&) = delete;
    ~TerminalState() {
        if (raw_fd_ >= 0) tcsetattr(raw_fd_, TCSADRAIN, &saved_modes_);
        if (master_ >= 0) fcntl(master_, F_SETFL, saved_flags_);
        if (mask_saved_) pthread_sigmask(SIG_SETMASK, &saved_mask_, nullptr);
    }

    Status make_raw(int fd) {
        if (tcgetattr(fd, &saved_modes_) != 0) return errno_error("reading the terminal modes");
        struct termios raw = saved_modes_;
        cfmakeraw(&raw);
        if (tcsetattr(fd, TCSANOW, &raw) != 0) return errno_error("setting raw terminal mode");
        raw_fd_ = fd;
        return {};
    }

    Status make_nonblocking(int fd) {
        int flags = fcntl(fd, F_GETFL);
        if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0)
            return errno_error("setting the pty master non-blocking");
        master_ = fd;
        saved_flags_ = flags;
        return {};
    }

    // SIGWINCH blocked in this thread and read from a signalfd instead of a handler.
    Result<UniqueFd> window_changes() {
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGWINCH);
        if (int err = pthread_sigmask(SIG_BLOCK, &set, &saved_mask_); err != 0)
            return errno_error_code(err, "blocking SIGWINCH");
        mask_saved_ = true;
        UniqueFd fd(signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK));
        if (!fd) return errno_error("signalfd");
        return fd;
    }

private:
    int raw_fd_ = -1;
    struct termios saved_modes_ = {};
    int master_ = -1;
    int saved_flags_ = 0;
    sigset_t saved_mask_;
    bool mask_saved_ = false;
};

enum class MasterRead { data, empty, closed };

// One non-blocking read of the master, forwarded to out. EIO (or EOF) means every slave fd is
// closed: the pod's side of the terminal is gone.
Result<MasterRead> forward_master(int master, int out) {
    char buf[16384];
    ssize_t n;
    while ((n = read(master, buf, sizeof buf)) < 0 && errno == EINTR) {
    }
    if (n == 0 || (n < 0 && errno == EIO)) return MasterRead::closed;
    if (n < 0 && errno == EAGAIN) return MasterRead::empty;
    if (n < 0) return errno_error("reading the pod's terminal");
    TRY(write_fully(out, buf, size_t(n), "writing the terminal output"));
    return MasterRead::data;
}

// After the stop notification: whatever the pod wrote last is still worth showing. Bounded, so
// that a pod still writing cannot hold the runner here.
Status drain_master(int master, int out) {
    constexpr int quiet_ms = 50;
    constexpr int max_rounds = 64;
    for (int round = 0; round < max_rounds; ++round) {
        struct pollfd p = {master, POLLIN, 0};
        int r = poll(&p, 1, quiet_ms);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return {};
        if (TRY(forward_master(master, out)) != MasterRead::data) return {};
    }
    return {};
}

}  // namespace

Status send_fd(int socket_fd, int fd) {
    return send_fd_with_payload(socket_fd, fd, std::string_view("", 1));
}

Result<UniqueFd> receive_fd(int socket_fd) {
    char payload[max_payload];
    struct iovec iov = {payload, sizeof payload};
    alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int) * max_received_fds)] = {};
    struct msghdr msg = {};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    ssize_t n;
    while ((n = recvmsg(socket_fd, &msg, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR) {
    }
    if (n < 0) return errno_error("recvmsg");

    // Take ownership of everything that arrived before judging the message, so that nothing a
    // peer sent stays open in this process when it is refused.
    std::vector<UniqueFd> fds;
    int other_messages = 0;
    for (struct cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) {
            ++other_messages;
            continue;
        }
        size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < count; ++i) {
            int fd;
            memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
            fds.emplace_back(fd);
        }
    }
    if (n == 0 && fds.empty()) return make_error(ECONNRESET, "peer closed without sending an fd");
    if (msg.msg_flags & MSG_CTRUNC)
        return make_error(EPROTO, "ancillary data truncated (too many fds), refusing.");
    if (fds.size() != 1 || other_messages != 0)
        return make_error(EPROTO, "expected exactly one fd, got %zu, refusing.", fds.size());
    return std::move(fds[0]);
}

Status send_console_fd(const std::string& socket_path, int fd) {
    std::string what = "console socket '" + socket_path + "'";
    // Only path-based sockets: an abstract name lives in the network namespace, where any process
    // sharing it (a host-network pod) could bind it first (THREATS §2.6, CVE-2020-15257).
    if (socket_path.empty() || socket_path[0] == '@' || socket_path[0] == '\0')
        return make_error(EINVAL, "%s: not a path (abstract sockets are not used), refusing.",
                          what.c_str());
    if (socket_path.find('\0') != std::string::npos)
        return make_error(EINVAL, "%s: contains a NUL byte, refusing.", what.c_str());
    if (socket_path.size() >= sizeof(sockaddr_un::sun_path))
        return make_error(ENAMETOOLONG, "%s: path too long for a unix socket", what.c_str());
    UniqueFd sock(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!sock) return errno_error("%s: socket", what.c_str());
    TRY_WRAP(connect_unix(sock.get(), socket_path), what);
    TRY_WRAP(send_fd_with_payload(sock.get(), fd, console_name), what);
    return {};
}

void copy_window_size(int from, int to) {
    struct winsize ws = {};
    if (ioctl(from, TIOCGWINSZ, &ws) != 0) return;
    (void)ioctl(to, TIOCSWINSZ, &ws);
}

Status proxy_terminal(int master, int in, int out, int stop_fd) {
    TerminalState state;
    UniqueFd winch;
    if (isatty(in)) {
        TRY(state.make_raw(in));
        winch = TRY(state.window_changes());
        copy_window_size(in, master);
    }
    TRY(state.make_nonblocking(master));

    // Input waiting for the master: `in` is read again only once all of it went out, so a pod
    // that does not read its terminal stalls our input, never the copy of its output.
    char pending[16384];
    size_t pending_off = 0, pending_len = 0;
    bool in_open = in >= 0;

    for (;;) {
        enum { m_slot, in_slot, winch_slot, stop_slot, slots };
        struct pollfd p[slots] = {};
        p[m_slot] = {master, short(POLLIN | (pending_len > 0 ? POLLOUT : 0)), 0};
        p[in_slot] = {in_open && pending_len == 0 ? in : -1, POLLIN, 0};
        p[winch_slot] = {winch ? winch.get() : -1, POLLIN, 0};
        p[stop_slot] = {stop_fd, POLLIN, 0};
        if (poll(p, slots, -1) < 0) {
            if (errno == EINTR) continue;
            return errno_error("poll");
        }

        if (p[stop_slot].revents) return drain_master(master, out);

        if (p[winch_slot].revents & POLLIN) {
            struct signalfd_siginfo si;
            while (read(winch.get(), &si, sizeof si) > 0) {
            }
            copy_window_size(in, master);
        }

        if (p[m_slot].revents & (POLLIN | POLLHUP | POLLERR)) {
            // Drained until empty: on hang-up the last output is still readable before EIO.
            for (;;) {
                MasterRead r = TRY(forward_master(master, out));
                if (r == MasterRead::closed) return {};
                if (r == MasterRead::empty) break;
            }
            if (p[m_slot].revents & (POLLHUP | POLLERR)) return {};
        }

        if (pending_len > 0 && (p[m_slot].revents & POLLOUT)) {
            ssize_t n = write(master, pending + pending_off, pending_len);
            if (n < 0 && errno == EIO) return {};
            if (n < 0 && errno != EINTR && errno != EAGAIN)
                return errno_error("writing to the pod's terminal");
            if (n > 0) {
                pending_off += size_t(n);
                pending_len -= size_t(n);
            }
        }

        if (p[in_slot].revents & (POLLIN | POLLHUP | POLLERR)) {
            ssize_t n = read(in, pending, sizeof pending);
            if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
            // EOF (or a dead input) ends only the input direction; the pod's output still flows.
            if (n <= 0) {
                if (n < 0 && errno != EIO) return errno_error("reading the terminal input");
                in_open = false;
                continue;
            }
            pending_off = 0;
            pending_len = size_t(n);
        }
    }
}

}  // namespace ocipod
