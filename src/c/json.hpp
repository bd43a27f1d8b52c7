// jansson, owned and checked. Documents from the network are parsed with duplicate keys refused
// (two parsers must never disagree on which "mediaType" counts) and NUL in strings refused.
// Accessors distinguish "absent" from "present with the wrong type"; the latter is an error
// naming the key.
#pragma once

#include <jansson.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "base/unique_fd.hpp"

namespace ocipod {

// jansson's json_decref is static inline; a deleter naming it would give every function that
// mentions JsonPtr internal linkage, so the deleter goes through this external function.
void json_release(json_t* v);
using JsonPtr = CPtr<json_t, json_release>;

// Parse one JSON document (whole input, nothing after it). what names the document in errors.
Result<JsonPtr> json_parse(std::string_view bytes, const char* what);
// Compact (no whitespace, keys in insertion order) or indented serialisation.
std::string json_dump(const json_t* v, bool pretty = false);

Result<const json_t*> json_req_object(const json_t* obj, const char* key);
const json_t* json_opt_member(const json_t* obj, const char* key);

Result<std::string> json_req_string(const json_t* obj, const char* key);
Result<std::optional<std::string>> json_opt_string(const json_t* obj, const char* key);
Result<int64_t> json_req_int(const json_t* obj, const char* key);
Result<std::optional<int64_t>> json_opt_int(const json_t* obj, const char* key);
Result<std::vector<std::string>> json_opt_string_array(const json_t* obj, const char* key);
Result<std::map<std::string, std::string>> json_opt_string_map(const json_t* obj, const char* key);

JsonPtr json_from_string_map(const std::map<std::string, std::string>& m);
JsonPtr json_from_string_array(const std::vector<std::string>& v);

}  // namespace ocipod
