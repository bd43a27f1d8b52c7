#include "cli/options.hpp"
#include "cli/garbage_collector.hpp"

#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <span>
#include <vector>

#include "c/json.hpp"
#include "store/pods.hpp"

namespace ocipod {

namespace {

// The store root as an absolute path: it is handed to systemd units and to the runner, whose
// working directories are not the caller's.
std::string absolute_root(std::string root) {
    if (root.empty() || root[0] == '/') return root;
    char cwd[PATH_MAX];
    if (!getcwd(cwd, sizeof cwd)) return root;
    return std::string(cwd) + "/" + root;
}

enum class Opt {
    root,
    log_level,
    help,
    version,
    platform,
    tls_verify,
    creds,
    quiet,
    json,
    no_trunc,
    format,
    bundle,
    rootfs,
    entrypoint,
    env,
    user,
    workdir,
    hostname,
    tty,
    read_only,
    seccomp,
    jobs,
    max_layer_size,
    max_layer_entries,
    pull_policy,
    name,
    rm,
    detach,
    interactive,
    env_file,
    volume,
    tmpfs,
    memory,
    cpus,
    pids_limit,
    cap_add,
    cap_drop,
    network,
    stop_signal,
    stop_timeout,
    all,
    time,
    signal,
    force,
    follow,
    lock_fd,
    pod,
    dry_run,
    grace
};
// optional_bool: "--name" means true, "--name=false" sets it; never consumes the next word.
enum class Arg { none, required, optional_bool };

struct OptSpec {
    const char* long_name;
    char short_name;
    Arg arg;
    Opt id;
};

constexpr OptSpec global_opts[] = {
    {"root", 0, Arg::required, Opt::root},
    {"log-level", 0, Arg::required, Opt::log_level},
    {"help", 'h', Arg::none, Opt::help},
    {"version", 0, Arg::none, Opt::version},
};
constexpr OptSpec pull_opts[] = {
    {"platform", 0, Arg::required, Opt::platform},
    {"tls-verify", 0, Arg::optional_bool, Opt::tls_verify},
    {"creds", 0, Arg::required, Opt::creds},
    {"quiet", 'q', Arg::none, Opt::quiet},
};
constexpr OptSpec images_opts[] = {
    {"json", 0, Arg::none, Opt::json},
    {"no-trunc", 0, Arg::none, Opt::no_trunc},
};
constexpr OptSpec inspect_opts[] = {
    {"format", 'f', Arg::required, Opt::format},
};
// What render, run and pod create share: the config.json adjustments a pod file has keys for.
constexpr OptSpec config_opts[] = {
    {"entrypoint", 0, Arg::required, Opt::entrypoint},
    {"env", 'e', Arg::required, Opt::env},
    {"user", 'u', Arg::required, Opt::user},
    {"workdir", 'w', Arg::required, Opt::workdir},
    {"hostname", 0, Arg::required, Opt::hostname},
    {"read-only", 0, Arg::none, Opt::read_only},
    {"pull", 0, Arg::required, Opt::pull_policy},
};
// What render and run share besides: the rest of config.json and the extraction bounds.
constexpr OptSpec bundle_opts[] = {
    {"rootfs", 0, Arg::required, Opt::rootfs},
    {"tty", 't', Arg::none, Opt::tty},
    {"seccomp", 0, Arg::required, Opt::seccomp},
    {"jobs", 0, Arg::required, Opt::jobs},
    {"max-layer-size", 0, Arg::required, Opt::max_layer_size},
    {"max-layer-entries", 0, Arg::required, Opt::max_layer_entries},
};
constexpr OptSpec render_opts[] = {
    {"bundle", 0, Arg::required, Opt::bundle},
    {"json", 0, Arg::none, Opt::json},
};

// run: render's options without --bundle and --json, the pod's, and these.
constexpr OptSpec run_opts[] = {
    {"name", 0, Arg::required, Opt::name},   {"rm", 0, Arg::none, Opt::rm},
    {"detach", 'd', Arg::none, Opt::detach}, {"interactive", 'i', Arg::none, Opt::interactive},
    {"pod", 0, Arg::required, Opt::pod},
};
// The pod's options, of run and pod create (a pod file has a key for each).
constexpr OptSpec pod_opts[] = {
    {"env-file", 0, Arg::required, Opt::env_file},
    {"volume", 'v', Arg::required, Opt::volume},
    {"tmpfs", 0, Arg::required, Opt::tmpfs},
    {"memory", 'm', Arg::required, Opt::memory},
    {"cpus", 0, Arg::required, Opt::cpus},
    {"pids-limit", 0, Arg::required, Opt::pids_limit},
    {"cap-add", 0, Arg::required, Opt::cap_add},
    {"cap-drop", 0, Arg::required, Opt::cap_drop},
    {"network", 0, Arg::required, Opt::network},
    {"stop-signal", 0, Arg::required, Opt::stop_signal},
    {"stop-timeout", 0, Arg::required, Opt::stop_timeout},
};
constexpr OptSpec gc_opts[] = {
    {"dry-run", 'n', Arg::none, Opt::dry_run},
    {"grace", 0, Arg::required, Opt::grace},
    {"json", 0, Arg::none, Opt::json},
};
constexpr OptSpec pod_list_opts[] = {
    {"json", 0, Arg::none, Opt::json},
};
constexpr OptSpec ps_opts[] = {
    {"all", 'a', Arg::none, Opt::all},
    {"json", 0, Arg::none, Opt::json},
};
constexpr OptSpec status_opts[] = {
    {"json", 0, Arg::none, Opt::json},
};
constexpr OptSpec stop_opts[] = {
    {"time", 't', Arg::required, Opt::time},
};
constexpr OptSpec kill_opts[] = {
    {"signal", 's', Arg::required, Opt::signal},
};
constexpr OptSpec rm_opts[] = {
    {"force", 'f', Arg::none, Opt::force},
};
constexpr OptSpec logs_opts[] = {
    {"follow", 'f', Arg::none, Opt::follow},
};
constexpr OptSpec run_pod_opts[] = {
    {"lock-fd", 0, Arg::required, Opt::lock_fd},
};

// A stop timeout longer than a day is a typo.
constexpr uint64_t max_stop_timeout = 86400;

// More threads than this only add contention; a typo such as --jobs 1000 is refused.
constexpr uint64_t max_jobs = 256;

// Every command as the user types it; "store verify" and "pod ..." are a group's subcommands.
struct CommandName {
    const char* name;
    Command command;
};
constexpr CommandName command_names[] = {
    {"pull", Command::pull},
    {"images", Command::images},
    {"inspect", Command::inspect},
    {"rmi", Command::rmi},
    {"store", Command::store},
    {"store verify", Command::store_verify},
    {"render", Command::render},
    {"unrender", Command::unrender},
    {"run", Command::run},
    {"ps", Command::ps},
    {"status", Command::status},
    {"stop", Command::stop},
    {"kill", Command::kill},
    {"rm", Command::rm},
    {"enter", Command::enter},
    {"logs", Command::logs},
    {"pod", Command::pod},
    {"pod validate", Command::pod_validate},
    {"pod create", Command::pod_create},
    {"pod list", Command::pod_list},
    {"gc", Command::gc},
    {"__run-pod", Command::run_pod},
};

const char* name_of(Command c) {
    for (const CommandName& n : command_names)
        if (n.command == c) return n.name;
    return "";
}

// The command that word names after group ("" for a top-level command, else "store" or "pod").
std::optional<Command> command_named(std::string_view group, const std::string& word) {
    std::string name = group.empty() ? word : std::string(group) + " " + word;
    if (word.empty() || word.find(' ') != std::string::npos) return std::nullopt;
    for (const CommandName& n : command_names)
        if (name == n.name) return n.command;
    return std::nullopt;
}

// -v SRC:DST[:ro|rw]: SRC is a host path the command makes absolute; DST a container path.
std::optional<PodMount> parse_volume(const std::string& v) {
    auto parts = split(v, ':');
    if (parts.size() < 2 || parts.size() > 3 || parts[0].empty() || !starts_with(parts[1], "/"))
        return std::nullopt;
    PodMount m{.destination = parts[1], .source = parts[0]};
    if (parts.size() == 3) {
        if (parts[2] == "ro")
            m.read_only = true;
        else if (parts[2] != "rw")
            return std::nullopt;
    }
    return m;
}

std::optional<LogLevel> parse_log_level(std::string_view s) {
    if (s == "error") return LogLevel::error;
    if (s == "warning" || s == "warn") return LogLevel::warning;
    if (s == "notice") return LogLevel::notice;
    if (s == "info") return LogLevel::info;
    if (s == "debug") return LogLevel::debug;
    return std::nullopt;
}

// --entrypoint as podman takes it: a JSON array of strings, or one string naming the program.
std::optional<std::vector<std::string>> parse_entrypoint(const std::string& v) {
    if (v.empty()) return std::vector<std::string>();
    if (v[0] != '[') return std::vector<std::string>{v};
    auto doc = json_parse(v, "--entrypoint");
    if (!doc || !json_is_array(doc->get())) return std::nullopt;
    std::vector<std::string> words;
    for (size_t i = 0; i < json_array_size(doc->get()); ++i) {
        const json_t* w = json_array_get(doc->get(), i);
        if (!json_is_string(w)) return std::nullopt;
        words.emplace_back(json_string_value(w), json_string_length(w));
    }
    if (words.empty() || words[0].empty()) return std::nullopt;
    return words;
}

// A positive whole number no larger than max.
std::optional<uint64_t> parse_count(std::string_view v, uint64_t max) {
    auto n = parse_u64(v);
    if (!n || *n == 0 || *n > max) return std::nullopt;
    return n;
}

class Parser {
public:
    Parser(const std::vector<std::string>& args, std::string_view default_root, Program program)
        : args_(args), program_(program) {
        cl_.global.root = default_root;
        if (program == Program::fetch) cl_.command = Command::pull;
        if (program == Program::render) cl_.command = Command::render;
        if (program == Program::gc) cl_.command = Command::gc;
    }

