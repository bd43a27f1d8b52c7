#include "run/pod_init.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <optional>

#include "c/json.hpp"
#include "run/exe_seal.hpp"
#include "run/pod_process.hpp"
#include "run/pod_spawn.hpp"
#include "run/privileges.hpp"
#include "run/rootfs_setup.hpp"
#include "run/seccomp_filter.hpp"
#include "run/stub_init.hpp"
#include "run/sync_channel.hpp"

namespace ocipod {

namespace {

struct InitContext {
    SyncChannel channel;
    PodInitParams params;
    RuntimeSpec spec;
    UniqueFd exec_fifo;  // O_PATH, from the runner's state directory
    std::optional<PodRootfs> rootfs;
    UniqueFd console_slave;
    std::optional<SeccompFilter> seccomp;
};

// More fds than a socket unit would ever pass means a damaged message.
constexpr json_int_t max_preserved_fds = 4096;

Result<PodInitParams> parse_params(std::string_view text) {
    JsonPtr doc = TRY(json_parse(text, "init parameters"));
    PodInitParams p;
    p.bundle = TRY(json_req_string(doc.get(), "bundle"));
    std::string by = TRY(json_req_string(doc.get(), "startBy"));
    p.start_by = by == "channel" ? StartBy::channel : StartBy::exec_fifo;
    json_int_t keep = json_integer_value(json_object_get(doc.get(), "preserveFds"));
    if (keep < 0 || keep > max_preserved_fds)
        return make_error(EINVAL, "init parameters: preserveFds %lld", (long long)keep);
    p.preserve_fds = int(keep);
    return p;
}

Status receive_configuration(InitContext& c) {
    SyncMessage params = TRY(c.channel.expect(SyncType::params));
    c.params = TRY(parse_params(params.data));
    SyncMessage config = TRY(c.channel.expect(SyncType::config));
    c.spec = TRY(parse_runtime_spec(config.data));
    return {};
}

Status wait_for_placement(InitContext& c) {
    SyncMessage go = TRY(c.channel.expect(SyncType::go));
    c.exec_fifo = std::move(go.fd);
    if (c.params.start_by == StartBy::exec_fifo && !c.exec_fifo)
        return make_error(EPROTO, "no exec fifo came with 'go'");
    return {};
}

// After placement, so the namespace's root is the pod's scope or payload cgroup, not the cgroup
// the runner was started in.
Status enter_cgroup_namespace(InitContext& c) {
    if (!wants_new_namespace(c.spec.linux_config, "cgroup")) return {};
    if (unshare(CLONE_NEWCGROUP) < 0) return errno_error("unshare(CLONE_NEWCGROUP)");
    return {};
}

Status set_host_names(InitContext& c) {
    const std::string& h = c.spec.hostname;
    if (!h.empty() && sethostname(h.c_str(), h.size()) < 0)
        return errno_error("setting the hostname '%s'", h.c_str());
    const std::string& d = c.spec.domainname;
    if (!d.empty() && setdomainname(d.c_str(), d.size()) < 0)
        return errno_error("setting the domain name '%s'", d.c_str());
    return {};
}

Status build_rootfs(InitContext& c) {
    c.rootfs = TRY(prepare_rootfs(c.spec, c.params.bundle));
    return {};
}

Status open_console(InitContext& c) {
    if (!c.spec.process.terminal) return {};
    PodConsole console = TRY(open_pod_console(*c.rootfs));
    TRY(c.channel.send(SyncType::console, {}, console.master.get()));
    c.console_slave = std::move(console.slave);
    return {};
}

Status request_hooks(InitContext& c) {
    TRY(c.channel.send(SyncType::hooks_request));
    TRY(c.channel.expect(SyncType::hooks_done));
    return {};
}

Status write_sysctls(InitContext& c);

// linux.sysctl is written between pivot_root and the read-only /proc/sys (runc's order).
Status switch_root(InitContext& c) {
    return enter_rootfs(c.spec, *c.rootfs, [&c] { return write_sysctls(c); });
}

Status write_sysctls(InitContext& c) {
    if (c.spec.linux_config.sysctl.empty()) return {};
    const SpecLinux& l = c.spec.linux_config;
    return apply_sysctls(l.sysctl, wants_new_namespace(l, "network"), wants_new_namespace(l, "ipc"),
                         wants_new_namespace(l, "uts"));
}

Status compile_filter(InitContext& c) {
    if (!c.spec.linux_config.seccomp) return {};
    c.seccomp = TRY(compile_seccomp(*c.spec.linux_config.seccomp));
    return {};
}

Status report_created(InitContext& c) {
    return c.channel.send(SyncType::created);
}

// `create`: opening the fifo for writing blocks until `start` opens it for reading; the byte
// written tells `start` the init went on. The O_PATH fd is reopened through the pod's /proc.
Status wait_for_start(InitContext& c) {
    if (c.params.start_by == StartBy::channel) {
        TRY(c.channel.expect(SyncType::start));
        return {};
    }
    std::string path = strf("/proc/self/fd/%d", c.exec_fifo.get());
    int fd;
    while ((fd = open(path.c_str(), O_WRONLY | O_CLOEXEC)) < 0 && errno == EINTR) {
    }
    if (fd < 0) return errno_error("opening the exec fifo (is /proc mounted in the pod?)");
    UniqueFd fifo(fd);
    c.exec_fifo.reset();
    if (write(fifo.get(), "0", 1) != 1) return errno_error("writing the exec fifo");
    return {};
}

struct Step {
    const char* name;
    Status (*run)(InitContext&);
};

constexpr Step steps[] = {
    {"receiving the configuration", receive_configuration},
    {"waiting for the pod's cgroup", wait_for_placement},
    {"cgroup namespace", enter_cgroup_namespace},
    {"hostname", set_host_names},
    {"root file system", build_rootfs},
    {"console", open_console},
    {"prestart and createRuntime hooks", request_hooks},
    {"entering the root file system (and sysctls)", switch_root},
    {"seccomp", compile_filter},
    {"reporting created", report_created},
    {"waiting for start", wait_for_start},
};

[[noreturn]] void fail(InitContext& c, const char* step, const Error& error) {
    // Errors already relayed from the runner (a failed hook) come back as they were.
    (void)c.channel.send_error(error.wrap(step));
    _exit(1);
}

}  // namespace

std::string pod_init_params_json(const PodInitParams& params) {
    JsonPtr obj(json_object());
    json_object_set_new(obj.get(), "bundle", json_string(params.bundle.c_str()));
    json_object_set_new(obj.get(), "startBy",
                        json_string(params.start_by == StartBy::channel ? "channel" : "fifo"));
    json_object_set_new(obj.get(), "preserveFds", json_integer(params.preserve_fds));
    return json_dump(obj.get());
}

void run_pod_init(int sync_fd) {
    // Not dumpable again after the exec (THREATS §2.1, §2.6): nothing in the pod may ptrace the
    // init or open its /proc/PID/{exe,fd,mem} while it holds host fds.
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    fcntl(sync_fd, F_SETFD, FD_CLOEXEC);
    InitContext c;
    c.channel = SyncChannel(UniqueFd(sync_fd));
    for (const Step& step : steps) {
        Status st = step.run(c);
        if (!st) fail(c, step.name, st.error());
    }

    // Started: the application's stdio are the pod's pty, or what the runner's caller passed.
    if (c.console_slave) {
        for (int fd = 0; fd <= 2; ++fd) {
            if (dup2(c.console_slave.get(), fd) < 0) fail(c, "console", errno_error("dup2"));
        }
        c.console_slave.reset();
    }
    c.channel.close();
    c.rootfs.reset();
    // The preserved fds (3 .. 3+N-1) stay; the init's own were opened above them.
    const int keep = c.params.preserve_fds;
    close_fds_from(3 + keep);

    SeccompFilter* filter = c.seccomp ? &*c.seccomp : nullptr;
    const SpecProcess& process = c.spec.process;
    run_stub_init([&process, filter, keep] { exec_pod_process(process, filter, keep); });
}

}  // namespace ocipod
