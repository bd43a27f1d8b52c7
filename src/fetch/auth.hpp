// Registry authentication (distribution-spec auth, Docker token auth, RFC 6750 Bearer, RFC 7617
// Basic), keyed to the registry's origin: nothing here is ever sent to another scheme, host or
// port (redirect targets, descriptor `urls`).
//
//   - Anonymous first. A 401 teaches the scheme: Bearer (realm, service) or Basic.
//   - Bearer: GET realm?service=S&scope=S (with Basic credentials when configured for this
//     registry and the realm is not plain http under an https registry), or the OAuth2
//     refresh-token POST when an identity token is configured. Tokens are cached per scope until
//     expires_in (at least 60 s). A request that carried a cached token and got 401 (e.g.
//     error="invalid_token") gets one fresh token; a request whose fresh token is refused fails
//     with EACCES "authentication failed". error="insufficient_scope" with a scope= parameter
//     gets one retry under that scope. The token endpoint answering 401/403 is "unauthorized",
//     never retried.
//   - Basic: sent only when credentials are configured; refused credentials fail.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "base/base64.hpp"
#include "base/result.hpp"
#include "fetch/credentials.hpp"
#include "fetch/http_headers.hpp"
#include "fetch/registry.hpp"
#include "fetch/transport.hpp"

namespace ocipod {

inline constexpr size_t max_token_response_bytes = 1 << 20;
inline constexpr std::chrono::seconds min_token_lifetime{60};

struct TokenResponse {
    std::string token;
    std::chrono::seconds expires_in{min_token_lifetime};
};

// {"token": T} or {"access_token": T}, optional expires_in (missing or < 60 -> 60). Refuses a
// body over 1 MiB (EFBIG), non-JSON and tokens that are not visible ASCII (EPROTO): a token ends
// up in a header line.
Result<TokenResponse> parse_token_response(std::string_view body);

// Per logical request: what was sent and which retries were used.
struct AuthAttempt {
    std::string scope;   // "repository:NAME:pull" (may be widened once)
    std::string sent;    // the Authorization value of the last attempt ("" for none)
    bool fresh = false;  // sent was obtained for this request, after its own 401
    bool widened = false;
};

class Authenticator {
public:
    Authenticator(Transport& transport, const FetchPolicy& policy, std::string registry_url,
                  std::optional<Credentials> credentials);

    // The Authorization value for a request to url ("" for none: another origin, or no scheme
    // learned yet). May fetch a token for attempt.scope first when Bearer is known and the cache
    // has none. Records the value in attempt.sent.
    Result<std::string> authorization(std::string_view url, AuthAttempt& attempt);

    // A 401 from the registry origin to a request made with attempt. Ok: retry (new credentials
    // or token ready); an error: give up (EACCES).
    Status on_unauthorized(const HttpHeaders& headers, AuthAttempt& attempt);

    // Learn the scheme (and Bearer realm) from a challenge seen outside a request flow (the
    // /v2/ ping), so the first repository request can carry a token right away.
    void learn(const HttpHeaders& headers);

    // Token requests made (tests count them).

private:
    enum class Scheme { unknown, basic, bearer };
    struct Token {
        std::string value;
        std::chrono::steady_clock::time_point expires;
    };

    const Token* cached(const std::string& scope) const;
    Status fetch_token(const std::string& scope);
    Result<std::string> token_request(const std::string& scope, bool with_credentials);

    Transport& transport_;
    FetchPolicy policy_;
    std::string registry_url_;
    bool registry_https_ = true;
    std::optional<Credentials> credentials_;
    Scheme scheme_ = Scheme::unknown;
    std::string realm_;
    std::string service_;
    std::map<std::string, Token> tokens_;
};

}  // namespace ocipod