    Result<CommandLine> run() {
        size_t i = 0;
        for (; i < args_.size() && !rest_positional_; ++i) {
            const std::string& a = args_[i];
            if (a == "--") {
                ++i;
                // render, run: "--" ends the options; IMAGE may still follow, then COMMAND
                // (enter: NAME, then COMMAND).
                if ((cl_.command == Command::render || cl_.command == Command::run) &&
                    render_args().pull.source.empty() && i < args_.size())
                    TRY(positional(args_[i++]));
                else if (cl_.command == Command::enter && cl_.pod.name.empty() && i < args_.size())
                    TRY(positional(args_[i++]));
                break;
            }
            if (starts_with(a, "--")) {
                TRY(long_option(a, i));
            } else if (a.size() > 1 && a[0] == '-') {
                TRY(short_options(a, i));
            } else {
                TRY(positional(a));
            }
        }
        for (; i < args_.size(); ++i) TRY(positional(args_[i]));
        TRY(finish());
        return std::move(cl_);
    }

private:
    std::string hint() const {
        if (program_ == Program::fetch) return "see 'oci-pod-fetch --help'";
        if (program_ == Program::render) return "see 'oci-pod-render --help'";
        if (program_ == Program::gc) return "see 'oci-pod-gc --help'";
        if (cl_.command == Command::none) return "see 'oci-pod --help'";
        return strf("see 'oci-pod %s --help'", name_of(cl_.command));
    }

