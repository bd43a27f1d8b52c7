// The command line of `oci-pod` and `oci-pod-fetch`, parsed into plain structs with no side
// effects (no environment reads, no output), so every accepted and refused input is unit-tested.
//
//   oci-pod [GLOBAL] COMMAND [OPTIONS] ARGS      global options may also follow the command
//   oci-pod-fetch [GLOBAL] [PULL OPTIONS] SOURCE the same as `oci-pod pull`
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

namespace ocipod {

enum class Command { none, pull, images, inspect, rmi, store, store_verify };

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

struct CommandLine {
    GlobalOptions global;
    Command command = Command::none;
    bool help = false;     // show the help of `command` (the overview when none) and exit 0
    bool version = false;  // print the version and exit 0
    PullArgs pull;
    ImagesArgs images;
    InspectArgs inspect;
    RmiArgs rmi;
};

// Which executable is parsing: oci-pod-fetch has no commands, its arguments are pull's.
enum class Program { oci_pod, fetch, render };

// args excludes argv[0]. default_root is used unless --root is given.
Result<CommandLine> parse_command_line(const std::vector<std::string>& args,
                                       std::string_view default_root,
                                       Program program = Program::oci_pod);

// $OCI_POD_ROOT when set and not empty, else builtin_root.
std::string default_root_from_environment();

// Help text for a command (Command::none: the overview).
std::string help_text(Command command, Program program = Program::oci_pod);

}  // namespace ocipod
