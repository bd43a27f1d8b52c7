// Messages to the service manager (sd_notify(3)) while a command works under a unit: STATUS= for
// `systemctl status`, EXTEND_TIMEOUT_USEC= so a long first pull is not killed by
// TimeoutStartSec=. The interface lets the progress display be tested without a socket.
#pragma once

#include <string>

namespace ocipod {

class Notifier {
public:
    virtual ~Notifier() = default;
    // One sd_notify state string, e.g. "STATUS=Pulling alpine".
    virtual void send(const std::string& state) = 0;
};

// Sends to $NOTIFY_SOCKET. Without it (not under systemd) does nothing.
class SystemdNotifier final : public Notifier {
public:
    SystemdNotifier();
    // Whether $NOTIFY_SOCKET was set when this object was made.
    bool enabled() const { return enabled_; }
    void send(const std::string& state) override;

private:
    bool enabled_ = false;
};

}  // namespace ocipod
