#include "fetch/registry_errors.hpp"

#include "base/strings.hpp"
#include "c/json.hpp"

namespace ocipod {

int http_status_code(long status) {
    if (status == 404) return ENOENT;
    if (status == 401 || status == 403) return EACCES;
    if (status == 429) return EAGAIN;
    if (status == 416) return ERANGE;
    if (status >= 500 && status <= 599) return EIO;
    return EPROTO;
}

namespace {

// "CODE: message; CODE: message" from the spec's error body, or "" when it is something else.
std::string describe_errors(std::string_view body) {
    if (body.empty() || body.size() >= error_body_cap) return {};
    auto doc = json_parse(body, "error body");
    if (!doc.ok() || !json_is_object(doc->get())) return {};
    const json_t* errors = json_object_get(doc->get(), "errors");
    if (!json_is_array(errors)) return {};
    std::string out;
    size_t shown = 0;
    for (size_t i = 0; i < json_array_size(errors) && shown < 3; i++) {
        const json_t* e = json_array_get(errors, i);
        const char* code = json_string_value(json_object_get(e, "code"));
        const char* message = json_string_value(json_object_get(e, "message"));
        if (!code && !message) continue;
        if (!out.empty()) out += "; ";
        if (code) out += printable(code, 60);
        if (code && message) out += ": ";
        if (message) out += printable(message, 200);
        shown++;
    }
    return out;
}

}  // namespace

Error registry_error(long status, std::string_view body) {
    std::string detail = describe_errors(body);
    if (detail.empty()) return make_error(http_status_code(status), "HTTP %ld", status);
    return make_error(http_status_code(status), "HTTP %ld (%s)", status, detail.c_str());
}

}  // namespace ocipod
