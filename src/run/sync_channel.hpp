// The runner and a pod's init talk over a SOCK_SEQPACKET socketpair: one message per send, typed,
// optionally carrying one fd (SCM_RIGHTS). Payloads larger than one packet (the config, up to
// 4 MiB) travel in a sealed memfd attached to the message. An init that fails sends an error
// message with its text before exiting, so the runner can report why. Modelled on the typed
// parent/child channel of youki (process/channel.rs), which replaces runc's JSON-over-pipe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "base/result.hpp"
#include "base/unique_fd.hpp"

namespace ocipod {

enum class SyncType : uint32_t {
    params = 1,     // runner -> init: the init's parameters (JSON)
    config,         // runner -> init: config.json bytes
    go,             // runner -> init: placed in its cgroup; fd: exec fifo (O_PATH) or none
    hooks_request,  // init -> runner: namespaces and mounts ready, run prestart + createRuntime
    hooks_done,     // runner -> init
    console,        // init -> runner: fd: the pty master
    created,        // init -> runner: waiting for start
    start,          // runner -> init (run only; create uses the exec fifo)
    error,          // either way: "CODE message", then the sender gives up
};

const char* sync_type_name(SyncType type);

struct SyncMessage {
    SyncType type = SyncType::error;
    std::string data;
    UniqueFd fd;
};

class SyncChannel {
public:
    SyncChannel() = default;
    explicit SyncChannel(UniqueFd fd) : fd_(std::move(fd)) {}

    int fd() const { return fd_.get(); }
    UniqueFd release_fd() { return std::move(fd_); }
    void close() { fd_.reset(); }

    Status send(SyncType type, std::string_view data = {}, int fd = -1) const;
    Status send_error(const Error& error) const;
    // ECONNRESET "the other side closed the channel" at EOF.
    Result<SyncMessage> receive() const;
    // receive() that accepts only `type`; an error message from the other side becomes this
    // call's Error (its code and text), any other type an EPROTO.
    Result<SyncMessage> expect(SyncType type) const;

private:
    UniqueFd fd_;
};

// The Error an error message carries ("CODE message").
Error error_from_message(const SyncMessage& message);

// An error message built without allocating, for a child between clone and exec:
// "CODE context: strerror(code)".
void send_error_raw(int sock, int code, const char* context);

// Two connected ends, both close-on-exec.
Result<std::pair<SyncChannel, SyncChannel>> sync_channel_pair();

}  // namespace ocipod
