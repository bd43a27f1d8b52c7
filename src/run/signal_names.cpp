#include "run/signal_names.hpp"

#include <signal.h>
#include <string.h>

#include "base/strings.hpp"

namespace ocipod {

std::optional<int> parse_signal(const std::string& text) {
    if (auto n = parse_u64(text)) {
        if (*n >= 1 && *n < uint64_t(NSIG)) return int(*n);
        return std::nullopt;
    }
    std::string name = starts_with(text, "SIG") ? text.substr(3) : text;
    if (starts_with(name, "RTMIN+") || starts_with(name, "RTMAX-")) {
        bool from_min = name[3] == 'I';
        auto off = parse_u64(std::string_view(name).substr(6));
        if (!off || *off > uint64_t(SIGRTMAX - SIGRTMIN)) return std::nullopt;
        return from_min ? SIGRTMIN + int(*off) : SIGRTMAX - int(*off);
    }
    for (int sig = 1; sig < SIGRTMIN; ++sig) {
        const char* abbrev = sigabbrev_np(sig);
        if (abbrev && name == abbrev) return sig;
    }
    if (name == "RTMIN") return SIGRTMIN;
    if (name == "RTMAX") return SIGRTMAX;
    return std::nullopt;
}

}  // namespace ocipod
