// Signals by name or number, as `kill`, --stop-signal, `oci-pod-runner kill` and the image's
// StopSignal give them. One parser for all of them, so a stop signal the renderer accepted is
// always one the runner can send.
#pragma once

#include <optional>
#include <string_view>

namespace ocipod {

// "SIGTERM", "term", "15", "SIGIOT", "SIGRTMIN+3", "RTMAX-2" -> the number (names are
// case-insensitive, "SIG" optional); nullopt for anything else, 0 and numbers above 64 included.
std::optional<int> signal_number(std::string_view s);

}  // namespace ocipod
