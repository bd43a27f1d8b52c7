#include "cli/options.hpp"

#include <cstdlib>
#include <span>

namespace ocipod {

namespace {

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
    format
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

const char* command_name(Command c) {
    switch (c) {
        case Command::pull:
            return "pull";
        case Command::images:
            return "images";
        case Command::inspect:
            return "inspect";
        case Command::rmi:
            return "rmi";
        case Command::store:
            return "store";
        case Command::store_verify:
            return "store verify";
        case Command::none:
            break;
    }
    return "";
}

std::optional<LogLevel> parse_log_level(std::string_view s) {
    if (s == "error") return LogLevel::error;
    if (s == "warning" || s == "warn") return LogLevel::warning;
    if (s == "notice") return LogLevel::notice;
    if (s == "info") return LogLevel::info;
    if (s == "debug") return LogLevel::debug;
    return std::nullopt;
}

class Parser {
public:
    Parser(const std::vector<std::string>& args, std::string_view default_root, Program program)
        : args_(args), program_(program) {
        cl_.global.root = default_root;
        if (program == Program::fetch) cl_.command = Command::pull;
    }

    Result<CommandLine> run() {
        size_t i = 0;
        for (; i < args_.size(); ++i) {
            const std::string& a = args_[i];
            if (a == "--") {
                ++i;
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
        if (cl_.command == Command::none) return "see 'oci-pod --help'";
        return strf("see 'oci-pod %s --help'", command_name(cl_.command));
    }

    Error usage(std::string message) const {
        return Error{EINVAL, std::move(message) + "; " + hint()};
    }

    std::span<const OptSpec> command_opts() const {
        switch (cl_.command) {
            case Command::pull:
                return pull_opts;
            case Command::images:
                return images_opts;
            case Command::inspect:
                return inspect_opts;
            default:
                return {};
        }
    }

    const OptSpec* find(std::string_view long_name, char short_name) const {
        for (auto table : {std::span<const OptSpec>(global_opts), command_opts()})
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
                cl_.global.root = v;
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
                cl_.pull.platform = p.take();
                break;
            }
            case Opt::tls_verify:
                if (!value || v == "true") {
                    cl_.pull.tls_verify = 1;
                } else if (v == "false") {
                    cl_.pull.tls_verify = 0;
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
                cl_.pull.credentials = c.take();
                break;
            }
            case Opt::quiet:
                cl_.pull.quiet = true;
                break;
            case Opt::json:
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
        }
        return {};
    }

    Status positional(const std::string& a) {
        switch (cl_.command) {
            case Command::none:
                if (a == "pull")
                    cl_.command = Command::pull;
                else if (a == "images")
                    cl_.command = Command::images;
                else if (a == "inspect")
                    cl_.command = Command::inspect;
                else if (a == "rmi")
                    cl_.command = Command::rmi;
                else if (a == "store")
                    cl_.command = Command::store;
                else
                    return usage(strf("unknown command '%s'", printable(a).c_str()));
                return {};
            case Command::store:
                if (a != "verify")
                    return usage(strf("unknown command 'store %s'", printable(a).c_str()));
                cl_.command = Command::store_verify;
                return {};
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
            default:
                break;
        }
        return {};
    }

    const std::vector<std::string>& args_;
    Program program_;
    CommandLine cl_;
};

constexpr const char* global_help =
    "Global options (before or after the command):\n"
    "  --root DIR          the store (default: $OCI_POD_ROOT, else /var/lib/oci-pod)\n"
    "  --log-level LEVEL   error, warning, notice, info (default) or debug\n"
    "  -h, --help          show this help\n"
    "  --version           print the version\n";

constexpr const char* pull_help_body =
    "SOURCE is one of\n"
    "  REF                     an image in a registry: alpine, quay.io/team/app:1.2,\n"
    "                          host:5000/repo@sha256:...  (registries.conf applies)\n"
    "  oci:DIR[:REF]           an OCI image layout directory\n"
    "  oci-archive:FILE[:REF]  a tar of an OCI image layout\n"
    "  docker-archive:FILE     the output of `docker save`\n"
    "\n"
    "Prints the stored name and the manifest digest when done.\n"
    "\n"
    "Options:\n"
    "  --platform OS/ARCH[/VARIANT]  choose from a multi-platform image (default: this host)\n"
    "  --tls-verify[=true|false]     require HTTPS and verify certificates (default: per\n"
    "                                registries.conf)\n"
    "  --creds USER:PASSWORD         credentials for the registry\n"
    "  -q, --quiet                   no progress; print only the digest\n";

}  // namespace

Result<CommandLine> parse_command_line(const std::vector<std::string>& args,
                                       std::string_view default_root, Program program) {
    return Parser(args, default_root, program).run();
}

std::string default_root_from_environment() {
    const char* env = getenv("OCI_POD_ROOT");
    return (env && *env) ? std::string(env) : std::string(builtin_root);
}

std::string help_text(Command command, Program program) {
    if (program == Program::fetch)
        return std::string(
                   "Usage: oci-pod-fetch [OPTIONS] SOURCE\n\n"
                   "Pull an image into the store; the worker behind `oci-pod pull`.\n\n") +
               pull_help_body + "\n" + global_help;
    std::string body;
    switch (command) {
        case Command::none:
            return std::string(
                       "Usage: oci-pod [OPTIONS] COMMAND [ARGS]\n\n"
                       "Pull OCI and Docker images into a local OCI image-layout store.\n\n"
                       "Commands:\n"
                       "  pull SOURCE     pull an image from a registry, a layout or an archive\n"
                       "  images          list the images in the store\n"
                       "  inspect REF     show an image's manifest and config\n"
                       "  rmi REF...      remove image names from the store\n"
                       "  store verify    re-hash every blob; quarantine damaged ones\n\n") +
                   global_help + "\nRun 'oci-pod COMMAND --help' for a command's options.\n";
        case Command::pull:
            body = std::string(
                       "Usage: oci-pod pull [OPTIONS] SOURCE\n\n"
                       "Pull an image into the store.\n\n") +
                   pull_help_body;
            break;
        case Command::images:
            body =
                "Usage: oci-pod images [OPTIONS]\n\n"
                "List the images in the store: name, tag, manifest digest, manifest type (oci or\n"
                "docker), creation time and size (config and compressed layers).\n\n"
                "Options:\n"
                "  --json       print a JSON array of {name, digest, mediaType, type, created,\n"
                "               size}\n"
                "  --no-trunc   show full digests\n";
            break;
        case Command::inspect:
            body =
                "Usage: oci-pod inspect [OPTIONS] REF\n\n"
                "Print a stored image as JSON: {\"Name\", \"Digest\", \"Manifest\", "
                "\"Config\"}.\n\n"
                "Options:\n"
                "  -f, --format manifest|config|both   which documents to include (default: "
                "both)\n";
            break;
        case Command::rmi:
            body =
                "Usage: oci-pod rmi REF...\n\n"
                "Remove image names from the store. Blobs no other name uses are freed by the\n"
                "next garbage collection.\n";
            break;
        case Command::store:
        case Command::store_verify:
            body =
                "Usage: oci-pod store verify\n\n"
                "Re-hash every blob in the store. Damaged blobs are moved to ROOT/quarantine;\n"
                "blobs an image needs but the store lacks are listed. Exits 1 if any is found.\n";
            break;
    }
    return body + "\n" + global_help;
}

}  // namespace ocipod
