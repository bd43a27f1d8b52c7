#include "oci/runtime_spec_fields.hpp"

#include <algorithm>
#include <cstdarg>
#include <cstdio>

namespace ocipod::spec {

Error spec_error(int code, const char* fmt, ...) {
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return Error{code, std::string("config.json: ") + buf};
}

std::string child_path(const std::string& parent, std::string_view key) {
    if (parent.empty()) return std::string(key);
    return parent + "." + std::string(key);
}

std::string index_path(const std::string& parent, size_t i) {
    return parent + "[" + std::to_string(i) + "]";
}

namespace {

Error wrong_type(const std::string& path, const char* want) {
    return spec_error(EBADMSG, "'%s' is not %s", path.c_str(), want);
}

// Null, "", [] and {} ask for nothing.
bool asks_nothing(const json_t* v) {
    if (json_is_null(v)) return true;
    if (json_is_string(v)) return json_string_length(v) == 0;
    if (json_is_array(v)) return json_array_size(v) == 0;
    if (json_is_object(v)) return json_object_size(v) == 0;
    return false;
}

bool contains(std::initializer_list<std::string_view> list, std::string_view key) {
    return std::find(list.begin(), list.end(), key) != list.end();
}

const json_t* member(const json_t* obj, const char* key) {
    const json_t* v = json_object_get(obj, key);
    return (v && !json_is_null(v)) ? v : nullptr;
}

}  // namespace

Status check_keys(const json_t* obj, const std::string& path,
                  std::initializer_list<std::string_view> known,
                  std::initializer_list<std::string_view> unsupported) {
    const char* key;
    const json_t* value;
    json_object_foreach(const_cast<json_t*>(obj), key, value) {
        std::string_view k(key);
        if (contains(known, k)) continue;
        std::string full = child_path(path, k);
        if (contains(unsupported, k)) {
            if (asks_nothing(value)) continue;
            return spec_error(EOPNOTSUPP, "'%s' is not supported, refusing", full.c_str());
        }
        return spec_error(EBADMSG, "unknown field '%s', refusing", full.c_str());
    }
    return {};
}

Result<const json_t*> opt_object(const json_t* obj, const std::string& parent, const char* key) {
    const json_t* v = member(obj, key);
    if (v && !json_is_object(v)) return wrong_type(child_path(parent, key), "an object");
    return v;
}

Result<const json_t*> req_object(const json_t* obj, const std::string& parent, const char* key) {
    const json_t* v = TRY(opt_object(obj, parent, key));
    if (!v) return spec_error(EBADMSG, "'%s' is missing", child_path(parent, key).c_str());
    return v;
}

Result<const json_t*> opt_array(const json_t* obj, const std::string& parent, const char* key) {
    const json_t* v = member(obj, key);
    if (v && !json_is_array(v)) return wrong_type(child_path(parent, key), "an array");
    return v;
}

Result<std::optional<std::string>> opt_string(const json_t* obj, const std::string& parent,
                                              const char* key) {
    const json_t* v = member(obj, key);
    if (!v) return std::optional<std::string>();
    if (!json_is_string(v)) return wrong_type(child_path(parent, key), "a string");
    return std::optional<std::string>(std::string(json_string_value(v), json_string_length(v)));
}

Result<std::string> req_string(const json_t* obj, const std::string& parent, const char* key) {
    auto v = TRY(opt_string(obj, parent, key));
    if (!v) return spec_error(EBADMSG, "'%s' is missing", child_path(parent, key).c_str());
    return std::move(*v);
}

Result<std::optional<bool>> opt_bool(const json_t* obj, const std::string& parent,
                                     const char* key) {
    const json_t* v = member(obj, key);
    if (!v) return std::optional<bool>();
    if (!json_is_boolean(v)) return wrong_type(child_path(parent, key), "a boolean");
    return std::optional<bool>(json_is_true(v));
}

Result<std::optional<int64_t>> opt_int(const json_t* obj, const std::string& parent,
                                       const char* key, int64_t min, int64_t max) {
    const json_t* v = member(obj, key);
    if (!v) return std::optional<int64_t>();
    if (!json_is_integer(v)) return wrong_type(child_path(parent, key), "an integer");
    int64_t n = json_integer_value(v);
    if (n < min || n > max)
        return spec_error(EBADMSG, "'%s' is %lld, out of range [%lld, %lld]",
                          child_path(parent, key).c_str(), static_cast<long long>(n),
                          static_cast<long long>(min), static_cast<long long>(max));
    return std::optional<int64_t>(n);
}

Result<int64_t> req_int(const json_t* obj, const std::string& parent, const char* key, int64_t min,
                        int64_t max) {
    auto v = TRY(opt_int(obj, parent, key, min, max));
    if (!v) return spec_error(EBADMSG, "'%s' is missing", child_path(parent, key).c_str());
    return *v;
}

Result<std::vector<std::string>> opt_strings(const json_t* obj, const std::string& parent,
                                             const char* key) {
    std::vector<std::string> out;
    const json_t* arr = TRY(opt_array(obj, parent, key));
    if (!arr) return out;
    std::string path = child_path(parent, key);
    size_t i;
    const json_t* item;
    json_array_foreach(arr, i, item) {
        if (!json_is_string(item)) return wrong_type(index_path(path, i), "a string");
        out.emplace_back(json_string_value(item), json_string_length(item));
    }
    return out;
}

Result<const json_t*> object_at(const json_t* arr, const std::string& path, size_t i) {
    const json_t* v = json_array_get(arr, i);
    if (!json_is_object(v)) return wrong_type(index_path(path, i), "an object");
    return v;
}

Status check_absolute(const std::string& value, const std::string& path) {
    if (value.empty() || value[0] != '/')
        return spec_error(EINVAL, "'%s' is '%s', not an absolute path, refusing", path.c_str(),
                          value.c_str());
    return {};
}

Status check_env(const std::vector<std::string>& env, const std::string& path) {
    for (size_t i = 0; i < env.size(); ++i) {
        size_t eq = env[i].find('=');
        if (eq == std::string::npos || eq == 0)
            return spec_error(EINVAL, "'%s' is '%s', not NAME=VALUE, refusing",
                              index_path(path, i).c_str(), env[i].c_str());
    }
    return {};
}

}  // namespace ocipod::spec
