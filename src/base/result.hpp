// Result<T>: a value or an Error. Library code returns these instead of throwing or logging;
// executables decide what to print, once. An Error carries an errno-style code (so callers can
// branch on ENOENT, EEXIST, EPROTO, ...) and a message that reads "outer: inner" after wrap().
#pragma once

#include <cerrno>
#include <string>
#include <utility>
#include <variant>

#include "base/strings.hpp"

namespace ocipod {

struct Error {
    int code = EIO;
    std::string message;

    // Prefix context: Error{ENOENT,"no such blob"}.wrap("pulling 'x'") -> "pulling 'x': no such
    // blob".
    [[nodiscard]] Error wrap(std::string_view context) const& {
        return Error{code, std::string(context) + ": " + message};
    }
    [[nodiscard]] Error wrap(std::string_view context) && {
        message = std::string(context) + ": " + message;
        return std::move(*this);
    }
};

// printf-style constructor: make_error(EPROTO, "bad digest '%s'", s.c_str()).
[[nodiscard]] Error make_error(int code, const char* fmt, ...)
    __attribute__((format(printf, 2, 3)));
// An Error from errno after a failed syscall: "open 'x': No such file or directory".
[[nodiscard]] Error errno_error(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
[[nodiscard]] Error errno_error_code(int code, const char* fmt, ...)
    __attribute__((format(printf, 2, 3)));

template <class T>
class [[nodiscard]] Result {
public:
    Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
    Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

    explicit operator bool() const { return v_.index() == 0; }
    bool ok() const { return v_.index() == 0; }

    T& value() & { return std::get<0>(v_); }
    const T& value() const& { return std::get<0>(v_); }
    T&& value() && { return std::get<0>(std::move(v_)); }
    T take() { return std::get<0>(std::move(v_)); }
    T* operator->() { return &std::get<0>(v_); }
    const T* operator->() const { return &std::get<0>(v_); }
    T& operator*() & { return std::get<0>(v_); }
    const T& operator*() const& { return std::get<0>(v_); }

    const Error& error() const& { return std::get<1>(v_); }
    Error&& error() && { return std::get<1>(std::move(v_)); }

    // By value: TRY(f().wrap("x")) binds the result to a reference, and a Result&& into the
    // temporary returned by f() would dangle once that full expression ends.
    Result wrap(std::string_view context) && {
        if (!ok()) std::get<1>(v_) = std::move(std::get<1>(v_)).wrap(context);
        return std::move(*this);
    }

private:
    std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
public:
    Result() = default;
    Result(Error error) : err_(std::move(error)), failed_(true) {}  // NOLINT

    explicit operator bool() const { return !failed_; }
    bool ok() const { return !failed_; }
    void take() {}
    const Error& error() const& { return err_; }
    Error&& error() && { return std::move(err_); }

    Result wrap(std::string_view context) && {
        if (failed_) err_ = std::move(err_).wrap(context);
        return std::move(*this);
    }

private:
    Error err_;
    bool failed_ = false;
};

using Status = Result<void>;

}  // namespace ocipod

// TRY(expr): evaluate a Result; on error return it from the enclosing function (which must return
// a Result of any type), otherwise yield the value. GNU statement expression, as g++ and clang
// allow.
#define TRY(expr)                                                     \
    ({                                                                \
        auto&& try_result_ = (expr);                                  \
        if (!try_result_.ok()) return std::move(try_result_).error(); \
        std::move(try_result_).take();                                \
    })

// TRY_WRAP(expr, ctx): as TRY, prefixing the error with context.
#define TRY_WRAP(expr, ctx)                                                     \
    ({                                                                          \
        auto&& try_result_ = (expr);                                            \
        if (!try_result_.ok()) return std::move(try_result_).error().wrap(ctx); \
        std::move(try_result_).take();                                          \
    })
