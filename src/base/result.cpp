#include "base/result.hpp"

#include <cstring>

namespace ocipod {

Error make_error(int code, const char* fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    std::string msg = vstrf(fmt, ap);
    va_end(ap);
    return Error{code, std::move(msg)};
}

static Error errno_error_v(int code, const char* fmt, va_list ap) {
    std::string msg = vstrf(fmt, ap);
    msg += ": ";
    msg += strerror(code);
    return Error{code, std::move(msg)};
}

Error errno_error(const char* fmt, ...) {
    int code = errno;
    va_list ap;
    va_start(ap, fmt);
    Error e = errno_error_v(code, fmt, ap);
    va_end(ap);
    return e;
}

Error errno_error_code(int code, const char* fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    Error e = errno_error_v(code, fmt, ap);
    va_end(ap);
    return e;
}

}  // namespace ocipod
