// RFC 4648 base64 with the standard alphabet: HTTP Basic credentials and the "auth" fields of
// auth.json files.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace ocipod {

// Padded output.
std::string base64_encode(std::string_view in);
// The padding may be omitted; anything else malformed (other characters, a stray length) gives
// nullopt.
std::optional<std::string> base64_decode(std::string_view in);

}  // namespace ocipod
