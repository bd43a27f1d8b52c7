// docker-credential-NAME programs (the docker-credential-helpers protocol): run as
// "docker-credential-NAME get" with the server on stdin, they print
// {"ServerURL": ..., "Username": ..., "Secret": ...}; a Username of "<token>" means Secret is an
// identity token. "credentials not found" (on stdout, non-zero exit) means none are stored.
//
// The program is found in $PATH and runs with only PATH and HOME in its environment, its own
// process group, no inherited fds beyond stdin/stdout/stderr (all pipes), a deadline (the whole
// group is killed when it passes) and a cap on what it may print.
#pragma once

#include <optional>
#include <string_view>

#include "base/result.hpp"
#include "fetch/credentials.hpp"

namespace ocipod {

struct CredentialHelperLimits {
    int timeout_ms = 10000;
    size_t output_cap = 1u << 20;
};

// name is what follows "docker-credential-" ([A-Za-z0-9._-] only). nullopt = nothing stored.
Result<std::optional<Credentials>> run_credential_helper(std::string_view name,
                                                         std::string_view server,
                                                         CredentialHelperLimits limits = {});

}  // namespace ocipod
