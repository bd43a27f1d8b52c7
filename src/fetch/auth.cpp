#include "fetch/auth.hpp"

#include <algorithm>
#include <ctime>

#include "base/strings.hpp"
#include "c/json.hpp"
#include "fetch/redirect_policy.hpp"
#include "fetch/registry_errors.hpp"
#include "fetch/retry_policy.hpp"
#include "fetch/www_authenticate.hpp"

namespace ocipod {

namespace {

// A token lifetime longer than this is treated as this (and a margin is kept before expiry so a
// request never leaves with a token about to lapse).
constexpr std::chrono::seconds max_token_lifetime{24 * 3600};
constexpr std::chrono::seconds expiry_margin{5};

bool visible_ascii(std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return c > 0x20 && c < 0x7f; });
}

// application/x-www-form-urlencoded and query components: unreserved characters as they are.
std::string url_escape(std::string_view s) {
    static const char hex[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : s) {
        if (isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
            out += char(c);
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    return out;
}

// Every challenge of every WWW-Authenticate header, in order.
std::vector<AuthChallenge> all_challenges(const HttpHeaders& headers) {
    std::vector<AuthChallenge> out;
    for (auto v : headers.get_all("www-authenticate")) {
        auto more = parse_www_authenticate(v);
        out.insert(out.end(), more.begin(), more.end());
    }
    return out;
}

}  // namespace

Result<TokenResponse> parse_token_response(std::string_view body) {
    if (body.size() > max_token_response_bytes)
        return make_error(EFBIG, "token response larger than %zu bytes", max_token_response_bytes);
    auto doc = json_parse(body, "token response");
    if (!doc.ok() || !json_is_object(doc->get()))
        return make_error(EPROTO, "token response is not a JSON object");
    const json_t* obj = doc->get();
    TokenResponse r;
    for (const char* key : {"token", "access_token"}) {
        const char* v = json_string_value(json_object_get(obj, key));
        if (v && *v) {
            r.token = v;
            break;
        }
    }
    if (r.token.empty()) return make_error(EPROTO, "token response without a token");
    if (!visible_ascii(r.token) || r.token.size() > max_token_response_bytes)
        return make_error(EPROTO, "token response with an invalid token");
    // Docker's token spec: expires_in defaults to 60 s and anything lower counts as 60 s.
    const json_t* exp = json_object_get(obj, "expires_in");
    if (json_is_number(exp)) {
        double secs = json_number_value(exp);
        if (secs > double(max_token_lifetime.count())) {
            r.expires_in = max_token_lifetime;
        } else if (secs > double(min_token_lifetime.count())) {
            r.expires_in = std::chrono::seconds(int64_t(secs));
        }
    }
    return r;
}

Authenticator::Authenticator(Transport& transport, const FetchPolicy& policy,
                             std::string registry_url, std::optional<Credentials> credentials)
    : transport_(transport),
      policy_(policy),
      registry_url_(std::move(registry_url)),
      credentials_(std::move(credentials)) {
    registry_https_ = starts_with(registry_url_, "https:");
}

const Authenticator::Token* Authenticator::cached(const std::string& scope) const {
    auto it = tokens_.find(scope);
    if (it == tokens_.end()) return nullptr;
    if (std::chrono::steady_clock::now() + expiry_margin >= it->second.expires) return nullptr;
    return &it->second;
}

Result<std::string> Authenticator::authorization(std::string_view url, AuthAttempt& attempt) {
    attempt.sent.clear();
    if (!may_send_credentials(registry_url_, url)) return std::string();
    if (scheme_ == Scheme::basic && credentials_ && !credentials_->username.empty()) {
        attempt.sent =
            "Basic " + base64_encode(credentials_->username + ":" + credentials_->password);
    } else if (scheme_ == Scheme::bearer) {
        if (!cached(attempt.scope)) TRY(fetch_token(attempt.scope));
        attempt.sent = "Bearer " + tokens_[attempt.scope].value;
    }
    return attempt.sent;
}

void Authenticator::learn(const HttpHeaders& headers) {
    std::vector<AuthChallenge> challenges = all_challenges(headers);
    if (const AuthChallenge* bearer = find_challenge(challenges, "bearer")) {
        auto realm = bearer->param("realm");
        if (!realm || !is_http_url(*realm)) return;
        scheme_ = Scheme::bearer;
        realm_ = *realm;
        service_ = bearer->param("service").value_or("");
    } else if (find_challenge(challenges, "basic") && credentials_ &&
               !credentials_->username.empty()) {
        scheme_ = Scheme::basic;
    }
}

Status Authenticator::on_unauthorized(const HttpHeaders& headers, AuthAttempt& attempt) {
    std::vector<AuthChallenge> challenges = all_challenges(headers);
    if (const AuthChallenge* bearer = find_challenge(challenges, "bearer")) {
        auto realm = bearer->param("realm");
        if (!realm || realm->empty())
            return make_error(EACCES,
                              "authentication required, but the Bearer challenge has no "
                              "realm");
        if (!is_http_url(*realm))
            return make_error(EACCES, "refusing token realm '%s': not an http(s) URL",
                              printable(*realm).c_str());
        scheme_ = Scheme::bearer;
        realm_ = *realm;
        service_ = bearer->param("service").value_or("");
        auto error = bearer->param("error");
        auto scope = bearer->param("scope");
        if (error == "insufficient_scope" && scope && !scope->empty() && *scope != attempt.scope &&
            !attempt.widened) {
            attempt.scope = *scope;
            attempt.widened = true;
            attempt.fresh = true;
            if (!cached(attempt.scope)) TRY(fetch_token(attempt.scope));
            return {};
        }
        if (attempt.fresh && starts_with(attempt.sent, "Bearer "))
            return make_error(EACCES, "authentication failed: the registry refused a new token%s",
                              error ? strf(" (%s)", printable(*error, 60).c_str()).c_str() : "");
        // The token we sent was cached: drop it unless another transfer already replaced it.
        const Token* t = cached(attempt.scope);
        if (!t || "Bearer " + t->value == attempt.sent) {
            tokens_.erase(attempt.scope);
            TRY(fetch_token(attempt.scope));
        }
        attempt.fresh = true;
        return {};
    }
    if (find_challenge(challenges, "basic")) {
        if (!credentials_ || credentials_->username.empty())
            return make_error(EACCES,
                              "authentication required (no credentials configured for "
                              "this registry)");
        if (starts_with(attempt.sent, "Basic "))
            return make_error(EACCES, "authentication failed: credentials refused");
        scheme_ = Scheme::basic;
        attempt.fresh = true;
        return {};
    }
    return make_error(EACCES, "HTTP 401 without a usable authentication challenge");
}

Status Authenticator::fetch_token(const std::string& scope) {
    // Credentials go to the realm the registry names, but never in clear text when the registry
    // itself is reached over TLS.
    bool with_credentials = credentials_.has_value();
    if (with_credentials && registry_https_ && !starts_with(to_lower(realm_), "https:"))
        with_credentials = false;
    TRY(token_request(scope, with_credentials));
    return {};
}

Result<std::string> Authenticator::token_request(const std::string& scope, bool with_credentials) {
    HttpRequest req;
    bool refresh = with_credentials && !credentials_->identity_token.empty();
    std::string scopes_query;
    for (const auto& s : split(scope, ' '))
        if (!s.empty()) scopes_query += "&scope=" + url_escape(s);
    if (refresh) {
        // OAuth2 refresh-token grant (docker's identity token): RFC 6749 §6.
        req.url = realm_;
        req.form = "grant_type=refresh_token&client_id=oci-pod&service=" + url_escape(service_) +
                   scopes_query + "&refresh_token=" + url_escape(credentials_->identity_token);
        req.headers.push_back("Content-Type: application/x-www-form-urlencoded");
    } else {
        req.url = realm_ + (realm_.find('?') == std::string::npos ? "?" : "&") +
                  "service=" + url_escape(service_) + scopes_query;
        if (with_credentials && !credentials_->username.empty()) {
            req.url += "&account=" + url_escape(credentials_->username);
            req.headers.push_back(
                "Authorization: Basic " +
                base64_encode(credentials_->username + ":" + credentials_->password));
        }
    }
    std::string what = strf("token request to '%s'", url_host_text(realm_).c_str());

    for (int attempt = 1;; attempt++) {
        HttpCall call(req, nullptr, max_token_response_bytes + 1);
        TRY(transport_.run(call));
        bool last = attempt >= policy_.max_attempts;
        if (!call.answered()) {
            if (last) return call.transfer_error().wrap(what);
            TRY(transport_.sleep(backoff_delay(policy_, attempt)));
            continue;
        }
        long status = call.status();
        if (status == 401 || status == 403)
            return registry_error(status, call.body()).wrap(strf("unauthorized: %s", what.c_str()));
        if (is_retryable_status(status) && !last) {
            TRY(transport_.sleep(retry_delay(policy_, attempt, call.headers(), time(nullptr))));
            continue;
        }
        if (status != 200) return registry_error(status, call.body()).wrap(what);
        if (call.body_truncated())
            return make_error(EFBIG, "%s: response larger than %zu bytes", what.c_str(),
                              max_token_response_bytes);
        TokenResponse tr = TRY_WRAP(parse_token_response(call.body()), what);
        auto lifetime = std::min(tr.expires_in, max_token_lifetime);
        tokens_[scope] = Token{tr.token, std::chrono::steady_clock::now() + lifetime};
        return tr.token;
    }
}

}  // namespace ocipod
