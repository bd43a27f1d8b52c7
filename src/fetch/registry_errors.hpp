// Turning a registry's error answer into an Error. The distribution spec's error body is
// {"errors":[{"code":"MANIFEST_UNKNOWN","message":"...","detail":...}]}; its codes and messages
// are shown (made printable, bounded) so users see what the registry said. Error bodies are read
// at most error_body_cap bytes (a 10 MB error page is never buffered).
#pragma once

#include <cstddef>
#include <string_view>

#include "base/result.hpp"

namespace ocipod {

inline constexpr size_t error_body_cap = 64 * 1024;

// errno-style code for an HTTP status: 404 ENOENT, 401/403 EACCES, 429 EAGAIN, 416 ERANGE,
// 5xx EIO, anything else EPROTO.
int http_status_code(long status);

// "HTTP 404 (MANIFEST_UNKNOWN: manifest unknown)"; the body part is omitted when it is not the
// spec's JSON.
Error registry_error(long status, std::string_view body);

}  // namespace ocipod
