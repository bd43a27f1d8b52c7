#include "c/json.hpp"

#include <cstdlib>

namespace ocipod {

void json_release(json_t* v) {
    json_decref(v);
}

Result<JsonPtr> json_parse(std::string_view bytes, const char* what) {
    json_error_t err;
    json_t* v = json_loadb(bytes.data(), bytes.size(), JSON_REJECT_DUPLICATES, &err);
    if (!v)
        return make_error(EBADMSG, "malformed %s JSON at line %d column %d: %s", what, err.line,
                          err.column, err.text);
    return JsonPtr(v);
}

std::string json_dump(const json_t* v, bool pretty) {
    size_t flags = JSON_PRESERVE_ORDER | JSON_ENCODE_ANY;
    flags |= pretty ? JSON_INDENT(2) : JSON_COMPACT;
    char* s = json_dumps(v, flags);
    if (!s) return {};
    std::string out(s);
    free(s);
    return out;
}

static Error wrong_type(const char* key, const char* want) {
    return make_error(EBADMSG, "field '%s' is not %s", key, want);
}

Result<const json_t*> json_req_object(const json_t* obj, const char* key) {
    const json_t* v = json_opt_member(obj, key);
    if (!v) return make_error(EBADMSG, "field '%s' is missing", key);
    if (!json_is_object(v)) return wrong_type(key, "an object");
    return v;
}

const json_t* json_opt_member(const json_t* obj, const char* key) {
    if (!json_is_object(obj)) return nullptr;
    const json_t* v = json_object_get(obj, key);
    return (v && !json_is_null(v)) ? v : nullptr;
}

Result<std::string> json_req_string(const json_t* obj, const char* key) {
    auto v = TRY(json_opt_string(obj, key));
    if (!v) return make_error(EBADMSG, "field '%s' is missing", key);
    return std::move(*v);
}

Result<std::optional<std::string>> json_opt_string(const json_t* obj, const char* key) {
    const json_t* v = json_opt_member(obj, key);
    if (!v) return std::optional<std::string>();
    if (!json_is_string(v)) return wrong_type(key, "a string");
    return std::optional<std::string>(std::string(json_string_value(v), json_string_length(v)));
}

Result<int64_t> json_req_int(const json_t* obj, const char* key) {
    auto v = TRY(json_opt_int(obj, key));
    if (!v) return make_error(EBADMSG, "field '%s' is missing", key);
    return *v;
}

Result<std::optional<int64_t>> json_opt_int(const json_t* obj, const char* key) {
    const json_t* v = json_opt_member(obj, key);
    if (!v) return std::optional<int64_t>();
    if (!json_is_integer(v)) return wrong_type(key, "an integer");
    return std::optional<int64_t>(static_cast<int64_t>(json_integer_value(v)));
}

Result<std::vector<std::string>> json_opt_string_array(const json_t* obj, const char* key) {
    std::vector<std::string> out;
    const json_t* v = json_opt_member(obj, key);
    if (!v) return out;
    if (!json_is_array(v)) return wrong_type(key, "an array");
    size_t i;
    const json_t* item;
    json_array_foreach(v, i, item) {
        if (!json_is_string(item)) return wrong_type(key, "an array of strings");
        out.emplace_back(json_string_value(item), json_string_length(item));
    }
    return out;
}

Result<std::map<std::string, std::string>> json_opt_string_map(const json_t* obj, const char* key) {
    std::map<std::string, std::string> out;
    const json_t* v = json_opt_member(obj, key);
    if (!v) return out;
    if (!json_is_object(v)) return wrong_type(key, "an object");
    const char* k;
    const json_t* item;
    json_object_foreach(const_cast<json_t*>(v), k, item) {
        if (!json_is_string(item)) return wrong_type(key, "an object of strings");
        out.emplace(k, std::string(json_string_value(item), json_string_length(item)));
    }
    return out;
}

JsonPtr json_from_string_map(const std::map<std::string, std::string>& m) {
    JsonPtr o(json_object());
    for (const auto& [k, v] : m)
        json_object_set_new(o.get(), k.c_str(), json_stringn(v.data(), v.size()));
    return o;
}

JsonPtr json_from_string_array(const std::vector<std::string>& v) {
    JsonPtr a(json_array());
    for (const auto& s : v) json_array_append_new(a.get(), json_stringn(s.data(), s.size()));
    return a;
}

}  // namespace ocipod
