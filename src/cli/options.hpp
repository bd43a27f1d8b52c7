// The command line of `oci-pod`, `oci-pod-fetch` and `oci-pod-render`, parsed into plain structs
// with no side effects (no environment reads, no output), so every accepted and refused input is
// unit-tested.
//
//   oci-pod [GLOBAL] COMMAND [OPTIONS] ARGS      global options may also follow the command
//   oci-pod-fetch [GLOBAL] [PULL OPTIONS] SOURCE the same as `oci-pod pull`
//   oci-pod-render [GLOBAL] [RENDER OPTIONS] IMAGE [COMMAND [ARG...]]  the same as `oci-pod render`
//
// render, like `podman run`, takes options before and after IMAGE, but the first word after IMAGE
// that is not an option starts COMMAND, and every word from there on is COMMAND's (so
// `render --bundle b img ls -l` passes -l to ls).
//
// Long options take their value as "--opt VALUE" or "--opt=VALUE"; boolean options such as
// --tls-verify take a value only as "--tls-verify=false" (as podman's do). "--" ends options.
// Every refusal is an EINVAL Error whose message is one line naming the offending word and the
// help to read ("see 'oci-pod pull --help'").
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/log.hpp"
#include "base/result.hpp"
#include "fetch/credentials.hpp"
#include "oci/platform.hpp"
#include "render/rootfs.hpp"
#include "render/runtime_config.hpp"

