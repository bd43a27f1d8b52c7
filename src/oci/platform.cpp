// Normalisation and matching follow containerd's platforms package (database.go, compare.go) and
// containers/image's platform matcher: variants are compared as ordered levels for amd64 (v1..v4)
// and arm (v5..v8); an older level runs on a newer CPU, never the other way round.
#include "oci/platform.hpp"

#include <sys/utsname.h>

#include <climits>

namespace ocipod {

namespace {

// "v7" -> 7; -1 when the variant is not a plain level.
int variant_level(std::string_view v) {
    if (v.size() < 2 || v[0] != 'v') return -1;
    auto n = parse_u64(v.substr(1));
    return (n && *n < 100) ? static_cast<int>(*n) : -1;
}

// Levels for the architectures whose variants form a compatibility ladder; -1 for others.
int arch_level(const Platform& p) {
    if (p.architecture == "amd64") return p.variant.empty() ? 1 : variant_level(p.variant);
    if (p.architecture == "arm") return variant_level(p.variant);
    return -1;
}

// The smallest level an architecture's ladder goes down to.
int arch_floor(std::string_view arch) {
    return arch == "arm" ? 5 : 1;
}

}  // namespace

std::string Platform::str() const {
    std::string s = os + "/" + architecture;
    if (!variant.empty()) s += "/" + variant;
    return s;
}

Platform normalize_platform(Platform p) {
    p.os = to_lower(p.os);
    p.architecture = to_lower(p.architecture);
    p.variant = to_lower(p.variant);
    std::string& arch = p.architecture;
    std::string& var = p.variant;
    // A bare number is how some tools write variants ("arm/7", "arm64/8").
    if (!var.empty() && var.find_first_not_of("0123456789") == std::string::npos) var = "v" + var;
    if (arch == "x86_64" || arch == "x86-64" || arch == "amd64") {
        arch = "amd64";
        if (var == "v1") var.clear();
    } else if (arch == "aarch64" || arch == "arm64") {
        arch = "arm64";
        if (var == "v8") var.clear();
    } else if (arch == "armhf") {
        arch = "arm";
        var = "v7";
    } else if (arch == "armel") {
        arch = "arm";
        var = "v6";
    } else if (arch == "arm") {
        if (var.empty()) var = "v7";
    } else if (arch == "i386") {
        arch = "386";
    }
    return p;
}

Result<Platform> parse_platform(std::string_view s) {
    std::vector<std::string> parts = split(s, '/');
    bool empty_part = false;
    for (const std::string& part : parts) empty_part |= part.empty();
    if (parts.size() < 2 || parts.size() > 3 || empty_part)
        return make_error(EINVAL, "invalid platform '%s': expected os/arch[/variant]",
                          printable(s).c_str());
    Platform p;
    p.os = parts[0];
    p.architecture = parts[1];
    if (parts.size() == 3) p.variant = parts[2];
    return normalize_platform(std::move(p));
}

Platform host_platform() {
    struct Machine {
        std::string_view uname, arch, variant;
    };
    static constexpr Machine machines[] = {
        {"x86_64", "amd64", ""},    {"aarch64", "arm64", ""},   {"armv8l", "arm", "v8"},
        {"armv7l", "arm", "v7"},    {"armv6l", "arm", "v6"},    {"armv5tel", "arm", "v5"},
        {"armv5tejl", "arm", "v5"}, {"i386", "386", ""},        {"i486", "386", ""},
        {"i586", "386", ""},        {"i686", "386", ""},        {"ppc64le", "ppc64le", ""},
        {"s390x", "s390x", ""},     {"riscv64", "riscv64", ""}, {"mips64", "mips64", ""},
    };
    Platform p;
    p.os = "linux";
    struct utsname u;
    std::string_view machine = uname(&u) == 0 ? u.machine : "unknown";
    p.architecture = std::string(machine);
    for (const Machine& m : machines)
        if (m.uname == machine) {
            p.architecture = std::string(m.arch);
            p.variant = std::string(m.variant);
        }
    return normalize_platform(std::move(p));
}

bool platform_matches(const Platform& wanted, const Platform& entry) {
    return platform_rank(wanted, entry) != INT_MAX;
}

// os.version and os.features select among Windows builds; they say nothing about a Linux entry
// and are ignored here (THREATS 38).
int platform_rank(const Platform& wanted_in, const Platform& entry_in) {
    const Platform wanted = normalize_platform(wanted_in);
    const Platform entry = normalize_platform(entry_in);
    if (wanted.os != entry.os || wanted.architecture != entry.architecture) return INT_MAX;
    if (wanted.variant == entry.variant) return 0;
    int want = arch_level(wanted), have = arch_level(entry);
    if (want > 0 && have >= arch_floor(entry.architecture) && have <= want) return want - have;
    // arm64 v8.x and v9 run v8.0 binaries, which are published without a variant.
    if (wanted.architecture == "arm64" && entry.variant.empty()) return 1;
    return INT_MAX;
}

}  // namespace ocipod
