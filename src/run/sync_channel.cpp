#include "run/sync_channel.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "base/fs.hpp"

namespace ocipod {

namespace {

// Payloads up to this size go inline; the socket's default send buffer takes a packet of it.
constexpr size_t inline_max = 32 * 1024;
// A memfd payload is a config.json (capped at 4 MiB by the runner) or less.
constexpr size_t memfd_max = 8 << 20;

constexpr uint32_t flag_memfd = 1;

struct Header {
    uint32_t type;
    uint32_t flags;
};

Result<UniqueFd> payload_memfd(std::string_view data) {
    UniqueFd fd(memfd_create("oci-pod-sync", MFD_CLOEXEC | MFD_ALLOW_SEALING));
    if (!fd) return errno_error("memfd_create");
    TRY(write_all(fd.get(), data));
    // The receiver reads what was written, and nobody can change it under the reader.
    if (fcntl(fd.get(), F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0)
        return errno_error("sealing the payload");
    return fd;
}

Status send_packet(int sock, const Header& h, std::string_view data, int fd) {
    struct iovec iov[2] = {{const_cast<Header*>(&h), sizeof h},
                           {const_cast<char*>(data.data()), data.size()}};
    struct msghdr msg {};
    msg.msg_iov = iov;
    msg.msg_iovlen = data.empty() ? 1 : 2;
    alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
    if (fd >= 0) {
        msg.msg_control = control;
        msg.msg_controllen = sizeof control;
        struct cmsghdr* c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        std::memcpy(CMSG_DATA(c), &fd, sizeof(int));
    }
    for (;;) {
        if (sendmsg(sock, &msg, MSG_NOSIGNAL) >= 0) return {};
        if (errno == EINTR) continue;
        if (errno == EPIPE || errno == ECONNRESET)
            return make_error(ECONNRESET, "the other side closed the channel");
        return errno_error("sending on the sync channel");
    }
}

}  // namespace

const char* sync_type_name(SyncType type) {
    switch (type) {
        case SyncType::params:
            return "params";
        case SyncType::config:
            return "config";
        case SyncType::go:
            return "go";
        case SyncType::hooks_request:
            return "hooks_request";
        case SyncType::hooks_done:
            return "hooks_done";
        case SyncType::console:
            return "console";
        case SyncType::created:
            return "created";
        case SyncType::start:
            return "start";
        case SyncType::error:
            return "error";
    }
    return "unknown";
}

Status SyncChannel::send(SyncType type, std::string_view data, int fd) const {
    Header h{uint32_t(type), 0};
    if (data.size() > inline_max) {
        if (fd >= 0) return make_error(EINVAL, "a large payload cannot carry an fd");
        UniqueFd blob = TRY(payload_memfd(data));
        h.flags = flag_memfd;
        return send_packet(fd_.get(), h, {}, blob.get());
    }
    return send_packet(fd_.get(), h, data, fd);
}

Status SyncChannel::send_error(const Error& error) const {
    return send(SyncType::error, strf("%d %s", error.code, error.message.c_str()));
}

Result<SyncMessage> SyncChannel::receive() const {
    std::vector<char> buf(sizeof(Header) + inline_max);
    struct iovec iov = {buf.data(), buf.size()};
    struct msghdr msg {};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    ssize_t n;
    while ((n = recvmsg(fd_.get(), &msg, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR) {
    }
    if (n < 0) return errno_error("receiving on the sync channel");
    SyncMessage m;
    for (struct cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
            c->cmsg_len == CMSG_LEN(sizeof(int))) {
            int fd;
            std::memcpy(&fd, CMSG_DATA(c), sizeof fd);
            m.fd.reset(fd);
        }
    }
    if (n == 0) return make_error(ECONNRESET, "the other side closed the channel");
    if ((msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) || size_t(n) < sizeof(Header))
        return make_error(EPROTO, "malformed message on the sync channel");
    Header h;
    std::memcpy(&h, buf.data(), sizeof h);
    if (h.type < uint32_t(SyncType::params) || h.type > uint32_t(SyncType::error))
        return make_error(EPROTO, "unknown message type %u on the sync channel", h.type);
    m.type = SyncType(h.type);
    if (h.flags & flag_memfd) {
        if (!m.fd) return make_error(EPROTO, "payload fd missing on the sync channel");
        if (lseek(m.fd.get(), 0, SEEK_SET) < 0) return errno_error("reading the payload");
        m.data = TRY(read_fd_capped(m.fd.get(), memfd_max));
        m.fd.reset();
    } else {
        m.data.assign(buf.data() + sizeof h, size_t(n) - sizeof h);
    }
    return m;
}

Result<SyncMessage> SyncChannel::expect(SyncType type) const {
    SyncMessage m = TRY(receive());
    if (m.type == type) return m;
    if (m.type == SyncType::error) return error_from_message(m);
    return make_error(EPROTO, "expected '%s' on the sync channel, got '%s'", sync_type_name(type),
                      sync_type_name(m.type));
}

Error error_from_message(const SyncMessage& message) {
    char* end = nullptr;
    long code = std::strtol(message.data.c_str(), &end, 10);
    std::string text = (end && *end == ' ') ? std::string(end + 1) : message.data;
    return Error{code > 0 && code < 4096 ? int(code) : EIO, printable(text, 2000)};
}

void send_error_raw(int sock, int code, const char* context) {
    char buf[sizeof(Header) + 512];
    Header h{uint32_t(SyncType::error), 0};
    std::memcpy(buf, &h, sizeof h);
    int n =
        snprintf(buf + sizeof h, sizeof buf - sizeof h, "%d %s: %s", code, context, strerror(code));
    if (n < 0) return;
    size_t len = sizeof h + std::min(size_t(n), sizeof buf - sizeof h - 1);
    (void)::send(sock, buf, len, MSG_NOSIGNAL);
}

Result<std::pair<SyncChannel, SyncChannel>> sync_channel_pair() {
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
        return errno_error("socketpair");
    return std::make_pair(SyncChannel(UniqueFd(sv[0])), SyncChannel(UniqueFd(sv[1])));
}

}  // namespace ocipod
