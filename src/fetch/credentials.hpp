// Registry credentials from the files users already have, in the order podman reads them:
// --creds, $REGISTRY_AUTH_FILE, ${XDG_RUNTIME_DIR}/containers/auth.json,
// ~/.config/containers/auth.json, ~/.docker/config.json. In each file "auths" keys may be a
// host ("quay.io"), a host with a namespace ("quay.io/team", most specific wins) or the legacy
// docker.io forms ("https://index.docker.io/v1/"); "credHelpers" (and "credsStore") name a
// docker-credential-NAME program that is run with "get" and the host on stdin.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"

namespace ocipod {

struct Credentials {
    std::string username;
    std::string password;
    std::string identity_token;  // OAuth2 refresh token (docker's "identitytoken")
};

// Parse "USER:PASS" as given to --creds (the password may contain ':').
Result<Credentials> parse_creds_option(std::string_view s);

class CredentialStore {
public:
    // The standard search list; cli (from --creds) wins for every host when set.
    static CredentialStore from_environment(std::optional<Credentials> cli = std::nullopt);
    // An explicit list of auth files (tests).
    static CredentialStore from_files(std::vector<std::string> files);

    // Credentials for registry (as in the reference: "docker.io", "host:port") and repository;
    // nullopt when none are configured. A malformed auth file is an error naming the file.
    Result<std::optional<Credentials>> lookup(std::string_view registry,
                                              std::string_view repository) const;

private:
    std::optional<Credentials> cli_;
    std::vector<std::string> files_;
};

}  // namespace ocipod
