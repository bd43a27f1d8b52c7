// Pod terminals: fd passing over unix sockets, the console socket protocol of runc's
// --console-socket (one message, the name "/dev/ptmx", one SCM_RIGHTS fd), and the foreground
// proxy between the runner's stdio and a pty master. The proxy runs in a forked child, which
// reports its result through its exit status; the test drives the pty's slave side.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include "run/console.hpp"
#include "temp_dir.hpp"

// Last: CppUTest redefines new, which the standard headers above must not see.
#include <CppUTest/TestHarness.h>

using namespace ocipod;
using namespace ocipod::test;

namespace {

bool cloexec(int fd) {
    int flags = fcntl(fd, F_GETFD);
    return flags >= 0 && (flags & FD_CLOEXEC);
}

bool same_file(int a, int b) {
    struct stat sa {
    }, sb{};
    return fstat(a, &sa) == 0 && fstat(b, &sb) == 0 && sa.st_ino == sb.st_ino &&
           sa.st_dev == sb.st_dev;
}

int count_open_fds() {
    int n = 0;
    for (int fd = 0; fd < 1024; ++fd)
        if (fcntl(fd, F_GETFD) >= 0) ++n;
    return n;
}

// A pty pair: the master as the runner holds it, the slave as the pod holds it, in raw mode so
// that bytes pass unchanged and nothing is echoed back.
struct Pty {
    UniqueFd master, slave;
    Pty() {
        master.reset(posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC));
        if (!master || grantpt(master.get()) != 0 || unlockpt(master.get()) != 0) return;
        const char* name = ptsname(master.get());
        if (name) slave.reset(open(name, O_RDWR | O_NOCTTY | O_CLOEXEC));
        struct termios t {};
        if (slave && tcgetattr(slave.get(), &t) == 0) {
            cfmakeraw(&t);
            tcsetattr(slave.get(), TCSANOW, &t);
        }
    }
    bool ok() const { return master && slave; }
};

struct Pipe {
    UniqueFd read, write;
    Pipe() {
        int fds[2];
        if (pipe2(fds, O_CLOEXEC) == 0) {
            read.reset(fds[0]);
            write.reset(fds[1]);
        }
    }
};

// Reads until want.size() bytes came or the fd stays silent for 10 s (a hang guard, not a
// timing assertion: the bytes normally arrive at once).
std::string read_exactly(int fd, size_t size) {
    std::string got;
    while (got.size() < size) {
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, 10000) <= 0) break;
        char buf[256];
        ssize_t n = read(fd, buf, std::min(sizeof buf, size - got.size()));
        if (n <= 0) break;
        got.append(buf, size_t(n));
    }
    return got;
}

bool write_str(int fd, const std::string& s) {
    return write(fd, s.data(), s.size()) == ssize_t(s.size());
}

// proxy_terminal in a child: exit 0 when it returned success, 1 on an error.
pid_t start_proxy(int master, int in, int out, int stop_fd, const int* close_in_child) {
    pid_t pid = fork();
    if (pid == 0) {
        for (const int* fd = close_in_child; *fd >= 0; ++fd) close(*fd);
        Status st = proxy_terminal(master, in, out, stop_fd);
        if (!st.ok()) (void)!write(2, st.error().message.data(), st.error().message.size());
        _exit(st.ok() ? 0 : 1);
    }
    return pid;
}

// The child's exit status, or -1 if it did not end within 10 s (then it is killed): a proxy that
// does not notice its end would otherwise hang the test run.
int wait_proxy(pid_t pid) {
    UniqueFd pidfd(int(syscall(SYS_pidfd_open, pid, 0)));
    struct pollfd p = {pidfd.get(), POLLIN, 0};
    bool ended = pidfd && poll(&p, 1, 10000) == 1;
    if (!ended) kill(pid, SIGKILL);
    int st = 0;
    waitpid(pid, &st, 0);
    return ended && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

// What a console socket consumer (runc's recvtty) sees: the name and the fds of one message.
struct ConsoleMessage {
    std::string name;
    int fd_count = 0;
    UniqueFd fd;
};

ConsoleMessage receive_console_message(int sock) {
    ConsoleMessage m;
    char name[4096];
    struct iovec iov = {name, sizeof name};
    alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int) * 4)] = {};
    struct msghdr msg = {};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    ssize_t n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
    if (n < 0) return m;
    m.name.assign(name, size_t(n));
    for (struct cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
        size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < count; ++i) {
            int fd;
            memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
            if (m.fd_count++ == 0)
                m.fd.reset(fd);
            else
                close(fd);
        }
    }
    return m;
}

