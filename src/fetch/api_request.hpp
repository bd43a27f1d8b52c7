// One registry API GET with a bounded body (/v2/, manifests), run to completion: authentication
// through the Authenticator, redirects checked hop by hop (redirect_policy.hpp), retries with
// backoff for 429/5xx and transport failures (retry_policy.hpp). A redirect target that answers
// 401/403 sends us back to the registry URL once (signed URLs expire).
#pragma once

#include <string>
#include <vector>

#include "base/result.hpp"
#include "fetch/auth.hpp"
#include "fetch/http_headers.hpp"
#include "fetch/registry.hpp"
#include "fetch/transport.hpp"

namespace ocipod {

// A BodySink that can start over for a retried request.
class ApiBody : public BodySink {
public:
    virtual void restart() = 0;
};

struct ApiGet {
    std::string url;                   // at the registry
    std::vector<std::string> headers;  // e.g. Accept
    ApiBody* body = nullptr;           // receives 2xx bodies; null: kept in ApiAnswer.body
    Authenticator* auth = nullptr;     // null: no authentication handling (ping)
    std::string scope;                 // for the Authenticator
};

struct ApiAnswer {
    long status = 0;
    HttpHeaders headers;
    std::string body;  // non-2xx bodies (and 2xx without a sink), at most error_body_cap bytes
};

// Ok with the final answer, whatever its status (callers judge it), except: an error for
// transport failures and retryable statuses after the last attempt, refused redirects,
// authentication failures and sink errors.
Result<ApiAnswer> api_get(Transport& transport, const FetchPolicy& policy, const ApiGet& get);

}  // namespace ocipod
