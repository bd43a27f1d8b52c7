#include "run/notify_relay.hpp"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

namespace ocipod {

namespace {

// sd_notify messages are small; systemd itself reads at most this much of one.
constexpr size_t max_message = 4096;

bool passes(std::string_view line) {
    static constexpr std::string_view exact[] = {"READY=1", "RELOADING=1", "STOPPING=1",
                                                 "WATCHDOG=1"};
    static constexpr std::string_view prefixes[] = {
        "STATUS=", "ERRNO=", "BUSERROR=", "EXTEND_TIMEOUT_USEC=", "MONOTONIC_USEC="};
    for (std::string_view e : exact)
        if (line == e) return true;
    for (std::string_view p : prefixes)
        if (starts_with(line, p)) return true;
    return false;
}

void close_passed_fds(struct msghdr& msg) {
    for (struct cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
        size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < n; ++i) {
            int fd;
            memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
            close(fd);
        }
    }
}

}  // namespace

Result<UniqueFd> bind_notify_socket(const std::string& path) {
    struct sockaddr_un addr = {};
    addr.sun_family = AF_UNIX;
    if (path.size() >= sizeof addr.sun_path)
        return make_error(ENAMETOOLONG, "notify socket path '%s' is too long", path.c_str());
    memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    UniqueFd fd(socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (!fd) return errno_error("creating the notify socket");
    if (unlink(path.c_str()) < 0 && errno != ENOENT)
        return errno_error("removing the old notify socket '%s'", path.c_str());
    // The umask decides the socket file's mode at bind(): only root may write to it on the host.
    mode_t old = umask(0177);
    int r = bind(fd.get(), reinterpret_cast<struct sockaddr*>(&addr), sizeof addr);
    int e = errno;
    umask(old);
    if (r < 0) return errno_error_code(e, "binding the notify socket '%s'", path.c_str());
    return fd;
}

std::string relayable_notify_fields(std::string_view message) {
    std::string out;
    for (const std::string& line : split(message, '\n')) {
        if (!passes(line)) continue;
        if (!out.empty()) out += '\n';
        out += line;
    }
    return out;
}

void relay_notify_messages(int fd) {
    const bool relay = getenv("NOTIFY_SOCKET") != nullptr;
    for (;;) {
        char buf[max_message];
        alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int) * 16)];
        struct iovec iov = {buf, sizeof buf};
        struct msghdr msg = {};
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control;
        msg.msg_controllen = sizeof control;
        ssize_t n = recvmsg(fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
        if (n < 0) {
            if (errno == EINTR) continue;
            return;  // EAGAIN: all read
        }
        close_passed_fds(msg);
        if (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) continue;  // oversized: dropped whole
        std::string fields = relayable_notify_fields(std::string_view(buf, size_t(n)));
        if (relay && !fields.empty()) (void)sd_notify(0, fields.c_str());
    }
}

}  // namespace ocipod
