// Endpoint resolution: which [[registry]] entry governs a reference and where that sends the
// request. The matching and TLS rules are explained at the top of registries_conf.cpp.
#include "fetch/endpoint.hpp"

#include "fetch/registries_conf.hpp"

namespace ocipod {

std::string registry_api_host(const std::string& registry) {
    // Docker Hub's names (docker.io, index.docker.io) are not its API host (distribution's
    // reference/normalize.go and docker's registry/config.go agree).
    if (registry == "docker.io") return "registry-1.docker.io";
    return registry;
}

namespace {

// The host part of "host[:port]" or "[v6]:port".
std::string_view host_without_port(std::string_view hostport) {
    if (hostport.starts_with('[')) {
        size_t close = hostport.find(']');
        return close == std::string_view::npos ? hostport : hostport.substr(0, close + 1);
    }
    return hostport.substr(0, hostport.find(':'));
}

bool is_ipv4_loopback(std::string_view h) {
    std::vector<std::string> parts = split(h, '.');
    if (parts.size() != 4 || parts[0] != "127") return false;
    for (const std::string& p : parts) {
        auto v = parse_u64(p);
        if (!v || *v > 255 || (p.size() > 1 && p[0] == '0')) return false;
    }
    return true;
}

bool is_loopback(std::string_view hostport) {
    std::string_view h = host_without_port(hostport);
    return h == "localhost" || h == "[::1]" || is_ipv4_loopback(h);
}

struct Match {
    size_t length = 0;       // characters of "registry/repository" the prefix covers
    bool exact = false;      // not a wildcard
    size_t pattern_len = 0;  // longer wildcard = more specific
    bool operator>(const Match& o) const {
        if (length != o.length) return length > o.length;
        if (exact != o.exact) return exact;
        return pattern_len > o.pattern_len;
    }
};

// How much of name ("registry/repository") the prefix matches; nullopt when it does not.
std::optional<Match> match_prefix(const std::string& prefix, const std::string& registry,
                                  const std::string& name) {
    if (prefix.starts_with("*.")) {
        std::string_view host = host_without_port(registry);
        std::string_view suffix = std::string_view(prefix).substr(1);  // ".example.com"
        if (host.size() > suffix.size() && host.ends_with(suffix))
            return Match{registry.size(), false, prefix.size()};
        return std::nullopt;
    }
    if (name == prefix || (name.starts_with(prefix) && name[prefix.size()] == '/'))
        return Match{prefix.size(), true, prefix.size()};
    return std::nullopt;
}

}  // namespace

Result<std::vector<Endpoint>> RegistriesConf::endpoints_for(const Reference& ref,
                                                            int tls_verify_override) const {
    const std::string name = ref.registry + "/" + ref.repository;

    const RegistryEntry* best = nullptr;
    Match best_match;
    for (const RegistryEntry& e : registries_) {
        auto m = match_prefix(e.prefix, ref.registry, name);
        if (m && (!best || *m > best_match)) {
            best = &e;
            best_match = *m;
        }
    }

    auto make = [&](const std::string& target, bool insecure, bool mirror) -> Result<Endpoint> {
        size_t slash = target.find('/');
        if (slash == std::string::npos || slash + 1 == target.size())
            return make_error(EINVAL,
                              "registries.conf maps '%s' to '%s', which names no "
                              "repository",
                              name.c_str(), target.c_str());
        Endpoint ep;
        ep.host = registry_api_host(target.substr(0, slash));
        ep.repository = target.substr(slash + 1);
        ep.mirror = mirror;
        if (tls_verify_override == 0 || tls_verify_override == 1) {
            ep.tls_verify = tls_verify_override == 1;
            ep.plain_http = tls_verify_override == 0;
        } else if (insecure) {
            ep.tls_verify = false;
            ep.plain_http = is_loopback(target.substr(0, slash));
        }
        return ep;
    };

    std::vector<Endpoint> out;
    if (!best) {
        out.push_back(TRY(make(name, false, false)));
        return out;
    }
    if (best->blocked)
        return make_error(
            EACCES, "registry '%s' is blocked by %s ([[registry]] prefix '%s')", name.c_str(),
            best->source.empty() ? "registries.conf" : best->source.c_str(), best->prefix.c_str());

    // What follows the matched part ("" or "/rest") is appended to mirrors and the location.
    const std::string rest = name.substr(best_match.length);
    bool by_digest = ref.digest.has_value();
    for (const RegistryMirror& m : best->mirrors) {
        if ((m.digest_only && !by_digest) || (m.tag_only && by_digest)) continue;
        out.push_back(TRY(make(m.location + rest, m.insecure, true)));
    }
    // A wildcard entry without a location does not rewrite (containers-registries.conf(5)).
    out.push_back(
        TRY(make(best->location.empty() ? name : best->location + rest, best->insecure, false)));
    return out;
}

}  // namespace ocipod