    Error usage(std::string message) const {
        return Error{EINVAL, std::move(message) + "; " + hint()};
    }

    // The command's own options, and the tables it shares with others.
    std::vector<std::span<const OptSpec>> command_opts() const {
        switch (cl_.command) {
            case Command::render:
                return {render_opts, config_opts, bundle_opts, pull_opts};
            case Command::run:
                return {run_opts, pod_opts, config_opts, bundle_opts, pull_opts};
            case Command::pod_create:
                return {config_opts, pod_opts};
            default:
                return {own_command_opts()};
        }
    }

    std::span<const OptSpec> own_command_opts() const {
        switch (cl_.command) {
            case Command::pull:
                return pull_opts;
            case Command::images:
                return images_opts;
            case Command::inspect:
                return inspect_opts;
            case Command::ps:
                return ps_opts;
            case Command::status:
                return status_opts;
            case Command::stop:
                return stop_opts;
            case Command::kill:
                return kill_opts;
            case Command::rm:
                return rm_opts;
            case Command::logs:
                return logs_opts;
            case Command::run_pod:
                return run_pod_opts;
            case Command::pod_list:
                return pod_list_opts;
            case Command::gc:
                return gc_opts;
            default:
                return {};
        }
    }

    const OptSpec* find(std::string_view long_name, char short_name) const {
        std::vector<std::span<const OptSpec>> tables = command_opts();
        tables.insert(tables.begin(), global_opts);
        for (auto table : tables)
            for (const OptSpec& o : table)
                if ((short_name && o.short_name == short_name) ||
                    (!short_name && long_name == o.long_name))
                    return &o;
        return nullptr;
    }

