#include "cli/notify.hpp"

#include <systemd/sd-daemon.h>

#include <cstdlib>

namespace ocipod {

SystemdNotifier::SystemdNotifier() {
    const char* socket = getenv("NOTIFY_SOCKET");
    enabled_ = socket && *socket;
}

void SystemdNotifier::send(const std::string& state) {
    // Failures are not worth reporting: the manager only loses a status line. The environment is
    // kept (unset_environment=0) because helpers we run may report too.
    if (enabled_) (void)sd_notify(0, state.c_str());
}

}  // namespace ocipod
