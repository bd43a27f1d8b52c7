#include "fetch/api_request.hpp"

#include <ctime>

#include "base/strings.hpp"
#include "fetch/redirect_policy.hpp"
#include "fetch/registry_errors.hpp"
#include "fetch/retry_policy.hpp"

namespace ocipod {

namespace {

bool is_redirect(long status) {
    return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

// Bound on authentication rounds per request: first token, refresh, scope widening, spare.
constexpr int max_auth_rounds = 4;

}  // namespace

Result<ApiAnswer> api_get(Transport& transport, const FetchPolicy& policy, const ApiGet& get) {
    std::string url = get.url;
    AuthAttempt auth_attempt;
    auth_attempt.scope = get.scope;
    int hops = 0, retries = 0, auth_rounds = 0;
    bool went_back = false;

    for (;;) {
        HttpRequest req;
        req.url = url;
        req.headers = get.headers;
        if (get.auth) {
            std::string value = TRY(get.auth->authorization(url, auth_attempt));
            if (!value.empty()) req.headers.push_back("Authorization: " + value);
        }
        if (get.body) get.body->restart();
        HttpCall call(std::move(req), get.body, error_body_cap);
        TRY(transport.run(call));
        if (call.sink_error()) return *call.sink_error();

        if (!call.answered()) {
            if (curl_is_tls_error(call.result()) || ++retries >= policy.max_attempts)
                return call.transfer_error();
            TRY(transport.sleep(backoff_delay(policy, retries)));
            continue;
        }
        long status = call.status();
        bool at_registry = may_send_credentials(get.url, url);

        if (is_redirect(status)) {
            auto location = call.headers().get("location");
            if (!location) return make_error(EPROTO, "HTTP %ld without a Location header", status);
            if (++hops > max_redirects)
                return make_error(EPROTO, "too many redirects (more than %d)", max_redirects);
            std::string next = TRY(resolve_location(url, *location));
            TRY(check_redirect(url, next));
            url = std::move(next);
            continue;
        }
        if (status == 401 && get.auth && at_registry) {
            if (++auth_rounds > max_auth_rounds)
                return make_error(EACCES, "authentication failed (too many challenges)");
            TRY(get.auth->on_unauthorized(call.headers(), auth_attempt));
            continue;
        }
        if ((status == 401 || status == 403) && !at_registry && !went_back) {
            // An expired signed URL: ask the registry for a fresh redirect.
            went_back = true;
            url = get.url;
            hops = 0;
            continue;
        }
        if (is_retryable_status(status)) {
            if (++retries < policy.max_attempts) {
                TRY(transport.sleep(retry_delay(policy, retries, call.headers(), time(nullptr))));
                continue;
            }
            return registry_error(status, call.body())
                .wrap(strf("giving up after %d attempts", retries));
        }
        ApiAnswer a;
        a.status = status;
        a.headers = call.headers();
        a.body = call.body();
        return a;
    }
}

}  // namespace ocipod