    Status long_option(const std::string& a, size_t& i) {
        std::string_view body = std::string_view(a).substr(2);
        std::optional<std::string> value;
        size_t eq = body.find('=');
        std::string name(body.substr(0, eq));
        if (eq != std::string_view::npos) value = std::string(body.substr(eq + 1));
        const OptSpec* o = find(name, 0);
        if (!o) return usage(strf("unknown option '--%s'", name.c_str()));
        std::string spelled = "--" + name;
        if (o->arg == Arg::none && value)
            return usage(strf("option '%s' takes no value", spelled.c_str()));
        if (o->arg == Arg::required && !value) {
            if (i + 1 >= args_.size())
                return usage(strf("option '%s' needs a value", spelled.c_str()));
            value = args_[++i];
        }
        return apply(*o, value, spelled);
    }

    // "-q", "-qh", "-f manifest", "-fmanifest".
    Status short_options(const std::string& a, size_t& i) {
        for (size_t k = 1; k < a.size(); ++k) {
            const OptSpec* o = find({}, a[k]);
            std::string spelled = strf("-%c", a[k]);
            if (!o) return usage(strf("unknown option '%s'", spelled.c_str()));
            if (o->arg == Arg::none || o->arg == Arg::optional_bool) {
                TRY(apply(*o, std::nullopt, spelled));
                continue;
            }
            std::string value;
            if (k + 1 < a.size()) {
                value = a.substr(k + 1);
            } else if (i + 1 < args_.size()) {
                value = args_[++i];
            } else {
                return usage(strf("option '%s' needs a value", spelled.c_str()));
            }
            return apply(*o, value, spelled);
        }
        return {};
    }

    // The options of run, or of pod create (which writes them into a pod file).
    RunArgs& run_args() { return cl_.command == Command::pod_create ? cl_.pod_file.run : cl_.run; }
    bool takes_image() const {
        return cl_.command == Command::render || cl_.command == Command::run ||
               cl_.command == Command::pod_create;
    }
    // The render options of render, run or pod create.
    RenderArgs& render_args() {
        return cl_.command == Command::render ? cl_.render : run_args().render;
    }
    // The pull options of pull, or of render's and run's pull-if-missing.
    PullArgs& pull() { return takes_image() ? render_args().pull : cl_.pull; }

    Error bad_value(const std::string& v, const std::string& spelled, const char* expected) const {
        if (bare_errors_)
            return Error{EINVAL,
                         strf("invalid value '%s' (expected %s)", printable(v).c_str(), expected)};
        return usage(strf("invalid value '%s' for '%s' (expected %s)", printable(v).c_str(),
                          spelled.c_str(), expected));
    }