// A message with the given fds (none, one or several) and one byte, as a careless or hostile
// peer might send it.
bool send_raw(int sock, const int* fds, int count) {
    char byte = 'x';
    struct iovec iov = {&byte, 1};
    alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int) * 4)] = {};
    struct msghdr msg = {};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    if (count > 0) {
        msg.msg_control = control;
        msg.msg_controllen = CMSG_SPACE(sizeof(int) * size_t(count));
        struct cmsghdr* c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int) * size_t(count));
        memcpy(CMSG_DATA(c), fds, sizeof(int) * size_t(count));
    }
    return sendmsg(sock, &msg, 0) == 1;
}

struct SocketPair {
    UniqueFd a, b;
    SocketPair() {
        int fds[2];
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == 0) {
            a.reset(fds[0]);
            b.reset(fds[1]);
        }
    }
};

UniqueFd listen_at(const std::string& path) {
    UniqueFd s(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    struct sockaddr_un addr = {};
    addr.sun_family = AF_UNIX;
    if (path.size() >= sizeof addr.sun_path) return {};
    memcpy(addr.sun_path, path.c_str(), path.size());
    if (!s || bind(s.get(), reinterpret_cast<struct sockaddr*>(&addr), sizeof addr) != 0 ||
        listen(s.get(), 4) != 0)
        return {};
    return s;
}

}  // namespace

TEST_GROUP(Console){};

