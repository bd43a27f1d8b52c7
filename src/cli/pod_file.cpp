#include "cli/pod_file.hpp"

#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <map>
#include <set>

#include "base/fs.hpp"
#include "run/machine_registration.hpp"
#include "store/pods.hpp"

namespace ocipod {

namespace {

constexpr size_t max_pod_file_bytes = 1 << 20;
constexpr const char* pod_section = "Pod";

// How a key's value becomes run's options.
enum class Kind {
    option,       // one value, applied as --OPTION=VALUE
    option_list,  // each assignment applied as --OPTION=VALUE, in order
    word_list,    // each assignment's words, each applied as --OPTION=WORD
    image,        // IMAGE
    exec,         // COMMAND, as words
    entrypoint,   // --entrypoint, as words
    user,         // -u USER[:GROUP], with Group=
    group,
    flag,         // a boolean: yes applies --OPTION
    cpu_quota,    // "150%": --cpus 1.5
    notify,       // RunArgs::app_notify
    auto_update,  // RunArgs::auto_update
};

struct PodKey {
    const char* key;
    Kind kind;
    const char* option;  // run's long option, for the kinds that apply one
};

constexpr PodKey pod_keys[] = {
    {"Image", Kind::image, nullptr},
    {"Exec", Kind::exec, nullptr},
    {"Entrypoint", Kind::entrypoint, nullptr},
    {"Environment", Kind::word_list, "env"},
    {"EnvironmentFile", Kind::option_list, "env-file"},
    {"WorkingDir", Kind::option, "workdir"},
    {"User", Kind::user, nullptr},
    {"Group", Kind::group, nullptr},
    {"HostName", Kind::option, "hostname"},
    {"Volume", Kind::option_list, "volume"},
    {"Tmpfs", Kind::option_list, "tmpfs"},
    {"ReadOnly", Kind::flag, "read-only"},
    {"Network", Kind::option, "network"},
    {"AddCapability", Kind::word_list, "cap-add"},
    {"DropCapability", Kind::word_list, "cap-drop"},
    {"Memory", Kind::option, "memory"},
    {"CPUQuota", Kind::cpu_quota, "cpus"},
    {"PidsLimit", Kind::option, "pids-limit"},
    {"StopSignal", Kind::option, "stop-signal"},
    {"StopTimeout", Kind::option, "stop-timeout"},
    {"Notify", Kind::notify, nullptr},
    {"Pull", Kind::option, "pull"},
    {"AutoUpdate", Kind::auto_update, nullptr},
};

const PodKey* find_key(const std::string& key) {
    for (const PodKey& k : pod_keys)
        if (key == k.key) return &k;
    return nullptr;
}

bool is_list(Kind kind) {
    return kind == Kind::option_list || kind == Kind::word_list;
}

Error key_error(const UnitAssignment& a, const std::string& message) {
    return Error{EINVAL, strf("%s: %s=: %s", a.where().c_str(), a.key.c_str(), message.c_str())};
}

Error invalid(const UnitAssignment& a, const char* expected) {
    return key_error(
        a, strf("invalid value '%s' (expected %s)", printable(a.value).c_str(), expected));
}

Status apply_option(RunArgs& run, const UnitAssignment& a, const char* option,
                    const std::string& value) {
    if (Status s = apply_run_option(run, option, value); !s) return key_error(a, s.error().message);
    return {};
}

// "150%" or "12.5%": thousandths of a CPU ("1.500"), as --cpus takes them.
std::optional<std::string> cpus_from_percent(std::string_view v) {
    if (!ends_with(v, "%")) return std::nullopt;
    v.remove_suffix(1);
    size_t dot = v.find('.');
    auto whole = parse_u64(v.substr(0, dot));
    uint64_t tenths = 0;
    if (dot != std::string_view::npos) {
        auto frac = parse_u64(v.substr(dot + 1));
        if (!frac || v.size() - dot - 1 != 1) return std::nullopt;
        tenths = *frac;
    }
    if (!whole || *whole > 100000) return std::nullopt;
    uint64_t millis = *whole * 10 + tenths;
    if (millis == 0) return std::nullopt;
    return strf("%llu.%03llu", static_cast<unsigned long long>(millis / 1000),
                static_cast<unsigned long long>(millis % 1000));
}

Status apply_key(RunArgs& run, const PodKey& key, const std::vector<UnitAssignment>& values,
                 const UnitAssignment* group) {
    for (const UnitAssignment& a : values) {
        switch (key.kind) {
            case Kind::option:
            case Kind::option_list:
                TRY(apply_option(run, a, key.option, a.value));
                break;
            case Kind::word_list: {
                auto words = split_unit_words(a.value);
                if (!words) return key_error(a, words.error().message);
                for (const std::string& w : *words) {
                    if (key.kind == Kind::word_list && std::string_view(key.option) == "env" &&
                        (w.find('=') == std::string::npos || w[0] == '='))
                        return key_error(a, strf("'%s' is not NAME=VALUE", printable(w).c_str()));
                    TRY(apply_option(run, a, key.option, w));
                }
                break;
            }
            case Kind::image:
                if (a.value.find_first_of(" \t") != std::string::npos)
                    return invalid(a, "one image reference");
                run.render.pull.source = a.value;
                break;
            case Kind::exec:
            case Kind::entrypoint: {
                auto words = split_unit_words(a.value);
                if (!words) return key_error(a, words.error().message);
                if (key.kind == Kind::exec) {
                    run.render.command = *words;
                    break;
                }
                // Entrypoint="" (one empty word) clears the image's Entrypoint.
                if (words->size() == 1 && (*words)[0].empty()) words->clear();
                if (!words->empty() && (*words)[0].empty())
                    return invalid(a, "a program and its arguments");
                run.render.entrypoint = *words;
                break;
            }
            case Kind::user: {
                std::string user = a.value;
                if (group) user += ":" + group->value;
                TRY(apply_option(run, a, "user", user));
                break;
            }
            case Kind::group:
                break;  // with User=
            case Kind::flag: {
                auto b = parse_unit_boolean(a.value);
                if (!b) return invalid(a, "yes or no");
                if (*b)
                    TRY(apply_option(run, a, key.option, ""));
                else
                    run.render.read_only = false;
                break;
            }
            case Kind::cpu_quota: {
                auto cpus = cpus_from_percent(a.value);
                if (!cpus) return invalid(a, "a percentage of one CPU such as 50% or 150%");
                TRY(apply_option(run, a, key.option, *cpus));
                break;
            }
            case Kind::notify: {
                auto b = parse_unit_boolean(a.value);
                if (!b) return invalid(a, "yes or no");
                run.app_notify = *b;
                break;
            }
            case Kind::auto_update:
                if (a.value != "no" && a.value != "registry") return invalid(a, "no or registry");
                run.auto_update = a.value;
                break;
        }
    }
    return {};
}

// 64M rather than 67108864 when the size is a whole number of K, M, G or T.
std::string size_text(int64_t bytes) {
    static const char units[] = {'T', 'G', 'M', 'K'};
    for (int i = 0; i < 4; ++i) {
        int64_t unit = int64_t(1) << (10 * (4 - i));
        if (bytes % unit == 0) return std::to_string(bytes / unit) + units[i];
    }
    return std::to_string(bytes);
}

bool is_regular_file(const std::string& path) {
    struct stat st;
    return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

// NAME.pod.d/*.conf of each directory: file name -> path, the first directory's winning.
void collect_dropins(const std::string& dir, std::map<std::string, std::string>& found) {
    UniqueFd fd(open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd) return;
    auto names = list_regular_files(fd.get(), dir);
    if (!names) return;
    for (const std::string& n : *names)
        if (ends_with(n, ".conf")) found.emplace(n, dir + "/" + n);
}

Result<PodFile> load_files(const std::string& name, const std::string& main_file,
                           const std::map<std::string, std::string>& dropins) {
    if (!is_valid_machine_name(name) || !check_pod_name(name))
        return make_error(EINVAL, "%s: '%s' is not a valid pod name (a machine name)",
                          main_file.c_str(), printable(name).c_str());
    PodFile pod;
    pod.name = name;
    pod.path = main_file;
    std::vector<UnitAssignment> all;
    std::vector<std::string> files = {main_file};
    for (const auto& [file_name, path] : dropins) {
        pod.dropins.push_back(path);
        files.push_back(path);
    }
    for (const std::string& f : files) {
        std::string text = TRY_WRAP(read_file_capped(AT_FDCWD, f, max_pod_file_bytes),
                                    strf("reading '%s'", f.c_str()));
        auto assignments = TRY(parse_unit_text(text, f));
        all.insert(all.end(), assignments.begin(), assignments.end());
    }
    pod.run = TRY(pod_run_args(name, main_file, all));
    return pod;
}

}  // namespace

std::vector<std::string> pod_file_dirs() {
    const char* env = getenv("OCI_POD_PODS_PATH");
    std::string path = env && *env ? env : builtin_pod_file_path;
    std::vector<std::string> dirs;
    for (auto& d : split(path, ':'))
        if (!d.empty()) dirs.push_back(d);
    return dirs;
}

Result<RunArgs> pod_run_args(const std::string& name, const std::string& main_file,
                             const std::vector<UnitAssignment>& assignments) {
    // What each key ends up with after resets and overrides, then applied in the table's order.
    std::map<std::string, std::vector<UnitAssignment>> effective;
    for (const UnitAssignment& a : assignments) {
        if (starts_with(a.section, "X-")) continue;
        if (a.section != pod_section)
            return make_error(EINVAL, "%s:%u: unknown section [%s]", a.file.c_str(), a.section_line,
                              printable(a.section).c_str());
        const PodKey* key = find_key(a.key);
        if (!key)
            return make_error(EINVAL, "%s: unknown key '%s' in section [%s]", a.where().c_str(),
                              printable(a.key).c_str(), pod_section);
        std::vector<UnitAssignment>& values = effective[a.key];
        if (a.value.empty() || !is_list(key->kind)) values.clear();
        if (!a.value.empty()) values.push_back(a);
    }
    RunArgs run;
    run.name = name;
    run.remove = true;
    const UnitAssignment* group = nullptr;
    if (auto g = effective.find("Group"); g != effective.end() && !g->second.empty()) {
        group = &g->second.back();
        auto u = effective.find("User");
        if (u == effective.end() || u->second.empty())
            return key_error(*group, "needs User= as well");
    }
    for (const PodKey& key : pod_keys) {
        auto it = effective.find(key.key);
        if (it != effective.end()) TRY(apply_key(run, key, it->second, group));
    }
    if (run.render.pull.source.empty())
        return make_error(EINVAL, "%s: Image= is missing in section [%s]", main_file.c_str(),
                          pod_section);
    return run;
}

std::string find_pod_file(const std::string& name, const std::vector<std::string>& dirs) {
    for (const std::string& d : dirs)
        if (is_regular_file(d + "/" + name + ".pod")) return d + "/" + name + ".pod";
    return "";
}

Result<PodFile> load_pod_file(const std::string& name, const std::vector<std::string>& dirs) {
    std::string main_file = find_pod_file(name, dirs);
    if (main_file.empty())
        return make_error(ENOENT, "no pod file '%s.pod' in %s", printable(name).c_str(),
                          [&] {
                              std::string list;
                              for (const std::string& d : dirs)
                                  list += (list.empty() ? "" : ", ") + d;
                              return list;
                          }()
                              .c_str());
    std::map<std::string, std::string> dropins;
    for (const std::string& d : dirs) collect_dropins(d + "/" + name + ".pod.d", dropins);
    return load_files(name, main_file, dropins);
}

Result<PodFile> load_pod_file_at(const std::string& path) {
    std::string base = path.substr(path.rfind('/') + 1);
    if (!ends_with(base, ".pod"))
        return make_error(EINVAL, "'%s': a pod file's name ends in .pod", printable(path).c_str());
    if (!is_regular_file(path)) return errno_error("'%s'", printable(path).c_str());
    std::map<std::string, std::string> dropins;
    collect_dropins(path + ".d", dropins);
    return load_files(base.substr(0, base.size() - 4), path, dropins);
}

std::vector<std::string> list_pod_files(const std::vector<std::string>& dirs) {
    std::set<std::string> names;
    for (const std::string& d : dirs) {
        UniqueFd fd(open(d.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (!fd) continue;
        auto files = list_regular_files(fd.get(), d);
        if (!files) continue;
        for (const std::string& f : *files)
            if (ends_with(f, ".pod") && f.size() > 4) names.insert(f.substr(0, f.size() - 4));
    }
    return {names.begin(), names.end()};
}

Result<std::string> pod_file_text(const RunArgs& args) {
    std::string text =
        "# Written by `oci-pod pod create`; the keys are described in oci-pod.pod(5).\n[Pod]\n";
    Status bad;
    auto line = [&](const char* key, const std::string& value) {
        if (value.find_first_of("\n\r") != std::string::npos || trim(value) != value)
            bad = make_error(EINVAL, "%s '%s' cannot be written to a pod file", key,
                             printable(value).c_str());
        text += strf("%s=%s\n", key, value.c_str());
    };
    auto words = [](const std::vector<std::string>& ws) {
        std::string out;
        for (const std::string& w : ws) out += (out.empty() ? "" : " ") + quote_unit_word(w);
        return out;
    };
    const RenderArgs& r = args.render;
    line("Image", r.pull.source);
    if (r.command) line("Exec", words(*r.command));
    if (r.entrypoint) line("Entrypoint", r.entrypoint->empty() ? "\"\"" : words(*r.entrypoint));
    for (const std::string& e : r.env) {
        if (e.find('=') == std::string::npos)
            return make_error(EINVAL, "-e '%s' without a value cannot be written to a pod file",
                              printable(e).c_str());
        text += "Environment=" + quote_unit_word(e) + "\n";
    }
    for (const std::string& f : args.env_files) {
        char abs[PATH_MAX];
        if (!realpath(f.c_str(), abs)) return errno_error("--env-file '%s'", printable(f).c_str());
        line("EnvironmentFile", abs);
    }
    if (r.workdir) line("WorkingDir", *r.workdir);
    if (r.user) {
        std::string user = *r.user;
        size_t colon = user.find(':');
        line("User", user.substr(0, colon));
        if (colon != std::string::npos) line("Group", user.substr(colon + 1));
    }
    if (!r.hostname.empty()) line("HostName", r.hostname);
    for (const PodMount& m : args.mounts) {
        if (m.tmpfs) {
            line("Tmpfs", m.destination);
            continue;
        }
        // The service runs from /: a relative source is made absolute now.
        char abs[PATH_MAX];
        if (!realpath(m.source.c_str(), abs))
            return errno_error("volume source '%s'", printable(m.source).c_str());
        line("Volume", std::string(abs) + ":" + m.destination + (m.read_only ? ":ro" : ""));
    }
    if (r.read_only) line("ReadOnly", "yes");
    if (args.host_network) line("Network", "host");
    for (const std::string& c : args.cap_add) line("AddCapability", c);
    for (const std::string& c : args.cap_drop) line("DropCapability", c);
    const PodResources& res = args.resources;
    if (res.memory_bytes) line("Memory", size_text(*res.memory_bytes));
    if (res.cpu_millis)
        line("CPUQuota", strf("%llu.%llu%%", static_cast<unsigned long long>(*res.cpu_millis / 10),
                              static_cast<unsigned long long>(*res.cpu_millis % 10)));
    if (res.pids_limit) line("PidsLimit", std::to_string(*res.pids_limit));
    if (!args.stop_signal.empty()) line("StopSignal", args.stop_signal);
    if (args.stop_timeout) line("StopTimeout", std::to_string(*args.stop_timeout));
    if (r.pull_policy != PullPolicy::missing)
        line("Pull", r.pull_policy == PullPolicy::always ? "always" : "never");
    if (!bad) return bad.error();
    return text;
}

}  // namespace ocipod
