// oci-pod run: take the pod's name (its lock, then its directory), pull and render IMAGE into
// the pod's bundle, write pod.json, then run it: in the foreground in this process, or detached
// as oci-pod-NAME.service (systemd) or under a monitor process (no systemd). A run that fails
// before the pod starts removes everything it made. oci-pod __run-pod: a detached pod's runner.
#include <fcntl.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <climits>
#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "base/fs.hpp"
#include "base/log.hpp"
#include "c/json.hpp"
#include "cli/commands.hpp"
#include "cli/local_image.hpp"
#include "cli/pod_file.hpp"
#include "cli/pod_runner.hpp"
#include "oci/reference.hpp"
#include "oci/runtime_spec.hpp"
#include "run/machine_registration.hpp"
#include "run/notify_relay.hpp"
#include "run/transient_service.hpp"
#include "run/unit_properties.hpp"

namespace ocipod {

namespace {

constexpr size_t max_env_file_bytes = 1 << 20;

// IMAGE's last path component without tag or digest, kept to machine-name characters, plus six
// random hex digits: "busybox-3fa2c1".
std::string generated_name(const std::string& image) {
    std::string base = image;
    if (size_t at = base.find('@'); at != std::string::npos) base.resize(at);
    if (size_t slash = base.rfind('/'); slash != std::string::npos) base.erase(0, slash + 1);
    if (size_t colon = base.find(':'); colon != std::string::npos) base.resize(colon);
    std::string clean;
    for (char c : base)
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_') clean += c;
    while (!clean.empty() && clean[0] == '-') clean.erase(0, 1);
    if (clean.empty()) clean = "pod";
    clean.resize(std::min<size_t>(clean.size(), 40));
    unsigned char bytes[3] = {};
    if (getrandom(bytes, sizeof bytes, 0) != sizeof bytes) {
        unsigned v = static_cast<unsigned>(getpid()) ^ static_cast<unsigned>(time(nullptr));
        bytes[0] = v & 0xff, bytes[1] = (v >> 8) & 0xff, bytes[2] = (v >> 16) & 0xff;
    }
    return clean + strf("-%02x%02x%02x", bytes[0], bytes[1], bytes[2]);
}

// --env-file: NAME=VALUE lines; blank lines and '#' comments skipped; NAME alone as for -e.
Result<std::vector<std::string>> read_env_files(const std::vector<std::string>& files) {
    std::vector<std::string> env;
    for (const std::string& f : files) {
        std::string text = TRY_WRAP(read_file_capped(AT_FDCWD, f, max_env_file_bytes),
                                    strf("reading '%s'", f.c_str()));
        for (auto& line : split(text, '\n')) {
            std::string_view l = trim(line);
            if (l.empty() || l[0] == '#') continue;
            if (l[0] == '=')
                return make_error(EINVAL, "'%s': '%s' is not NAME=VALUE", f.c_str(),
                                  printable(l).c_str());
            env.emplace_back(l);
        }
    }
    return env;
}

// -v sources are the user's host paths: made absolute (symlinks resolved now, once) and required
// to exist.
Result<std::vector<PodMount>> resolve_mounts(std::vector<PodMount> mounts) {
    for (PodMount& m : mounts) {
        if (m.tmpfs) continue;
        char path[PATH_MAX];
        if (!realpath(m.source.c_str(), path))
            return errno_error("volume source '%s'", printable(m.source).c_str());
        m.source = path;
    }
    return mounts;
}

std::string self_exe() {
    char path[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);
    if (n <= 0) return "/usr/bin/oci-pod";
    path[n] = 0;
    return path;
}

// Everything up to a runnable pod: render into ROOT/pods/NAME/bundle and write pod.json. Returns
// the rendered config.json: its args went into pod.json, its resources are the unit's.
Result<RuntimeSpec> prepare_pod(const GlobalOptions& global, const RunArgs& args,
                                const PodDirs& dirs, PodRecord& record) {
    RenderOptions options = render_options(args.render);
    std::vector<std::string> env = TRY(read_env_files(args.env_files));
    auto given = resolve_env(args.render.env);
    env.insert(env.end(), given.begin(), given.end());
    options.runtime.env = env;
    options.runtime.mounts = TRY(resolve_mounts(args.mounts));
    options.runtime.resources = args.resources;
    options.runtime.cap_add = args.cap_add;
    options.runtime.cap_drop = args.cap_drop;
    options.runtime.host_network = args.host_network;
    options.runtime.stop_signal = args.stop_signal;
    if (options.runtime.hostname.empty()) options.runtime.hostname = record.name;
    // A pod removed when it ends has nothing to keep across a power loss.
    if (record.remove) options.config_sync = Sync::atomic_only;

    {
        // The store's shared lock is held only while rendering, not for the pod's lifetime.
        Store store = TRY(Store::open(global.root, true));
        RefEntry ref = TRY(find_or_pull(store, args.render));
        LocalImage local =
            TRY_WRAP(load_local_image(store, ref), strf("loading '%s'", ref.name.c_str()));
        RenderImage image{
            .name = ref.name,
            .manifest_digest = local.chosen ? local.chosen->digest : ref.target.digest,
            .manifest = std::move(local.manifest),
            .config_bytes = std::move(local.config_bytes),
        };
        record.image = ref.name;
        record.image_digest = image.manifest_digest.str();
        TRY(update_pod(dirs, record));
        auto report = render_bundle(store, image, dirs.bundle_dir(record.name), options);
        if (!report) return report.error().wrap(strf("rendering '%s'", image.name.c_str()));
    }
    RuntimeSpec spec = TRY_WRAP(read_pod_spec(dirs, record.name), "the rendered bundle");
    record.command = spec.process.args;
    TRY(update_pod(dirs, record));
    return spec;
}

// -d with systemd: oci-pod-NAME.service runs `oci-pod __run-pod NAME`, which takes the lock.
Status start_pod_service(const PodDirs& dirs, PodRecord& record, const RuntimeSpec& spec) {
    TransientService service;
    service.unit = "oci-pod-" + record.name + ".service";
    service.description = "oci-pod pod " + record.name;
    service.argv = {self_exe(), "--root", dirs.root(), "__run-pod", record.name};
    if (spec.linux_config.resources)
        service.properties = TRY(unit_properties_for(*spec.linux_config.resources));
    // The runner sends SIGKILL itself after the stop timeout; systemd's own deadline leaves it
    // time to reap the pod and unregister the machine.
    service.stop_timeout_sec = record.stop_timeout_sec + 5;
    record.unit = service.unit;
    TRY(update_pod(dirs, record));
    return start_transient_service(service);
}

// -d without systemd: a monitor (double fork, its own session, output to the pod's log) runs
// `oci-pod __run-pod --lock-fd 3 NAME`, inheriting the lock so the pod never looks stopped.
Status start_pod_monitor(const PodDirs& dirs, const PodRecord& record, PodLock& lock) {
    UniqueFd log(open(dirs.log_file(record.name).c_str(),
                      O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (!log) return errno_error("opening '%s'", dirs.log_file(record.name).c_str());
    UniqueFd null(open("/dev/null", O_RDWR | O_CLOEXEC));
    if (!null) return errno_error("opening /dev/null");
    std::string exe = self_exe();
    std::vector<std::string> words = {"oci-pod",   "--root", dirs.root(), "__run-pod",
                                      "--lock-fd", "3",      record.name};
    std::vector<char*> argv;
    for (auto& w : words) argv.push_back(w.data());
    argv.push_back(nullptr);
    fflush(stdout);
    fflush(stderr);
    pid_t child = fork();
    if (child < 0) return errno_error("fork");
    if (child == 0) {
        if (setsid() < 0) _exit(125);
        pid_t monitor = fork();
        if (monitor != 0) _exit(monitor < 0 ? 125 : 0);
        if (dup2(null.get(), 0) < 0 || dup2(log.get(), 1) < 0 || dup2(log.get(), 2) < 0 ||
            dup2(lock.fd(), 3) < 0)
            _exit(125);
        // dup2 onto itself (the lock already was fd 3) keeps close-on-exec: clear it.
        if (fcntl(3, F_SETFD, 0) < 0) _exit(125);
        execv(exe.c_str(), argv.data());
        _exit(127);
    }
    int status = 0;
    while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return make_error(EIO, "starting the monitor of pod '%s' failed", record.name.c_str());
    return {};
}

// Socket activation (LISTEN_FDS for this process, sd_listen_fds(3)): the fds pass into the pod
// with LISTEN_FDS and LISTEN_FDNAMES in its env. A pod file's Notify=yes: a socket bound at
// RUN/pods/NAME/notify, bind-mounted at pod_notify_socket, named by NOTIFY_SOCKET in the env;
// returned open for the runtime to relay from (an empty fd without Notify=yes).
Result<UniqueFd> link_pod_to_unit(const PodDirs& dirs, const std::string& name, RunArgs& args,
                                  PodPassthrough& passthrough) {
    int fds = sd_listen_fds(0);
    if (fds > 0) {
        passthrough.preserve_fds = fds;
        args.render.env.push_back(strf("LISTEN_FDS=%d", fds));
        if (const char* names = getenv("LISTEN_FDNAMES"))
            args.render.env.push_back(std::string("LISTEN_FDNAMES=") + names);
    }
    if (!args.app_notify) return UniqueFd();
    std::string path = dirs.notify_socket(name);
    UniqueFd socket = TRY_WRAP(bind_notify_socket(path), strf("pod '%s'", name.c_str()));
    args.mounts.push_back(PodMount{.destination = pod_notify_socket, .source = path});
    args.render.env.push_back(std::string("NOTIFY_SOCKET=") + pod_notify_socket);
    passthrough.notify_fd = socket.get();
    return socket;
}

// A foreground pod inside a service (oci-pod@NAME.service, or a unit of the user's own): the
// pod's limits become the unit's, as `systemctl set-property --runtime` would set them, so
// systemd enforces and shows them (the pod is in the unit's payload sub-cgroup).
Status limit_own_unit(const RuntimeSpec& spec) {
    if (!spec.linux_config.resources || detect_systemd_placement() != SystemdPlacement::unit)
        return {};
    auto properties = TRY(unit_properties_for(*spec.linux_config.resources));
    if (properties.empty()) return {};
    return set_unit_properties(own_unit(), properties);
}

int fail(const Error& e) {
    log_error("%s", e.message.c_str());
    return exit_failure;
}

// replace_ended: a pod of the same name that has ended is removed first (a service's pod file
// owns its name, and each start of the service is a fresh pod).
int start_pod(const GlobalOptions& global, const RunArgs& args, bool replace_ended) {
    PodDirs dirs(global.root);
    PodRecord record;
    record.name = args.name.empty() ? generated_name(args.render.pull.source) : args.name;
    if (!is_valid_machine_name(record.name) || !check_pod_name(record.name))
        return fail(make_error(EINVAL, "'%s' is not a valid pod name (a machine name)",
                               printable(record.name).c_str()));
    record.created = now_rfc3339();
    record.remove = args.remove;
    record.detach = args.detach;
    record.terminal = args.render.tty;
    if (!args.stop_signal.empty()) record.stop_signal = signal_number(args.stop_signal);
    if (args.stop_timeout) record.stop_timeout_sec = *args.stop_timeout;

    // The lock first: a second run of the same name fails here, before touching anything.
    auto lock = lock_pod(dirs, record.name);
    if (!lock) return fail(lock.error());
    if (replace_ended && read_pod(dirs, record.name)) {
        if (Status s = remove_pod(dirs, record.name); !s) return fail(s.error());
    }
    if (Status s = create_pod(dirs, record); !s) return fail(s.error());

    auto undo = [&](const Error& e) {
        log_error("%s", e.message.c_str());
        if (Status s = remove_pod(dirs, record.name); !s)
            log_error("cleaning up pod '%s': %s", record.name.c_str(), s.error().message.c_str());
        return args.detach ? exit_failure : 125;
    };
    // Under a unit: socket activation's fds and, with a pod file's Notify=yes, the socket the
    // application's READY=1 comes through, both into the pod's config before it is rendered.
    RunArgs effective = args;
    PodPassthrough passthrough;
    // A pod file's service has no terminal to lose: SIGHUP is a reload for the application.
    passthrough.forward_hangup = replace_ended;
    UniqueFd notify;
    if (!args.detach) {
        auto linked = link_pod_to_unit(dirs, record.name, effective, passthrough);
        if (!linked) return undo(linked.error());
        notify = std::move(*linked);
    }
    auto spec = prepare_pod(global, effective, dirs, record);
    if (!spec) return undo(spec.error());

    if (args.detach) {
        if (detect_systemd_placement() != SystemdPlacement::none) {
            // The service's runner takes the lock: release ours just before starting it.
            *lock = PodLock();
            if (Status s = start_pod_service(dirs, record, *spec); !s) {
                // A runner that did start holds the lock; leave its pod alone.
                if (pod_runner(dirs, record.name).running) return fail(s.error());
                return undo(s.error());
            }
        } else if (Status s = start_pod_monitor(dirs, record, *lock); !s) {
            return undo(s.error());
        }
        printf("%s\n", record.name.c_str());
        return 0;
    }

    if (Status s = limit_own_unit(*spec); !s) return undo(s.error());

    if (!args.interactive && !args.render.tty) {
        // As docker and podman: without -i the application's stdin is empty.
        int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (null >= 0) {
            dup2(null, 0);
            close(null);
        }
    }
    int status = run_pod_locked(dirs, record, passthrough);
    if (notify) (void)unlink(dirs.notify_socket(record.name).c_str());
    if (args.remove) {
        if (Status s = remove_pod(dirs, record.name); !s)
            log_error("removing pod '%s': %s", record.name.c_str(), s.error().message.c_str());
    }
    return status;
}

}  // namespace

int cmd_run(const GlobalOptions& global, const RunArgs& args) {
    if (args.pod.empty()) return start_pod(global, args, false);
    auto pod = load_pod_file(args.pod, pod_file_dirs());
    if (!pod) return fail(pod.error());
    return start_pod(global, pod->run, true);
}

int cmd_run_pod(const GlobalOptions& global, const PodArgs& args) {
    PodDirs dirs(global.root);
    auto record = read_pod(dirs, args.name);
    if (!record) return fail(record.error());
    PodLock lock;
    if (args.lock_fd >= 0) {
        // The lock the monitor's parent took, inherited as an open description: still held.
        int fd = fcntl(args.lock_fd, F_DUPFD_CLOEXEC, 3);
        if (fd < 0) return fail(errno_error("the inherited pod lock"));
        close(args.lock_fd);
        lock = PodLock(UniqueFd(fd));
        if (Status s = lock.set_pid(getpid()); !s) return fail(s.error());
    } else {
        auto taken = lock_pod(dirs, args.name);
        if (!taken) return fail(taken.error());
        lock = std::move(*taken);
    }
    int status = run_pod_locked(dirs, *record);
    if (record->remove) {
        if (Status s = remove_pod(dirs, args.name); !s)
            log_error("removing pod '%s': %s", args.name.c_str(), s.error().message.c_str());
    }
    return status;
}

}  // namespace ocipod
