// One place a repository can be fetched from: a mirror or the registry's own location.
#pragma once

#include <string>

namespace ocipod {

struct Endpoint {
    // Host and optional port as used in URLs: "registry-1.docker.io", "127.0.0.1:5000".
    std::string host;
    // Repository path at that host (a mirror with a path prefix rewrites it).
    std::string repository;
    // http:// instead of https:// — only for hosts marked insecure or --tls-verify=false.
    bool plain_http = false;
    // Verify the TLS certificate (false for insecure hosts or --tls-verify=false).
    bool tls_verify = true;
    bool mirror = false;

    std::string base_url() const { return (plain_http ? "http://" : "https://") + host; }
};

// The host that serves the API for a registry name: docker.io is served by registry-1.docker.io.
std::string registry_api_host(const std::string& registry);

}  // namespace ocipod
