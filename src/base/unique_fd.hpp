// UniqueFd owns one file descriptor; CPtr owns one C-library object with its free function.
#pragma once

#include <unistd.h>

#include <memory>
#include <utility>

namespace ocipod {

class UniqueFd {
public:
    UniqueFd() = default;
    explicit UniqueFd(int fd) : fd_(fd) {}
    UniqueFd(UniqueFd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
    UniqueFd& operator=(UniqueFd&& o) noexcept {
        if (this != &o) reset(std::exchange(o.fd_, -1));
        return *this;
    }
    UniqueFd(const UniqueFd&) = delete;
    UniqueFd& operator=(const UniqueFd&) = delete;
    ~UniqueFd() { reset(); }

    int get() const { return fd_; }
    explicit operator bool() const { return fd_ >= 0; }
    int release() { return std::exchange(fd_, -1); }
    void reset(int fd = -1) {
        if (fd_ >= 0) ::close(fd_);
        fd_ = fd;
    }

private:
    int fd_ = -1;
};

template <auto Free>
struct CDeleter {
    template <class T>
    void operator()(T* p) const {
        if (p) Free(p);
    }
};

// CPtr<json_t, json_decref>: a unique_ptr that calls the C library's own release function.
template <class T, auto Free>
using CPtr = std::unique_ptr<T, CDeleter<Free>>;

}  // namespace ocipod