namespace ocipod {

enum class Command {
    none,
    pull,
    images,
    inspect,
    rmi,
    store,
    store_verify,
    render,
    unrender,
    run,
    ps,
    status,
    stop,
    kill,
    rm,
    enter,
    logs,
    pod,  // only as "pod validate|create|list"
    pod_validate,
    pod_create,
    pod_list,
    gc,
    run_pod,  // hidden: the process that runs a detached pod from its record
};

// The store's directory when neither --root nor $OCI_POD_ROOT is given. Fixed rather than derived
// from ./configure's localstatedir (which defaults to /usr/local/var), so every build agrees on
// where images are.
inline constexpr const char* builtin_root = "/var/lib/oci-pod";

struct GlobalOptions {
    std::string root;
    std::optional<LogLevel> log_level;
};

struct PullArgs {
    std::optional<Platform> platform;
    int tls_verify = -1;  // -1: per registries.conf; 0/1 from --tls-verify
    std::optional<Credentials> credentials;
    bool quiet = false;
    std::string source;
};

struct ImagesArgs {
    bool json = false;
    bool no_trunc = false;
};

enum class InspectFormat { both, manifest, config };

struct InspectArgs {
    InspectFormat format = InspectFormat::both;
    std::string ref;
};

struct RmiArgs {
    std::vector<std::string> refs;
};

// When render pulls: the image is pulled only when the store lacks it (missing), every time
// (always: a registry may have moved the tag), or never.
enum class PullPolicy { missing, always, never };

struct RenderArgs {
    PullArgs pull;  // --platform, --tls-verify, --creds, -q; pull.source is IMAGE
    PullPolicy pull_policy = PullPolicy::missing;
    std::string bundle;
    RootfsMode rootfs = RootfsMode::automatic;
    // --entrypoint: a JSON array of strings, or one string (the program, no arguments); ""
    // clears the image's Entrypoint.
    std::optional<std::vector<std::string>> entrypoint;
    std::optional<std::vector<std::string>> command;  // the words after IMAGE; replace Cmd
    // -e as given: "K=V", or "K" alone, which the command completes from its own environment.
    std::vector<std::string> env;
    std::optional<std::string> user;
    std::optional<std::string> workdir;
    std::string hostname;
    bool tty = false;
    bool read_only = false;
    bool seccomp = true;  // --seccomp default (true) or unconfined
    unsigned jobs = 0;    // 0: one per online CPU
    std::optional<uint64_t> max_layer_bytes;
    std::optional<uint64_t> max_layer_entries;
    bool json = false;
};

struct UnrenderArgs {
    std::string bundle;
};

// oci-pod run: render's options (IMAGE, COMMAND, --entrypoint, -e, -u, -w, --hostname, -t,
// --read-only, --rootfs, --pull ...; render.bundle unused) plus the pod's.
struct RunArgs {
    RenderArgs render;
    std::string name;  // "" = generated
    bool remove = false;
    bool detach = false;
    bool interactive = false;
    std::vector<std::string> env_files;  // read by the command, in order, before -e
    std::vector<PodMount> mounts;        // -v and --tmpfs, in order; bind sources as given
    PodResources resources;
    std::vector<std::string> cap_add, cap_drop;  // checked names ("CAP_NET_ADMIN") or "ALL"
    bool host_network = false;
    std::string stop_signal;  // as given; checked to name a signal
    std::optional<int> stop_timeout;
    // --pod NAME: everything else comes from the pod file NAME.pod (cli/pod_file.hpp); alone, or
    // with global options only.
    std::string pod;
    // From a pod file only: Notify=yes (the application's own READY=1 reaches the service
    // manager) and AutoUpdate= (kept for `oci-pod auto-update`).
    bool app_notify = false;
    std::string auto_update = "no";
};

// pod validate NAME|FILE, pod create NAME IMAGE [COMMAND...] [OPTIONS], pod list [--json].
struct PodFileArgs {
    std::string target;  // validate: a pod name, or a path (it contains a '/')
    RunArgs run;         // create: run.name is NAME, the rest as run's options
    bool json = false;   // list
};

struct PsArgs {
    bool all = false;
    bool json = false;
};

// status, stop, kill, rm, enter, logs and the hidden run-pod: one pod by name.
struct PodArgs {
    std::string name;
    bool json = false;                    // status
    std::optional<int> timeout;           // stop -t
    std::string signal;                   // kill -s (checked); "" = SIGKILL
    bool force = false;                   // rm -f
    bool follow = false;                  // logs -f
    std::vector<std::string> command;     // enter: the words after NAME
    std::vector<std::string> more_names;  // rm, stop, kill: the names after the first
    int lock_fd = -1;                     // run-pod: the pod's lock, inherited
};

// gc [--dry-run] [--grace DURATION] [--json]
struct GcArgs {
    bool dry_run = false;
    int64_t grace_sec = 30 * 60;
    bool json = false;
};

struct CommandLine {
    GlobalOptions global;
    Command command = Command::none;
    bool help = false;     // show the help of `command` (the overview when none) and exit 0
    bool version = false;  // print the version and exit 0
    PullArgs pull;
    ImagesArgs images;
    InspectArgs inspect;
    RmiArgs rmi;
    RenderArgs render;
    UnrenderArgs unrender;
    RunArgs run;
    PsArgs ps;
    PodArgs pod;
    PodFileArgs pod_file;
    GcArgs gc;
};

// Which executable is parsing: oci-pod-fetch, oci-pod-render and oci-pod-gc have no commands,
// their arguments are pull's, render's and gc's.
enum class Program { oci_pod, fetch, render, gc };

// One option of `oci-pod run` by its long name ("memory", "volume"), applied to run exactly as
// the command line would; a boolean option's value must be "". The error is one line naming the
// value and what was expected, without the option's spelling (a pod file names its key instead).
Status apply_run_option(RunArgs& run, std::string_view long_name, const std::string& value);

// args excludes argv[0]. default_root is used unless --root is given.
Result<CommandLine> parse_command_line(const std::vector<std::string>& args,
                                       std::string_view default_root,
                                       Program program = Program::oci_pod);

// $OCI_POD_ROOT when set and not empty, else builtin_root.
std::string default_root_from_environment();

// A size as --max-layer-size takes it: "4096", "512M", "10G", "1TiB": a whole number with an
// optional binary suffix K, M, G or T (powers of 1024; "KiB" and "KB" mean the same). nullopt
// when malformed ("1.5G", "-1", "10X") or when it does not fit in 64 bits.
std::optional<uint64_t> parse_byte_size(std::string_view text);

// --cpus as docker takes it ("1.5", "0.25", "2"): thousandths of a CPU, nullopt when malformed,
// zero or above 1000 CPUs.
std::optional<uint64_t> parse_cpus(std::string_view text);

// The command's name as the user types it ("store verify").
const char* command_name(Command command);

// Help text for a command (Command::none: the overview).
std::string help_text(Command command, Program program = Program::oci_pod);

}  // namespace ocipod
