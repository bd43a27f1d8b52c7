// Signals by name or number, as `kill`, --stop-signal and the image's StopSignal give them.
#pragma once

#include <optional>
#include <string>

namespace ocipod {

// "SIGTERM", "TERM", "15" (and "SIGRTMIN+3") -> the number; nullopt for anything else.
std::optional<int> parse_signal(const std::string& text);

}  // namespace ocipod
