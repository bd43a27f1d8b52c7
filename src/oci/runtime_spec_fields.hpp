// Path-aware readers for config.json (runtime_spec.hpp): each value is read with its JSON path
// ("process.user.uid", "mounts[2].options[0]") so every refusal names the exact field; each
// object's keys are checked against the keys the runner implements, the keys the runtime-spec
// defines but the runner refuses, and nothing else. Internal to the runtime_spec*.cpp files.
#pragma once

#include <jansson.h>

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "oci/runtime_spec.hpp"

namespace ocipod::spec {

// "config.json: " + printf-formatted message.
[[nodiscard]] Error spec_error(int code, const char* fmt, ...)
    __attribute__((format(printf, 2, 3)));

// parent + "." + key, or key alone at the top level.
std::string child_path(const std::string& parent, std::string_view key);
// parent + "[i]".
std::string index_path(const std::string& parent, size_t i);

// Every key of obj (at path) must be in known or in unsupported. A key in unsupported is refused
// unless its value asks for nothing (null, "", [] or {}): generators write empty placeholders.
Status check_keys(const json_t* obj, const std::string& path,
                  std::initializer_list<std::string_view> known,
                  std::initializer_list<std::string_view> unsupported = {});

// The member key of obj (at path parent), nullptr when absent or null; wrong types are errors
// naming parent.key.
Result<const json_t*> opt_object(const json_t* obj, const std::string& parent, const char* key);
Result<const json_t*> req_object(const json_t* obj, const std::string& parent, const char* key);
Result<const json_t*> opt_array(const json_t* obj, const std::string& parent, const char* key);

Result<std::optional<std::string>> opt_string(const json_t* obj, const std::string& parent,
                                              const char* key);
Result<std::string> req_string(const json_t* obj, const std::string& parent, const char* key);
Result<std::optional<bool>> opt_bool(const json_t* obj, const std::string& parent, const char* key);
// Integers with their allowed range (inclusive), the range named in the error.
Result<std::optional<int64_t>> opt_int(const json_t* obj, const std::string& parent,
                                       const char* key, int64_t min, int64_t max);
Result<int64_t> req_int(const json_t* obj, const std::string& parent, const char* key, int64_t min,
                        int64_t max);
Result<std::vector<std::string>> opt_strings(const json_t* obj, const std::string& parent,
                                             const char* key);

// The object at element i of arr (at path), or an error naming path[i].
Result<const json_t*> object_at(const json_t* arr, const std::string& path, size_t i);

// Container paths must be absolute ("mounts[0].destination" etc.).
Status check_absolute(const std::string& value, const std::string& path);
// "K=V" entries (process.env, hooks' env).
Status check_env(const std::vector<std::string>& env, const std::string& path);

// The "linux" object (config-linux.md), in runtime_spec_linux.cpp.
Result<SpecLinux> parse_linux(const json_t* obj);
// "linux.seccomp", in runtime_spec_seccomp.cpp.
Result<SpecSeccomp> parse_seccomp(const json_t* obj, const std::string& path);

}  // namespace ocipod::spec
