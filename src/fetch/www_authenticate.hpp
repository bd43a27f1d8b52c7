// WWW-Authenticate (RFC 9110 §11.6.1, §11.2): a list of challenges, each an auth-scheme followed
// by either a token68 or comma-separated auth-params whose values are tokens or quoted strings
// (backslash escapes, commas inside quotes). One header value may hold several challenges and a
// response may repeat the header; both are parsed into one list. Schemes and parameter names are
// case-insensitive and returned lowercase; values are returned as sent (unquoted).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ocipod {

struct AuthChallenge {
    std::string scheme;                         // lowercase: "bearer", "basic"
    std::string token68;                        // for schemes that send one instead of params
    std::map<std::string, std::string> params;  // lowercase keys

    std::optional<std::string> param(const std::string& key) const {
        auto it = params.find(key);
        if (it == params.end()) return std::nullopt;
        return it->second;
    }
};

// Malformed parts end the parse: what was parsed before them is returned, so one garbled
// challenge cannot hide a good one in an earlier position (a later one may be lost).
std::vector<AuthChallenge> parse_www_authenticate(std::string_view value);

// The first challenge of a scheme (lowercase) across all of them, or nullptr.
const AuthChallenge* find_challenge(const std::vector<AuthChallenge>& challenges,
                                    std::string_view scheme);

}  // namespace ocipod