    Status apply(const OptSpec& o, const std::optional<std::string>& value,
                 const std::string& spelled) {
        const std::string v = value.value_or("");
        switch (o.id) {
            case Opt::help:
                cl_.help = true;
                break;
            case Opt::version:
                cl_.version = true;
                break;
            case Opt::root:
                if (v.empty()) return usage(strf("option '%s' needs a directory", spelled.c_str()));
                cl_.global.root = absolute_root(std::string(v));
                break;
            case Opt::log_level: {
                auto level = parse_log_level(v);
                if (!level)
                    return usage(
                        strf("invalid value '%s' for '%s' (expected error, warning, "
                             "notice, info or debug)",
                             printable(v).c_str(), spelled.c_str()));
                cl_.global.log_level = level;
                break;
            }
            case Opt::platform: {
                auto p = parse_platform(v);
                if (!p)
                    return usage(strf("invalid value '%s' for '%s': %s", printable(v).c_str(),
                                      spelled.c_str(), p.error().message.c_str()));
                pull().platform = p.take();
                break;
            }
            case Opt::tls_verify:
                if (!value || v == "true") {
                    pull().tls_verify = 1;
                } else if (v == "false") {
                    pull().tls_verify = 0;
                } else {
                    return usage(strf("invalid value '%s' for '%s' (expected true or false)",
                                      printable(v).c_str(), spelled.c_str()));
                }
                break;
            case Opt::creds: {
                // The value holds a password: it never appears in a message.
                auto c = parse_creds_option(v);
                if (!c)
                    return usage(
                        strf("invalid value for '%s' (expected USER:PASSWORD)", spelled.c_str()));
                pull().credentials = c.take();
                break;
            }
            case Opt::quiet:
                pull().quiet = true;
                break;
            case Opt::json:
                if (cl_.command == Command::render)
                    cl_.render.json = true;
                else if (cl_.command == Command::ps)
                    cl_.ps.json = true;
                else if (cl_.command == Command::pod_list)
                    cl_.pod_file.json = true;
                else if (cl_.command == Command::gc)
                    cl_.gc.json = true;
                else if (cl_.command == Command::status)
                    cl_.pod.json = true;
                else
                    cl_.images.json = true;
                break;
            case Opt::no_trunc:
                cl_.images.no_trunc = true;
                break;
            case Opt::format:
                if (v == "both") {
                    cl_.inspect.format = InspectFormat::both;
                } else if (v == "manifest") {
                    cl_.inspect.format = InspectFormat::manifest;
                } else if (v == "config") {
                    cl_.inspect.format = InspectFormat::config;
                } else {
                    return usage(
                        strf("invalid value '%s' for '%s' (expected manifest, config or both)",
                             printable(v).c_str(), spelled.c_str()));
                }
                break;
            default:
                return apply_render(o.id, v, spelled);
        }
        return {};
    }

    Status apply_pod(Opt id, const std::string& v, const std::string& spelled) {
        RunArgs& r = run_args();
        PodArgs& p = cl_.pod;
        if (cl_.command == Command::run && id != Opt::pod) run_option_given_ = true;
        switch (id) {
            case Opt::pod:
                if (!check_pod_name(v))
                    return bad_value(v, spelled,
                                     "1 to 64 of A-Z a-z 0-9 . - _, not starting with . or -");
                r.pod = v;
                break;
            case Opt::name:
                if (!check_pod_name(v))
                    return bad_value(v, spelled,
                                     "1 to 64 of A-Z a-z 0-9 . - _, not starting with . or -");
                r.name = v;
                break;
            case Opt::rm:
                r.remove = true;
                break;
            case Opt::detach:
                r.detach = true;
                break;
            case Opt::interactive:
                r.interactive = true;
                break;
            case Opt::env_file:
                if (v.empty()) return bad_value(v, spelled, "a file");
                r.env_files.push_back(v);
                break;
            case Opt::volume: {
                auto m = parse_volume(v);
                if (!m) return bad_value(v, spelled, "HOST-DIR:/CONTAINER-DIR[:ro|rw]");
                r.mounts.push_back(std::move(*m));
                break;
            }
            case Opt::tmpfs:
                if (!starts_with(v, "/")) return bad_value(v, spelled, "an absolute path");
                {
                    PodMount m;
                    m.destination = v;
                    m.tmpfs = true;
                    r.mounts.push_back(std::move(m));
                }
                break;
            case Opt::memory: {
                auto n = parse_byte_size(v);
                if (!n || *n == 0 || *n > static_cast<uint64_t>(INT64_MAX))
                    return bad_value(v, spelled, "a size such as 64M or 2G");
                r.resources.memory_bytes = static_cast<int64_t>(*n);
                break;
            }
            case Opt::cpus: {
                auto n = parse_cpus(v);
                if (!n) return bad_value(v, spelled, "a number of CPUs such as 0.5 or 2");
                r.resources.cpu_millis = n;
                break;
            }
            case Opt::pids_limit: {
                if (v == "-1") {
                    r.resources.pids_limit = -1;
                    break;
                }
                auto n = parse_count(v, INT64_MAX);
                if (!n) return bad_value(v, spelled, "a positive number, or -1 for no limit");
                r.resources.pids_limit = static_cast<int64_t>(*n);
                break;
            }
            case Opt::cap_add:
            case Opt::cap_drop: {
                std::string name = to_lower(v) == "all" ? "ALL" : capability_name(v).value_or("");
                if (name.empty()) return bad_value(v, spelled, "a capability such as NET_ADMIN");
                (id == Opt::cap_add ? r.cap_add : r.cap_drop).push_back(name);
                break;
            }
            case Opt::network:
                if (v == "host")
                    r.host_network = true;
                else if (v == "private")
                    r.host_network = false;
                else
                    return bad_value(v, spelled, "host or private");
                break;
            case Opt::stop_signal:
                if (!signal_number(v)) return bad_value(v, spelled, "a signal such as SIGTERM");
                r.stop_signal = v;
                break;
            case Opt::stop_timeout:
            case Opt::time: {
                auto n = parse_u64(v);
                if (!n || *n > max_stop_timeout)
                    return bad_value(v, spelled, "seconds, from 0 to 86400");
                (id == Opt::time ? p.timeout : r.stop_timeout) = static_cast<int>(*n);
                break;
            }
            case Opt::all:
                cl_.ps.all = true;
                break;
            case Opt::signal:
                if (!signal_number(v)) return bad_value(v, spelled, "a signal such as SIGTERM");
                p.signal = v;
                break;
            case Opt::force:
                p.force = true;
                break;
            case Opt::follow:
                p.follow = true;
                break;
            case Opt::dry_run:
                cl_.gc.dry_run = true;
                break;
            case Opt::grace: {
                auto d = parse_duration(v);
                if (!d) return bad_value(v, spelled, "a duration such as 30m, 2h or 1d");
                cl_.gc.grace_sec = *d;
                break;
            }
            case Opt::lock_fd: {
                auto n = parse_u64(v);
                if (!n || *n < 3 || *n > 1024) return bad_value(v, spelled, "a descriptor");
                p.lock_fd = static_cast<int>(*n);
                break;
            }
            default:
                break;
        }
        return {};
    }

