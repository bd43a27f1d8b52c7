// start, state, kill and delete of a created container (runtime-spec runtime.md "Operations"),
// each under the lock of its state directory.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/fs.hpp"
#include "oci/runtime_spec.hpp"
#include "run/container_state.hpp"
#include "run/device_cgroup.hpp"
#include "run/machine_registration.hpp"
#include "run/pod_launch.hpp"
#include "run/runtime.hpp"

namespace ocipod {

namespace {

// The hooks come from the copy made at create.
Result<RuntimeSpec> stored_spec(const StateDir& dir) {
    std::string bytes = TRY(read_file_capped(dir.fd(), config_copy_name, 4 << 20));
    return parse_runtime_spec(bytes);
}

// Readable pidfd = the process has exited.
Status wait_for_exit(int pidfd) {
    struct pollfd p = {pidfd, POLLIN, 0};
    while (poll(&p, 1, -1) < 0) {
        if (errno != EINTR) return errno_error("waiting for the pod's init");
    }
    return {};
}

Status signal_pidfd(int pidfd, int sig) {
    if (syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0) < 0)
        return errno_error("sending signal %d to the pod's init", sig);
    return {};
}

}  // namespace

Result<ContainerState> runtime_state(const RuntimeOptions& options, const std::string& id) {
    StateDir dir = TRY(StateDir::open(options.state_root, id));
    StoredState stored = TRY(dir.load());
    stored.state.status = effective_status(stored);
    return stored.state;
}

Status runtime_start(const RuntimeOptions& options, const std::string& id,
                     const Warnings* warnings) {
    StateDir dir = TRY(StateDir::open(options.state_root, id));
    StoredState stored = TRY(dir.load());
    std::string status = effective_status(stored);
    if (status != "created")
        return make_error(EINVAL, "container '%s' is %s, not created, refusing", id.c_str(),
                          status.c_str());
    UniqueFd pidfd = TRY(open_verified_pidfd(stored.state.pid, stored.init_start_time));
    // Opening the fifo for reading releases the init blocked in opening it for writing
    // (runc's exec fifo). Non-blocking, so an init that died meanwhile cannot hang us; poll then
    // waits for its byte, or for its exit.
    UniqueFd fifo(openat(dir.fd(), exec_fifo_name, O_RDONLY | O_NONBLOCK | O_CLOEXEC));
    if (!fifo) return errno_error("opening the exec fifo of '%s'", id.c_str());
    struct pollfd p[2] = {{fifo.get(), POLLIN, 0}, {pidfd.get(), POLLIN, 0}};
    for (;;) {
        if (poll(p, 2, -1) < 0) {
            if (errno == EINTR) continue;
            return errno_error("waiting for the init of '%s'", id.c_str());
        }
        char byte;
        if ((p[0].revents & POLLIN) && read(fifo.get(), &byte, 1) == 1) break;
        if (p[1].revents & POLLIN)
            return make_error(ESRCH, "the init of container '%s' exited before it started",
                              id.c_str());
        if (p[0].revents & POLLHUP)
            return make_error(EPROTO, "the init of container '%s' closed its exec fifo",
                              id.c_str());
    }
    unlinkat(dir.fd(), exec_fifo_name, 0);
    stored.state.status = "running";
    TRY(dir.commit(stored));
    // runtime-spec: a failing poststart hook is a warning; the container keeps running.
    if (auto spec = stored_spec(dir))
        run_hooks_warning(spec->hooks.poststart, state_json_as(stored, "running"), "poststart",
                          warnings);
    return {};
}

Status runtime_kill(const RuntimeOptions& options, const std::string& id, int signal) {
    StateDir dir = TRY(StateDir::open(options.state_root, id));
    StoredState stored = TRY(dir.load());
    if (effective_status(stored) == "stopped")
        return make_error(ESRCH, "container '%s' is not running", id.c_str());
    UniqueFd pidfd = TRY_WRAP(open_verified_pidfd(stored.state.pid, stored.init_start_time),
                              strf("container '%s'", id.c_str()));
    return signal_pidfd(pidfd.get(), signal).wrap(strf("container '%s'", id.c_str()));
}

Status runtime_delete(const RuntimeOptions& options, const std::string& id, bool force,
                      const Warnings* warnings) {
    StateDir dir = TRY(StateDir::open(options.state_root, id));
    auto loaded = dir.load();
    // A directory without state.json is what a create that crashed leaves: only --force.
    if (!loaded && !force) return std::move(loaded).error();
    if (loaded) {
        StoredState& stored = *loaded;
        std::string status = effective_status(stored);
        // A created container is deleted without --force, as runc does (its application never
        // ran); a running one needs it (runtime-spec: delete of a non-stopped container fails).
        if (status == "running" && !force)
            return make_error(EBUSY, "container '%s' is running, refusing (use --force)",
                              id.c_str());
        if (status != "stopped") {
            auto pidfd = open_verified_pidfd(stored.state.pid, stored.init_start_time);
            if (pidfd) {
                TRY(signal_pidfd(pidfd->get(), SIGKILL));
                TRY(wait_for_exit(pidfd->get()));
            }
        }
        if (auto spec = stored_spec(dir))
            run_hooks_warning(spec->hooks.poststop, state_json_as(stored, "stopped"), "poststop",
                              warnings);
        if (!stored.state.machine.empty()) {
            MachineRegistration reg{stored.state.machine, stored.state.unit, true};
            (void)unregister_machine(reg);
        }
    }
    remove_device_cgroup(id);
    return dir.remove().wrap(strf("removing the state of '%s'", id.c_str()));
}

}  // namespace ocipod