TEST(Console, ReceivedFdIsTheSentFileAndCloseOnExec) {
    SocketPair sp;
    CHECK_TRUE(sp.a && sp.b);
    TempDir dir("console");
    UniqueFd file(open((dir / "f").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
    CHECK_TRUE(bool(file));
    // Sent without close-on-exec: the flag on the received fd must come from the receiver.
    UniqueFd plain(fcntl(file.get(), F_DUPFD, 0));
    CHECK_FALSE(cloexec(plain.get()));

    Status sent = send_fd(sp.a.get(), plain.get());
    CHECK_TRUE_TEXT(sent.ok(), sent.ok() ? "" : sent.error().message.c_str());
    auto got = receive_fd(sp.b.get());
    CHECK_TRUE_TEXT(got.ok(), got.ok() ? "" : got.error().message.c_str());
    CHECK_TRUE(got->get() != plain.get());
    CHECK_TRUE(same_file(file.get(), got->get()));
    CHECK_TRUE(cloexec(got->get()));
}

TEST(Console, ReceiveRefusesMessagesWithoutOrWithSeveralFdsAndClosesThem) {
    SocketPair sp;
    UniqueFd null(open("/dev/null", O_RDONLY | O_CLOEXEC));
    int three[] = {null.get(), null.get(), null.get()};
    int before = count_open_fds();

    CHECK_TRUE(send_raw(sp.a.get(), three, 3));
    auto several = receive_fd(sp.b.get());
    CHECK_FALSE(several.ok());
    CHECK_EQUAL(EPROTO, several.error().code);
    STRCMP_CONTAINS("got 3, refusing.", several.error().message.c_str());
    CHECK_EQUAL(before, count_open_fds());

    CHECK_TRUE(send_raw(sp.a.get(), nullptr, 0));
    auto none = receive_fd(sp.b.get());
    CHECK_FALSE(none.ok());
    STRCMP_CONTAINS("got 0, refusing.", none.error().message.c_str());

    sp.a.reset();
    auto closed = receive_fd(sp.b.get());
    CHECK_FALSE(closed.ok());
    CHECK_EQUAL(before - 1, count_open_fds());
}

TEST(Console, ConsoleSocketGetsAWorkingMasterAsRuncSendsIt) {
    TempDir dir("console");
    std::string path = dir / "console.sock";
    UniqueFd listener = listen_at(path);
    CHECK_TRUE(bool(listener));
    Pty pty;
    CHECK_TRUE(pty.ok());

    // connect() completes against the backlog, so the send needs no accepting thread.
    Status sent = send_console_fd(path, pty.master.get());
    CHECK_TRUE_TEXT(sent.ok(), sent.ok() ? "" : sent.error().message.c_str());
    UniqueFd conn(accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
    CHECK_TRUE(bool(conn));
    ConsoleMessage m = receive_console_message(conn.get());
    STRCMP_EQUAL("/dev/ptmx", m.name.c_str());
    CHECK_EQUAL(1, m.fd_count);
    CHECK_TRUE(same_file(pty.master.get(), m.fd.get()));

    // The received master drives the same terminal: what the pod writes arrives there, and back.
    CHECK_TRUE(write_str(pty.slave.get(), "from pod"));
    STRCMP_EQUAL("from pod", read_exactly(m.fd.get(), 8).c_str());
    CHECK_TRUE(write_str(m.fd.get(), "to pod"));
    STRCMP_EQUAL("to pod", read_exactly(pty.slave.get(), 6).c_str());
}

TEST(Console, ConsoleSocketErrorsNameTheMissingPath) {
    TempDir dir("console");
    std::string path = dir / "nobody-listens.sock";
    Pty pty;
    Status st = send_console_fd(path, pty.master.get());
    CHECK_FALSE(st.ok());
    CHECK_EQUAL(ENOENT, st.error().code);
    STRCMP_CONTAINS(("console socket '" + path + "'").c_str(), st.error().message.c_str());
}

// THREATS §2.6, CVE-2020-15257: no abstract sockets, even when one is listening under the name.
TEST(Console, AbstractConsoleSocketIsRefused) {
    std::string name = "oci-pod-console-test-" + std::to_string(getpid());
    UniqueFd listener(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    struct sockaddr_un addr = {};
    addr.sun_family = AF_UNIX;
    memcpy(addr.sun_path + 1, name.c_str(), name.size());
    socklen_t len = socklen_t(offsetof(struct sockaddr_un, sun_path) + 1 + name.size());
    CHECK_EQUAL(0, bind(listener.get(), reinterpret_cast<struct sockaddr*>(&addr), len));
    CHECK_EQUAL(0, listen(listener.get(), 4));

    Pty pty;
    Status st = send_console_fd("@" + name, pty.master.get());
    CHECK_FALSE(st.ok());
    CHECK_EQUAL(EINVAL, st.error().code);
    STRCMP_CONTAINS("refusing.", st.error().message.c_str());
    CHECK_EQUAL(-1, accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
    CHECK_EQUAL(EAGAIN, errno);
}

TEST(Console, ProxyCopiesBothWaysAndEndsWhenThePodClosesItsSide) {
    Pty pty;
    Pipe in, out;
    CHECK_TRUE(pty.ok());
    int close_in_child[] = {pty.slave.get(), in.write.get(), out.read.get(), -1};
    pid_t pid = start_proxy(pty.master.get(), in.read.get(), out.write.get(), -1, close_in_child);
    CHECK_TRUE(pid > 0);
    in.read.reset();
    out.write.reset();

    CHECK_TRUE(write_str(in.write.get(), "typed input\n"));
    STRCMP_EQUAL("typed input\n", read_exactly(pty.slave.get(), 12).c_str());
    // EOF on the input ends only that direction: the pod's output still reaches out.
    in.write.reset();
    CHECK_TRUE(write_str(pty.slave.get(), "pod output"));
    STRCMP_EQUAL("pod output", read_exactly(out.read.get(), 10).c_str());
    // The last words before the pod closes its terminal are not lost, even when the proxy sees
    // them only together with the hang-up (it is stopped meanwhile).
    CHECK_EQUAL(0, kill(pid, SIGSTOP));
    CHECK_EQUAL(pid, waitpid(pid, nullptr, WUNTRACED));
    CHECK_TRUE(write_str(pty.slave.get(), "bye"));
    pty.slave.reset();
    CHECK_EQUAL(0, kill(pid, SIGCONT));
    CHECK_EQUAL(0, wait_proxy(pid));
    STRCMP_EQUAL("bye", read_exactly(out.read.get(), 3).c_str());
}

TEST(Console, ProxyEndsWhenStopFdBecomesReadable) {
    Pty pty;
    Pipe in, out, stop;
    CHECK_TRUE(pty.ok());
    int close_in_child[] = {pty.slave.get(), in.write.get(), out.read.get(), stop.write.get(), -1};
    pid_t pid = start_proxy(pty.master.get(), in.read.get(), out.write.get(), stop.read.get(),
                            close_in_child);
    CHECK_TRUE(pid > 0);
    out.write.reset();

    CHECK_TRUE(write_str(pty.slave.get(), "last"));
    CHECK_TRUE(write_str(stop.write.get(), "x"));
    // The slave stays open: only the stop notification can end the proxy.
    CHECK_EQUAL(0, wait_proxy(pid));
    STRCMP_EQUAL("last", read_exactly(out.read.get(), 4).c_str());
}

// With a terminal as input (a second pty's slave), the proxy puts it in raw mode, copies its
// window size to the pod's terminal, follows SIGWINCH, and restores the modes when it ends.
TEST(Console, ProxyMakesATerminalInputRawFollowsItsSizeAndRestoresIt) {
    Pty pod, user;
    Pipe out;
    CHECK_TRUE(pod.ok() && user.ok());
    struct termios cooked {};
    CHECK_EQUAL(0, tcgetattr(user.slave.get(), &cooked));
    cooked.c_lflag |= ICANON | ECHO;
    CHECK_EQUAL(0, tcsetattr(user.slave.get(), TCSANOW, &cooked));
    struct winsize first = {40, 120, 0, 0};
    CHECK_EQUAL(0, ioctl(user.slave.get(), TIOCSWINSZ, &first));

    int close_in_child[] = {pod.slave.get(), user.master.get(), out.read.get(), -1};
    pid_t pid =
        start_proxy(pod.master.get(), user.slave.get(), out.write.get(), -1, close_in_child);
    CHECK_TRUE(pid > 0);
    out.write.reset();

    // No newline: only a raw input passes "abc" on before the line is complete.
    CHECK_TRUE(write_str(user.master.get(), "abc"));
    STRCMP_EQUAL("abc", read_exactly(pod.slave.get(), 3).c_str());
    struct termios during {};
    CHECK_EQUAL(0, tcgetattr(user.slave.get(), &during));
    CHECK_EQUAL(0, during.c_lflag & (ICANON | ECHO));
    struct winsize ws {};
    CHECK_EQUAL(0, ioctl(pod.slave.get(), TIOCGWINSZ, &ws));
    CHECK_EQUAL(40, ws.ws_row);
    CHECK_EQUAL(120, ws.ws_col);

    struct winsize second = {50, 132, 0, 0};
    CHECK_EQUAL(0, ioctl(user.slave.get(), TIOCSWINSZ, &second));
    CHECK_EQUAL(0, kill(pid, SIGWINCH));
    // The proxy handles the signal on its own schedule: look for up to 10 s (hang guard only).
    for (int i = 0; i < 1000 && ws.ws_col != 132; ++i) {
        usleep(10000);
        CHECK_EQUAL(0, ioctl(pod.slave.get(), TIOCGWINSZ, &ws));
    }
    CHECK_EQUAL(50, ws.ws_row);
    CHECK_EQUAL(132, ws.ws_col);

    pod.slave.reset();
    CHECK_EQUAL(0, wait_proxy(pid));
    struct termios after {};
    CHECK_EQUAL(0, tcgetattr(user.slave.get(), &after));
    CHECK_EQUAL(ICANON | ECHO, after.c_lflag & (ICANON | ECHO));
}