    Status apply_render(Opt id, const std::string& v, const std::string& spelled) {
        RenderArgs& r = render_args();
        if (cl_.command == Command::run && id != Opt::pod) run_option_given_ = true;
        switch (id) {
            case Opt::bundle:
                if (v.empty()) return usage(strf("option '%s' needs a directory", spelled.c_str()));
                r.bundle = v;
                break;
            case Opt::rootfs: {
                auto mode = parse_rootfs_mode(v);
                if (!mode) return bad_value(v, spelled, "auto, overlay or copy");
                r.rootfs = *mode;
                break;
            }
            case Opt::entrypoint:
                r.entrypoint = parse_entrypoint(v);
                if (!r.entrypoint)
                    return bad_value(v, spelled, "a command or a JSON array of strings");
                break;
            case Opt::env:
                if (v.empty() || v[0] == '=') return bad_value(v, spelled, "NAME=VALUE or NAME");
                r.env.push_back(v);
                break;
            case Opt::user:
                if (v.empty() || v[0] == ':' || v.back() == ':')
                    return bad_value(v, spelled, "USER[:GROUP]");
                r.user = v;
                break;
            case Opt::workdir:
                if (!starts_with(v, "/")) return bad_value(v, spelled, "an absolute path");
                r.workdir = v;
                break;
            case Opt::hostname:
                if (v.empty() || v.size() > 64 || v.find('/') != std::string::npos)
                    return bad_value(v, spelled, "a host name of 1 to 64 characters");
                r.hostname = v;
                break;
            case Opt::tty:
                r.tty = true;
                break;
            case Opt::read_only:
                r.read_only = true;
                break;
            case Opt::seccomp:
                if (v != "default" && v != "unconfined")
                    return bad_value(v, spelled, "default or unconfined");
                r.seccomp = v == "default";
                break;
            case Opt::jobs: {
                auto n = parse_count(v, max_jobs);
                if (!n) return bad_value(v, spelled, "a number from 1 to 256");
                r.jobs = static_cast<unsigned>(*n);
                break;
            }
            case Opt::max_layer_size: {
                auto n = parse_byte_size(v);
                if (!n || *n == 0) return bad_value(v, spelled, "a size such as 512M or 10G");
                r.max_layer_bytes = n;
                break;
            }
            case Opt::max_layer_entries: {
                auto n = parse_count(v, UINT64_MAX);
                if (!n) return bad_value(v, spelled, "a positive number");
                r.max_layer_entries = n;
                break;
            }
            case Opt::pull_policy:
                if (v == "missing") {
                    r.pull_policy = PullPolicy::missing;
                } else if (v == "always") {
                    r.pull_policy = PullPolicy::always;
                } else if (v == "never") {
                    r.pull_policy = PullPolicy::never;
                } else {
                    return bad_value(v, spelled, "missing, always or never");
                }
                break;
            default:
                return apply_pod(id, v, spelled);
        }
        return {};
    }

