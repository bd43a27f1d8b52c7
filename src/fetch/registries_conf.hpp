// containers-registries.conf(5), version 2 TOML: the registry configuration podman, skopeo and
// buildah users already have. Read from $CONTAINERS_REGISTRIES_CONF if set, otherwise
// /etc/containers/registries.conf followed by /etc/containers/registries.conf.d/*.conf in
// lexical order (later files override earlier ones key by key; [[registry]] tables with the same
// prefix replace earlier ones). Malformed files are refused with "file:line: message".
//
// Supported keys: unqualified-search-registries, short-name-mode (parsed, only "permissive"
// behaviour), [[registry]] prefix/location/insecure/blocked, [[registry.mirror]]
// location/insecure/pull-from-mirror ("all", "digest-only", "tag-only"). Unknown keys are refused,
// so a typo is never silently ignored.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "fetch/endpoint.hpp"
#include "oci/reference.hpp"

namespace ocipod {

struct RegistryMirror {
    std::string location;
    bool insecure = false;
    bool digest_only = false;  // pull-from-mirror = "digest-only"
    bool tag_only = false;     // pull-from-mirror = "tag-only"
};

struct RegistryEntry {
    std::string prefix;    // matched against "registry/repository" (longest prefix wins)
    std::string location;  // replaces the prefix; equals prefix when not given
    bool insecure = false;
    bool blocked = false;
    std::vector<RegistryMirror> mirrors;
    std::string source;  // "FILE:LINE" of the [[registry]] table, for messages
};

class RegistriesConf {
public:
    // Default locations (see above). Missing files are fine; a malformed one is an error.
    static Result<RegistriesConf> load();
    static Result<RegistriesConf> load_files(const std::vector<std::string>& paths);
    // Parse one file's text and merge it over this configuration.
    Status merge(std::string_view text, std::string_view filename);

    const std::vector<std::string>& unqualified_search_registries() const { return search_; }
    const std::vector<RegistryEntry>& registries() const { return registries_; }

    // Where to fetch ref from: the mirrors of the matching entry in order (digest-only mirrors
    // only for references by digest), then its location. Hosts are API hosts (docker.io ->
    // registry-1.docker.io). plain_http/tls_verify come from `insecure`; tls_verify_override
    // (from --tls-verify) applies to every endpoint when set. Blocked -> EACCES naming the entry.
    Result<std::vector<Endpoint>> endpoints_for(const Reference& ref,
                                                int tls_verify_override = -1) const;

private:
    std::vector<std::string> search_;
    std::vector<RegistryEntry> registries_;
};

}  // namespace ocipod
