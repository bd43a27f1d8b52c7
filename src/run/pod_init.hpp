// A pod's init, from the re-exec of the sealed runner copy to the stub init (runtime.hpp "Process
// model"): a flat list of named setup steps (as crun's container_init_setup), each reporting
// failure to the runner over the sync channel, which turns it into the create's error.
//
// Protocol, init side: receive params and config; wait for "go" (the runner has placed the init
// in its cgroup; an exec fifo fd comes with it for `create`); unshare the cgroup namespace;
// hostname; prepare_rootfs; the console (pty master sent to the runner); "hooks_request" and wait
// for "hooks_done"; enter_rootfs, sysctls within it; compile seccomp; "created"; wait for start
// (the fifo, reopened for writing, blocks until `start` opens it for reading; or "start" on the
// channel for `run`); close every fd; run_stub_init with the application.
#pragma once

#include <string>

namespace ocipod {

// How the init learns that it may start the application.
enum class StartBy { exec_fifo, channel };

// The init's parameters as the runner sends them (JSON), and back.
struct PodInitParams {
    std::string bundle;  // absolute
    StartBy start_by = StartBy::exec_fifo;
    int preserve_fds = 0;  // CreateRequest::preserve_fds
};
std::string pod_init_params_json(const PodInitParams& params);

[[noreturn]] void run_pod_init(int sync_fd);

}  // namespace ocipod