    Status positional(const std::string& a) {
        switch (cl_.command) {
            case Command::none:
            case Command::store:
            case Command::pod: {
                const char* group = cl_.command == Command::store ? "store"
                                    : cl_.command == Command::pod ? "pod"
                                                                  : "";
                auto named = command_named(group, a);
                if (!named)
                    return usage(strf("unknown command '%s%s%s'", group, *group ? " " : "",
                                      printable(a).c_str()));
                cl_.command = *named;
                return {};
            }
            case Command::pod_create:
                // NAME, then IMAGE and COMMAND as for run.
                if (cl_.pod_file.run.name.empty()) {
                    if (!check_pod_name(a))
                        return usage(strf("invalid pod name '%s'", printable(a).c_str()));
                    cl_.pod_file.run.name = a;
                    return {};
                }
                [[fallthrough]];
            case Command::render:
            case Command::run:
                // The first word after IMAGE starts COMMAND; its words are taken as they are.
                if (!render_args().pull.source.empty()) {
                    if (!render_args().command) render_args().command.emplace();
                    render_args().command->push_back(a);
                    rest_positional_ = true;
                    return {};
                }
                break;
            case Command::enter:
                // Likewise the first word after NAME.
                if (!cl_.pod.name.empty()) {
                    cl_.pod.command.push_back(a);
                    rest_positional_ = true;
                    return {};
                }
                break;
            default:
                break;
        }
        if (a.empty()) return usage("empty argument");
        switch (cl_.command) {
            case Command::pull:
                if (!cl_.pull.source.empty()) return too_many(a);
                cl_.pull.source = a;
                return {};
            case Command::inspect:
                if (!cl_.inspect.ref.empty()) return too_many(a);
                cl_.inspect.ref = a;
                return {};
            case Command::rmi:
                cl_.rmi.refs.push_back(a);
                return {};
            case Command::render:
            case Command::run:
            case Command::pod_create:
                render_args().pull.source = a;
                return {};
            case Command::pod_validate:
                if (!cl_.pod_file.target.empty()) return too_many(a);
                cl_.pod_file.target = a;
                return {};
            case Command::status:
            case Command::stop:
            case Command::kill:
            case Command::rm:
            case Command::enter:
            case Command::logs:
            case Command::run_pod:
                if (!cl_.pod.name.empty() &&
                    (cl_.command == Command::rm || cl_.command == Command::stop ||
                     cl_.command == Command::kill)) {
                    if (!check_pod_name(a))
                        return usage(strf("invalid pod name '%s'", printable(a).c_str()));
                    cl_.pod.more_names.push_back(a);
                    return {};
                }
                if (!cl_.pod.name.empty()) return too_many(a);
                if (!check_pod_name(a))
                    return usage(strf("invalid pod name '%s'", printable(a).c_str()));
                cl_.pod.name = a;
                return {};
            case Command::unrender:
                if (!cl_.unrender.bundle.empty()) return too_many(a);
                cl_.unrender.bundle = a;
                return {};
            default:
                return too_many(a);
        }
    }

    Error too_many(const std::string& a) const {
        return usage(strf("unexpected argument '%s'", printable(a).c_str()));
    }

