#include "run/pod_launch.hpp"

#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/fs.hpp"
#include "run/console.hpp"
#include "run/device_cgroup.hpp"
#include "run/exe_seal.hpp"
#include "run/hooks.hpp"
#include "run/unit_properties.hpp"

namespace ocipod {

namespace {

constexpr size_t config_cap = 4 << 20;

Status check_runner_support(const RuntimeSpec& spec, StartBy start_by, bool has_console_socket) {
    TRY(check_namespaces(spec.linux_config));
    if (!spec.hooks.create_container.empty())
        return make_error(ENOTSUP,
                          "config.json: 'hooks.createContainer' is not supported, refusing");
    if (!spec.hooks.start_container.empty())
        return make_error(ENOTSUP,
                          "config.json: 'hooks.startContainer' is not supported, refusing");
    if ((!spec.hostname.empty() || !spec.domainname.empty()) &&
        !wants_new_namespace(spec.linux_config, "uts"))
        return make_error(EINVAL,
                          "config.json: '%s' needs a new uts namespace in 'linux.namespaces', "
                          "refusing",
                          spec.hostname.empty() ? "domainname" : "hostname");
    if (spec.process.terminal && start_by == StartBy::exec_fifo && !has_console_socket)
        return make_error(EINVAL,
                          "config.json: 'process.terminal' is true, but no --console-socket was "
                          "given, refusing");
    return {};
}

std::string absolute_path(const std::string& path) {
    if (path.empty() || path[0] == '/') return path;
    char cwd[PATH_MAX];
    if (!getcwd(cwd, sizeof cwd)) return path;
    return std::string(cwd) + "/" + path;
}

std::string rootfs_path(const RuntimeSpec& spec, const std::string& bundle) {
    return spec.root_path[0] == '/' ? spec.root_path : bundle + "/" + spec.root_path;
}

Status place_in_systemd(PodLaunch& l, const CreateRequest& request, const std::string& bundle) {
    if (!request.register_machine) return {};
    SystemdPlacement placement = detect_systemd_placement();
    if (placement == SystemdPlacement::none) return {};
    MachineRequest m;
    m.name = request.machine_name.empty() ? request.id : request.machine_name;
    if (!is_valid_machine_name(m.name))
        return make_error(EINVAL,
                          "'%s' is not a valid machine name (give --machine-name or "
                          "--no-machine), refusing",
                          m.name.c_str());
    m.root_directory = rootfs_path(l.spec, bundle);
    m.leader = l.init.pid;
    m.description = strf("oci-pod pod %s", request.id.c_str());
    if (placement == SystemdPlacement::scope && l.spec.linux_config.resources)
        m.properties = TRY(unit_properties_for(*l.spec.linux_config.resources));
    l.machine = TRY(register_machine(m, placement));
    l.stored.state.machine = l.machine.name;
    l.stored.state.unit = l.machine.unit;
    return {};
}

// Without systemd's placement nothing else enforces linux.resources.devices.
Status place_in_device_cgroup(PodLaunch& l, const Warnings* warnings) {
    if (l.machine.registered) return {};
    static const std::vector<SpecDeviceRule> none;
    const auto& r = l.spec.linux_config.resources;
    bool applied = TRY(apply_device_cgroup(l.stored.state.id, l.init.pid, r ? r->devices : none));
    l.device_cgroup = applied;
    if (!applied && warnings)
        warnings->add("no device cgroup available, linux.resources.devices is not enforced");
    return {};
}

// Memory, CPU, pids and I/O limits have no enforcer but systemd's unit: said, never ignored.
void warn_unplaced_limits(const PodLaunch& l, const Warnings* warnings) {
    const auto& r = l.spec.linux_config.resources;
    if (l.machine.registered || !r || !warnings) return;
    if (r->memory_limit || r->memory_swap || r->cpu_quota || r->cpu_shares || r->pids_limit ||
        r->blkio_weight)
        warnings->add(
            "the pod has no systemd scope, its memory, CPU, pids and I/O limits are not "
            "enforced");
}

Status run_create_hooks(PodLaunch& l) {
    std::string state = l.state_json("creating");
    TRY(run_hooks(l.spec.hooks.prestart, state, "prestart"));
    TRY(run_hooks(l.spec.hooks.create_runtime, state, "createRuntime"));
    return {};
}

// A send that fails because the init is gone: the init's own error, when it left one, says why.
Status send_to_init(PodLaunch& l, SyncType type, std::string_view data = {}, int fd = -1) {
    Status st = l.channel.send(type, data, fd);
    if (st) return st;
    auto m = l.channel.receive();
    if (m && m->type == SyncType::error) return error_from_message(*m).wrap("the pod's init");
    if (st.error().code == ECONNRESET)
        return make_error(EPIPE, "the pod's init exited during setup");
    return st;
}

// Serve the init until it reports "created": the console fd, the hooks.
Status follow_init_setup(PodLaunch& l, const CreateRequest& request) {
    for (;;) {
        auto msg = l.channel.receive();
        if (!msg && msg.error().code == ECONNRESET)
            return make_error(EPIPE, "the pod's init exited during setup");
        SyncMessage m = TRY(std::move(msg));
        switch (m.type) {
            case SyncType::created:
                return {};
            case SyncType::console:
                if (!m.fd) return make_error(EPROTO, "console message without an fd");
                if (!request.console_socket.empty()) {
                    TRY_WRAP(send_console_fd(request.console_socket, m.fd.get()),
                             strf("console socket '%s'", request.console_socket.c_str()));
                } else {
                    l.console_master = std::move(m.fd);
                }
                break;
            case SyncType::hooks_request: {
                Status st = run_create_hooks(l);
                if (!st) {
                    (void)l.channel.send_error(st.error());
                    return st;
                }
                TRY(send_to_init(l, SyncType::hooks_done));
                break;
            }
            case SyncType::error:
                return error_from_message(m).wrap("the pod's init");
            default:
                return make_error(EPROTO, "unexpected '%s' from the pod's init",
                                  sync_type_name(m.type));
        }
    }
}

}  // namespace

PodLaunch::~PodLaunch() {
    if (!kept) abandon();
}

void PodLaunch::abandon() {
    kept = true;
    channel.close();
    if (init.pid > 0) {
        if (init.pidfd) syscall(SYS_pidfd_send_signal, init.pidfd.get(), SIGKILL, nullptr, 0);
        int status;
        while (waitpid(init.pid, &status, 0) < 0 && errno == EINTR) {
        }
        init.pid = 0;
    }
    if (machine.registered) (void)unregister_machine(machine);
    if (device_cgroup) remove_device_cgroup(stored.state.id);
    device_cgroup = false;
    if (dir) (void)dir->remove();
    dir.reset();
}

std::string PodLaunch::state_json(const char* status) const {
    return state_json_as(stored, status);
}

Result<RuntimeSpec> load_bundle_spec(const std::string& bundle, std::string& config_bytes,
                                     StartBy start_by, bool has_console_socket) {
    auto bytes = read_file_capped(AT_FDCWD, bundle + "/config.json", config_cap);
    if (!bytes && bytes.error().code == EFBIG)
        return make_error(EFBIG, "'%s/config.json' is larger than 4 MiB, refusing", bundle.c_str());
    if (!bytes) return std::move(bytes).error();
    config_bytes = bytes.take();
    RuntimeSpec spec = TRY(parse_runtime_spec(config_bytes));
    TRY(check_runner_support(spec, start_by, has_console_socket));
    return spec;
}

Status write_file_at_path(const std::string& path, std::string_view data, const char* what) {
    std::string abs = absolute_path(path);
    size_t slash = abs.rfind('/');
    std::string dir = slash == 0 ? "/" : abs.substr(0, slash);
    UniqueFd dfd = TRY_WRAP(open_dir(AT_FDCWD, dir, false), strf("%s '%s'", what, path.c_str()));
    return write_file_atomic(dfd.get(), abs.substr(slash + 1), data, 0644, Sync::atomic_only)
        .wrap(strf("%s '%s'", what, path.c_str()));
}

Result<UniqueFd> open_verified_pidfd(pid_t pid, uint64_t start_time) {
    int fd = int(syscall(SYS_pidfd_open, pid, 0));
    if (fd < 0) return errno_error_code(errno == ESRCH ? ESRCH : errno, "pidfd_open %d", int(pid));
    UniqueFd pidfd(fd);
    // Checked after the pidfd exists: from now on it cannot come to name another process.
    if (!process_matches(pid, start_time))
        return make_error(ESRCH, "process %d is no longer the pod's init", int(pid));
    return pidfd;
}

Result<std::unique_ptr<PodLaunch>> launch_pod(const RuntimeOptions& options,
                                              const CreateRequest& request, StartBy start_by,
                                              const Warnings* warnings) {
    if (!is_valid_container_id(request.id))
        return make_error(EINVAL, "'%s' is not a valid container ID, refusing",
                          printable(request.id).c_str());
    if (request.preserve_fds < 0 || request.preserve_fds > 4096)
        return make_error(EINVAL, "invalid number of fds to preserve, refusing");
    // The fds to pass on must exist, so that every fd opened from here on lies above them.
    for (int fd = 3; fd < 3 + request.preserve_fds; ++fd) {
        if (fcntl(fd, F_GETFD) < 0)
            return make_error(EBADF, "fd %d of the %d to preserve is not open, refusing", fd,
                              request.preserve_fds);
    }
    char real[PATH_MAX];
    if (!realpath(request.bundle.c_str(), real))
        return errno_error("bundle '%s'", request.bundle.c_str());
    std::string bundle = real;

    auto l = std::make_unique<PodLaunch>();
    std::string config;
    l->spec = TRY(load_bundle_spec(bundle, config, start_by, !request.console_socket.empty()));
    l->dir = TRY(StateDir::create(options.state_root, request.id));
    ContainerState& s = l->stored.state;
    s.oci_version = l->spec.oci_version;
    s.id = request.id;
    s.status = "creating";
    s.bundle = bundle;
    s.annotations = l->spec.annotations;
    s.created = rfc3339_now();

    // The hooks of later commands (poststart, poststop) come from this copy, not from a bundle
    // that may have changed or gone since.
    TRY(write_file_atomic(l->dir->fd(), config_copy_name, config, 0600, Sync::atomic_only));
    UniqueFd fifo;
    if (start_by == StartBy::exec_fifo) {
        if (mkfifoat(l->dir->fd(), exec_fifo_name, 0600) < 0)
            return errno_error("creating the exec fifo");
        fifo.reset(openat(l->dir->fd(), exec_fifo_name, O_PATH | O_CLOEXEC));
        if (!fifo) return errno_error("opening the exec fifo");
    }

    UniqueFd exe = TRY(protected_exe_of_self());
    auto [ours, theirs] = TRY(sync_channel_pair());
    l->channel = std::move(ours);
    l->init =
        TRY(spawn_pod_init(l->spec.linux_config, exe.get(), theirs.fd(), request.preserve_fds));
    theirs.close();
    exe.reset();
    s.pid = l->init.pid;
    auto start = process_start_time(l->init.pid);
    if (!start) return std::move(start).error().wrap("the pod's init");
    l->stored.init_start_time = *start;

    PodInitParams params{bundle, start_by, request.preserve_fds};
    TRY(send_to_init(*l, SyncType::params, pod_init_params_json(params)));
    TRY(send_to_init(*l, SyncType::config, config));
    TRY(l->dir->commit(l->stored));

    TRY(place_in_systemd(*l, request, bundle));
    TRY(place_in_device_cgroup(*l, warnings));
    warn_unplaced_limits(*l, warnings);
    TRY(l->dir->commit(l->stored));
    TRY(send_to_init(*l, SyncType::go, {}, fifo ? fifo.get() : -1));
    fifo.reset();

    TRY(follow_init_setup(*l, request));
    s.status = "created";
    TRY(l->dir->commit(l->stored));
    if (!request.pid_file.empty())
        TRY(write_file_at_path(request.pid_file, strf("%d", int(l->init.pid)), "pid file"));
    return l;
}

void run_hooks_warning(const std::vector<SpecHook>& hooks, const std::string& state_json,
                       const char* phase, const Warnings* warnings) {
    for (const SpecHook& hook : hooks) {
        Status st = run_hooks({hook}, state_json, phase);
        if (!st && warnings) warnings->add(st.error().message + ", ignoring.");
    }
}

}  // namespace ocipod
