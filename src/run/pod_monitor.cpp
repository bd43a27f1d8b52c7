#include "run/pod_monitor.hpp"

#include <poll.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <algorithm>

#include "run/console.hpp"
#include "run/notify_relay.hpp"
#include "run/stub_init.hpp"

namespace ocipod {

namespace {

int64_t now_ms() {
    struct timespec ts {};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return int64_t(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

void signal_init(int pidfd, int sig) {
    syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0);
}

}  // namespace

sigset_t stop_request_signals() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    return set;
}

Result<int> monitor_pod(const MonitorRequest& request) {
    sigset_t stops = stop_request_signals();
    UniqueFd sfd(signalfd(-1, &stops, SFD_CLOEXEC | SFD_NONBLOCK));
    if (!sfd) return errno_error("signalfd");
    // One fd that is readable when either a stop request or the init's exit is pending: the
    // terminal proxy's stop_fd.
    UniqueFd ep(epoll_create1(EPOLL_CLOEXEC));
    if (!ep) return errno_error("epoll_create1");
    for (int fd : {sfd.get(), request.pidfd, request.notify_fd}) {
        if (fd < 0) continue;
        struct epoll_event ev {};
        ev.events = EPOLLIN;
        ev.data.fd = fd;
        if (epoll_ctl(ep.get(), EPOLL_CTL_ADD, fd, &ev) < 0) return errno_error("epoll_ctl");
    }

    bool proxying = request.console_master >= 0;
    int64_t kill_at = -1;
    for (;;) {
        // While a SIGKILL is due the proxy, which has no timeout, waits; output is no longer
        // the point.
        if (proxying && kill_at < 0) {
            // Returns on the pod's hang-up (then plain waiting goes on) or a pending event.
            Status st = proxy_terminal(request.console_master, 0, 1, ep.get());
            if (!st) proxying = false;
            struct pollfd p = {request.console_master, POLLIN, 0};
            if (poll(&p, 1, 0) == 1 && (p.revents & (POLLHUP | POLLERR))) proxying = false;
        }
        int timeout = -1;
        if (kill_at >= 0) timeout = int(std::max<int64_t>(0, kill_at - now_ms()));
        if (proxying && kill_at < 0) timeout = 0;
        struct epoll_event evs[3];
        int n = epoll_wait(ep.get(), evs, 3, timeout);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return errno_error("epoll_wait");
        if (kill_at >= 0 && now_ms() >= kill_at) {
            signal_init(request.pidfd, SIGKILL);
            kill_at = -1;
        }
        for (int i = 0; i < n; ++i) {
            if (evs[i].data.fd == request.notify_fd) {
                relay_notify_messages(request.notify_fd);
            } else if (evs[i].data.fd == sfd.get()) {
                struct signalfd_siginfo si;
                while (read(sfd.get(), &si, sizeof si) == ssize_t(sizeof si)) {
                    if (request.forward_hangup && si.ssi_signo == SIGHUP) {
                        signal_init(request.pidfd, SIGHUP);
                        continue;
                    }
                    signal_init(request.pidfd, request.stop_signal);
                    if (kill_at < 0) kill_at = now_ms() + int64_t(request.stop_timeout_sec) * 1000;
                }
            } else {
                int status = 0;
                pid_t r;
                while ((r = waitpid(request.pid, &status, 0)) < 0 && errno == EINTR) {
                }
                if (r != request.pid) return errno_error("waiting for the pod's init");
                return exit_status_of(status);
            }
        }
    }
}

}  // namespace ocipod