    Status finish() {
        if (cl_.help || cl_.version) return {};
        switch (cl_.command) {
            case Command::none:
                return usage("missing command");
            case Command::store:
                return usage("missing command 'store verify'");
            case Command::pull:
                if (cl_.pull.source.empty()) return usage("missing SOURCE");
                break;
            case Command::inspect:
                if (cl_.inspect.ref.empty()) return usage("missing REF");
                break;
            case Command::rmi:
                if (cl_.rmi.refs.empty()) return usage("missing REF");
                break;
            case Command::render:
                if (cl_.render.pull.source.empty()) return usage("missing IMAGE");
                if (cl_.render.bundle.empty()) return usage("missing '--bundle DIR'");
                break;
            case Command::unrender:
                if (cl_.unrender.bundle.empty()) return usage("missing DIR");
                break;
            case Command::run:
                if (!cl_.run.pod.empty()) {
                    if (!cl_.run.render.pull.source.empty() || run_option_given_)
                        return usage("'--pod' takes no IMAGE and no other option of run");
                    break;
                }
                if (cl_.run.render.pull.source.empty()) return usage("missing IMAGE");
                break;
            case Command::pod:
                return usage("missing command 'pod validate|create|list'");
            case Command::pod_validate:
                if (cl_.pod_file.target.empty()) return usage("missing NAME or FILE");
                break;
            case Command::pod_create:
                if (cl_.pod_file.run.name.empty()) return usage("missing NAME");
                if (cl_.pod_file.run.render.pull.source.empty()) return usage("missing IMAGE");
                break;
            case Command::status:
            case Command::stop:
            case Command::kill:
            case Command::rm:
            case Command::enter:
            case Command::logs:
            case Command::run_pod:
                if (cl_.pod.name.empty()) return usage("missing NAME");
                break;
            default:
                break;
        }
        return {};
    }

    const std::vector<std::string>& args_;
    Program program_;
    CommandLine cl_;
    bool rest_positional_ = false;   // render: COMMAND has started
    bool run_option_given_ = false;  // run: an option other than --pod
    bool bare_errors_ = false;       // apply_run_option: no option spelling or hint

    friend Status ocipod::apply_run_option(RunArgs&, std::string_view, const std::string&);
};

}  // namespace

Status apply_run_option(RunArgs& run, std::string_view long_name, const std::string& value) {
    static const std::vector<std::string> none;
    Parser parser(none, "", Program::oci_pod);
    parser.cl_.command = Command::run;
    parser.bare_errors_ = true;
    const OptSpec* o = parser.find(long_name, 0);
    if (!o || o->id == Opt::pod)
        return make_error(EINVAL, "'%s' is not an option of run", std::string(long_name).c_str());
    parser.cl_.run = std::move(run);
    std::optional<std::string> v;
    if (o->arg != Arg::none) v = value;
    Status s = parser.apply(*o, v, "--" + std::string(long_name));
    run = std::move(parser.cl_.run);
    return s;
}

Result<CommandLine> parse_command_line(const std::vector<std::string>& args,
                                       std::string_view default_root, Program program) {
    return Parser(args, default_root, program).run();
}

const char* command_name(Command command) {
    return name_of(command);
}

std::optional<uint64_t> parse_cpus(std::string_view text) {
    size_t dot = text.find('.');
    std::string_view whole = text.substr(0, dot);
    std::string_view frac = dot == std::string_view::npos ? "" : text.substr(dot + 1);
    if (whole.empty() && frac.empty()) return std::nullopt;
    if (dot != std::string_view::npos && frac.empty()) return std::nullopt;
    if (frac.size() > 3) return std::nullopt;  // finer than a thousandth of a CPU
    auto w = whole.empty() ? std::optional<uint64_t>(0) : parse_u64(whole);
    if (!w || *w > 1000) return std::nullopt;
    uint64_t millis = *w * 1000;
    if (!frac.empty()) {
        auto f = parse_u64(frac);
        if (!f) return std::nullopt;
        for (size_t k = frac.size(); k < 3; ++k) *f *= 10;
        millis += *f;
    }
    if (millis == 0 || millis > 1000 * 1000) return std::nullopt;
    return millis;
}

std::string default_root_from_environment() {
    const char* env = getenv("OCI_POD_ROOT");
    return (env && *env) ? absolute_root(env) : std::string(builtin_root);
}

std::optional<uint64_t> parse_byte_size(std::string_view text) {
    size_t digits = 0;
    while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
    auto n = parse_u64(text.substr(0, digits));
    if (!n) return std::nullopt;
    std::string suffix = to_lower(text.substr(digits));
    int shift = 0;
    if (!suffix.empty() && suffix != "b") {
        const std::string_view units = "kmgt";
        size_t unit = units.find(suffix[0]);
        std::string_view rest = std::string_view(suffix).substr(1);
        if (unit == std::string_view::npos || !(rest.empty() || rest == "b" || rest == "ib"))
            return std::nullopt;
        shift = 10 * static_cast<int>(unit + 1);
    }
    if (shift > 0 && *n > (UINT64_MAX >> shift)) return std::nullopt;
    return *n << shift;
}

}  // namespace ocipod
