#include "run/runner_cli.hpp"

#include <signal.h>

#include <cstdio>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "base/signal_names.hpp"
#include "base/strings.hpp"
#include "run/machine_registration.hpp"
#include "run/runtime.hpp"

namespace ocipod {

namespace {

constexpr int exit_failure = 1;
constexpr int exit_run_failure = 125;  // run: the runner itself failed, no application status

const char* const usage_text =
    "Usage: oci-pod-runner [--root DIR] COMMAND [OPTIONS] ID\n"
    "\n"
    "oci-pod's OCI runtime: runs a bundle (a root file system and its config.json) as a pod.\n"
    "\n"
    "Commands:\n"
    "  create [OPTIONS] ID    set the pod up and leave it waiting for start\n"
    "      -b, --bundle DIR        the bundle (default: the current directory)\n"
    "      --pid-file FILE         write the pod init's pid there\n"
    "      --console-socket PATH   send the pty master there (process.terminal)\n"
    "      --machine-name NAME     register with systemd-machined under NAME (default: ID)\n"
    "      --no-machine            no systemd-machined registration\n"
    "      --preserve-fds N        pass fds 3 .. 3+N-1 into the application (socket activation)\n"
    "  start ID               start the application of a created pod\n"
    "  state ID               print the pod's state (runtime-spec JSON)\n"
    "  kill ID [SIGNAL]       send SIGNAL (name or number, default SIGTERM) to the pod\n"
    "  delete [-f|--force] ID remove a stopped or created pod (--force: kill a running one)\n"
    "  run [OPTIONS] ID       create, start and wait; exits with the application's status\n"
    "      the create options, and:\n"
    "      --status-file FILE      write {exitCode, signal, finishedAt} there at the end\n"
    "      --stop-signal SIGNAL    sent on SIGTERM/SIGINT/SIGHUP (default: the image's, SIGTERM)\n"
    "      --stop-timeout SECONDS  then SIGKILL (default 10)\n"
    "\n"
    "Options:\n"
    "  --root DIR    state directory (default /run/oci-pod/runtime)\n"
    "  -h, --help    this text\n"
    "  --version     the version\n";

struct UsageError {
    std::string message;
};

// One option of a command: --long VALUE, --long=VALUE, -s VALUE; or a flag.
struct OptionSpec {
    const char* long_name;
    char short_name;
    bool takes_value;
    std::function<void(const std::string&)> set;
};

// Options anywhere before "--", positional arguments in order.
std::vector<std::string> parse_options(const std::vector<std::string>& args,
                                       const std::vector<OptionSpec>& specs, bool& error,
                                       std::string& message) {
    std::vector<std::string> positional;
    for (size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        if (a == "--") {
            positional.insert(positional.end(), args.begin() + long(i) + 1, args.end());
            break;
        }
        if (a.size() < 2 || a[0] != '-') {
            positional.push_back(a);
            continue;
        }
        const OptionSpec* found = nullptr;
        std::string value;
        bool has_inline = false;
        if (a[1] == '-') {
            std::string name = a.substr(2);
            size_t eq = name.find('=');
            if (eq != std::string::npos) {
                value = name.substr(eq + 1);
                name.resize(eq);
                has_inline = true;
            }
            for (const auto& s : specs)
                if (name == s.long_name) found = &s;
        } else if (a.size() == 2) {
            for (const auto& s : specs)
                if (s.short_name && a[1] == s.short_name) found = &s;
        }
        if (!found) {
            error = true;
            message = strf("unknown option '%s'", a.c_str());
            return {};
        }
        if (found->takes_value && !has_inline) {
            if (i + 1 >= args.size()) {
                error = true;
                message = strf("option '%s' needs a value", a.c_str());
                return {};
            }
            value = args[++i];
        } else if (!found->takes_value && has_inline) {
            error = true;
            message = strf("option '--%s' takes no value", found->long_name);
            return {};
        }
        found->set(value);
    }
    return positional;
}

int fail(int code, const std::string& message) {
    std::fprintf(stderr, "oci-pod-runner: %s\n", message.c_str());
    return code;
}

int fail(int code, const Error& error) {
    return fail(code, error.message);
}

// Exactly one positional argument, the ID.
bool one_id(const std::vector<std::string>& positional, const char* command, std::string& id,
            std::string& message) {
    if (positional.size() != 1) {
        message = strf("%s needs exactly one container ID (see --help)", command);
        return false;
    }
    id = positional[0];
    return true;
}

// Warnings go to stderr as they happen.
const Warnings printed_warnings{
    [](const std::string& w) { std::fprintf(stderr, "oci-pod-runner: warning: %s\n", w.c_str()); }};

void warn_without_systemd(const CreateRequest& request) {
    if (request.register_machine && detect_systemd_placement() == SystemdPlacement::none)
        std::fputs(
            "oci-pod-runner: systemd is not running, the pod gets no scope and no machine "
            "registration.\n",
            stderr);
}

std::vector<OptionSpec> create_options(CreateRequest& r) {
    return {
        {"bundle", 'b', true, [&r](const std::string& v) { r.bundle = v; }},
        {"pid-file", 0, true, [&r](const std::string& v) { r.pid_file = v; }},
        {"console-socket", 0, true, [&r](const std::string& v) { r.console_socket = v; }},
        {"machine-name", 0, true, [&r](const std::string& v) { r.machine_name = v; }},
        {"no-machine", 0, false, [&r](const std::string&) { r.register_machine = false; }},
        // Checked by launch_pod: a malformed count becomes -1, which it refuses.
        {"preserve-fds", 0, true,
         [&r](const std::string& v) {
             auto n = parse_u64(v);
             r.preserve_fds = n && *n <= 4096 ? int(*n) : -1;
         }},
    };
}

int cmd_create(const RuntimeOptions& options, const std::vector<std::string>& args) {
    CreateRequest r;
    r.bundle = ".";
    bool error = false;
    std::string message, id;
    auto positional = parse_options(args, create_options(r), error, message);
    if (error || !one_id(positional, "create", id, message)) return fail(exit_failure, message);
    r.id = id;
    warn_without_systemd(r);
    Status st = runtime_create(options, r, &printed_warnings);
    if (!st) return fail(exit_failure, st.error());
    return 0;
}

int cmd_run(const RuntimeOptions& options, const std::vector<std::string>& args) {
    RunRequest r;
    r.bundle = ".";
    bool error = false;
    std::string message, id;
    std::vector<OptionSpec> specs = create_options(r);
    specs.push_back({"status-file", 0, true, [&r](const std::string& v) { r.status_file = v; }});
    specs.push_back({"stop-signal", 0, true, [&](const std::string& v) {
                         auto sig = signal_number(v);
                         if (sig)
                             r.stop_signal = *sig;
                         else if (!error) {
                             error = true;
                             message = strf("unknown signal '%s'", printable(v).c_str());
                         }
                     }});
    specs.push_back({"stop-timeout", 0, true, [&](const std::string& v) {
                         auto n = parse_u64(v);
                         if (n && *n <= 86400)
                             r.stop_timeout_sec = int(*n);
                         else if (!error) {
                             error = true;
                             message = strf("bad --stop-timeout '%s' (seconds, 0..86400)",
                                            printable(v).c_str());
                         }
                     }});
    auto positional = parse_options(args, specs, error, message);
    if (error || !one_id(positional, "run", id, message)) return fail(exit_run_failure, message);
    r.id = id;
    warn_without_systemd(r);
    auto status = runtime_run(options, r, &printed_warnings);
    if (!status) return fail(exit_run_failure, status.error());
    return *status;
}

int cmd_start(const RuntimeOptions& options, const std::vector<std::string>& args) {
    bool error = false;
    std::string message, id;
    auto positional = parse_options(args, {}, error, message);
    if (error || !one_id(positional, "start", id, message)) return fail(exit_failure, message);
    Status st = runtime_start(options, id, &printed_warnings);
    if (!st) return fail(exit_failure, st.error());
    return 0;
}

int cmd_state(const RuntimeOptions& options, const std::vector<std::string>& args) {
    bool error = false;
    std::string message, id;
    auto positional = parse_options(args, {}, error, message);
    if (error || !one_id(positional, "state", id, message)) return fail(exit_failure, message);
    auto state = runtime_state(options, id);
    if (!state) return fail(exit_failure, state.error());
    std::printf("%s\n", container_state_json(*state).c_str());
    return 0;
}

int cmd_kill(const RuntimeOptions& options, const std::vector<std::string>& args) {
    bool error = false;
    std::string message;
    // runc's `kill --all` has no meaning here: the pod has its own pid namespace, whose init
    // takes everything with it.
    auto positional = parse_options(args, {}, error, message);
    if (error) return fail(exit_failure, message);
    if (positional.empty() || positional.size() > 2)
        return fail(exit_failure, "kill needs a container ID and at most one signal (see --help)");
    int sig = SIGTERM;
    if (positional.size() == 2) {
        auto parsed = signal_number(positional[1]);
        if (!parsed)
            return fail(exit_failure,
                        strf("unknown signal '%s'", printable(positional[1]).c_str()));
        sig = *parsed;
    }
    if (Status st = runtime_kill(options, positional[0], sig); !st)
        return fail(exit_failure, st.error());
    return 0;
}

int cmd_delete(const RuntimeOptions& options, const std::vector<std::string>& args) {
    bool force = false, error = false;
    std::string message, id;
    auto positional =
        parse_options(args, {{"force", 'f', false, [&force](const std::string&) { force = true; }}},
                      error, message);
    if (error || !one_id(positional, "delete", id, message)) return fail(exit_failure, message);
    Status st = runtime_delete(options, id, force, &printed_warnings);
    if (!st) return fail(exit_failure, st.error());
    return 0;
}

}  // namespace

int runner_main(int argc, char** argv) {
    RuntimeOptions options;
    int i = 1;
    for (; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "-h" || a == "--help") {
            std::fputs(usage_text, stdout);
            return 0;
        }
        if (a == "--version") {
            std::printf("oci-pod-runner %s\n", PACKAGE_VERSION);
            return 0;
        }
        if (a == "--root" || starts_with(a, "--root=")) {
            if (a == "--root") {
                if (i + 1 >= argc) return fail(exit_failure, "option '--root' needs a value");
                options.state_root = argv[++i];
            } else {
                options.state_root = a.substr(7);
            }
            if (options.state_root.empty() || options.state_root[0] != '/')
                return fail(exit_failure, strf("--root '%s' is not an absolute path",
                                               options.state_root.c_str()));
            continue;
        }
        if (!a.empty() && a[0] == '-')
            return fail(exit_failure, strf("unknown option '%s'", a.c_str()));
        break;
    }
    if (i >= argc) return fail(exit_failure, "no command given (see --help)");
    std::string command = argv[i];
    std::vector<std::string> args(argv + i + 1, argv + argc);
    for (const auto& a : args) {
        if (a == "-h" || a == "--help") {
            std::fputs(usage_text, stdout);
            return 0;
        }
    }
    if (command == "create") return cmd_create(options, args);
    if (command == "run") return cmd_run(options, args);
    if (command == "start") return cmd_start(options, args);
    if (command == "state") return cmd_state(options, args);
    if (command == "kill") return cmd_kill(options, args);
    if (command == "delete") return cmd_delete(options, args);
    return fail(exit_failure,
                strf("unknown command '%s' (see --help)", printable(command).c_str()));
}

}  // namespace ocipod
