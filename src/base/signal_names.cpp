#include "base/signal_names.hpp"

#include <signal.h>
#include <string.h>

#include <string>

#include "base/strings.hpp"

namespace ocipod {

std::optional<int> signal_number(std::string_view s) {
    if (s.empty()) return std::nullopt;
    if (auto n = parse_u64(s)) {
        if (*n >= 1 && *n < uint64_t(NSIG)) return static_cast<int>(*n);
        return std::nullopt;
    }
    std::string name(s);
    for (char& c : name) c = static_cast<char>(toupper(static_cast<unsigned char>(c)));
    if (starts_with(name, "SIG")) name.erase(0, 3);
    if (name == "IOT") return SIGABRT;
    // glibc's table names signal 29 POLL; IO is the name kill(1), systemd and runc use.
    if (name == "POLL" || name == "IO") return SIGIO;
    if (name == "CLD") return SIGCHLD;
    for (int sig = 1; sig < SIGRTMIN; ++sig) {
        const char* abbrev = sigabbrev_np(sig);
        if (abbrev && name == abbrev) return sig;
    }
    if (name == "RTMIN") return SIGRTMIN;
    if (name == "RTMAX") return SIGRTMAX;
    for (const char* base : {"RTMIN+", "RTMAX-"}) {
        if (!starts_with(name, base)) continue;
        auto n = parse_u64(std::string_view(name).substr(6));
        if (!n || *n < 1 || *n > uint64_t(SIGRTMAX - SIGRTMIN)) return std::nullopt;
        return base[3] == 'I' ? SIGRTMIN + static_cast<int>(*n) : SIGRTMAX - static_cast<int>(*n);
    }
    return std::nullopt;
}

}  // namespace ocipod
