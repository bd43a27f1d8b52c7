// image-spec conversion.md applied to an ImageRunConfig, on top of runtime_defaults. The caller's
// options are "externally provided inputs" (conversion.md) and may change anything; our own
// defaults only fill gaps (PATH, HOME, TERM are added only when neither the image nor the caller
// sets them).
#include "render/runtime_config.hpp"

#include <signal.h>
#include <string.h>

#include <algorithm>
#include <map>

#include "c/json.hpp"
#include "render/runtime_defaults.hpp"
#include "render/user_db.hpp"

namespace ocipod {

namespace {

constexpr const char* default_path =
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
constexpr const char* stop_signal_key = "org.opencontainers.image.stopSignal";
constexpr const char* exposed_ports_key = "org.opencontainers.image.exposedPorts";
// conversion.md maps Volumes to mounts, not to an annotation, and annotations.md reserves the
// org.opencontainers.image namespace for the spec: the list is recorded under our own key for the
// runner to mount.
constexpr const char* volumes_key = "io.oci-pod.image.volumes";
constexpr const char* dropped_labels_key = "io.oci-pod.image.droppedLabels";

// Label prefixes that existing runtimes act on (crun's run.oci.* handlers and
// org.systemd.property.* scope properties, wasm handlers) or that are ours: an image must not
// choose them (conversion.md "Annotations": a converter MAY omit unsafe annotations and SHOULD
// say so; THREATS 82).
constexpr const char* unsafe_label_prefixes[] = {"run.oci.", "org.systemd.property.",
                                                 "module.wasm.image/", "io.oci-pod."};

// The signal names Docker and podman accept ("SIGTERM", "term", "15", "SIGRTMIN+3").
bool is_signal(std::string_view s) {
    if (s.empty()) return false;
    if (auto n = parse_u64(s)) return *n >= 1 && *n <= 64;
    std::string name(s);
    for (char& c : name) c = static_cast<char>(toupper(static_cast<unsigned char>(c)));
    if (starts_with(name, "SIG")) name.erase(0, 3);
    if (name == "IOT" || name == "POLL" || name == "CLD") return true;
    for (int sig = 1; sig < 32; ++sig) {
        const char* abbrev = sigabbrev_np(sig);
        if (abbrev && name == abbrev) return true;
    }
    // Realtime signals: glibc's SIGRTMIN is 34 and SIGRTMAX 64 on Linux.
    if (name == "RTMIN" || name == "RTMAX") return true;
    for (const char* base : {"RTMIN+", "RTMAX-"}) {
        if (!starts_with(name, base)) continue;
        auto n = parse_u64(std::string_view(name).substr(6));
        return n && *n >= 1 && *n <= 30;
    }
    return false;
}

// A container path made absolute and cleaned lexically, with ".." stopping at "/": it names a
// place inside the container root whatever the image wrote (THREATS 81, CVE-2022-23648).
std::string clean_container_path(std::string_view p) {
    std::vector<std::string> parts;
    for (auto& c : split(p, '/')) {
        if (c.empty() || c == ".") continue;
        if (c == "..") {
            if (!parts.empty()) parts.pop_back();
            continue;
        }
        parts.push_back(std::move(c));
    }
    std::string out;
    for (const auto& c : parts) out += "/" + c;
    return out.empty() ? "/" : out;
}

std::string join(const std::vector<std::string>& v, char sep) {
    std::string out;
    for (size_t i = 0; i < v.size(); ++i) {
        if (i) out += sep;
        out += v[i];
    }
    return out;
}

std::string_view env_key(std::string_view kv) {
    return kv.substr(0, kv.find('='));
}

// Later KEY=VALUE entries replace earlier ones in place: the first position of a key is kept.
class EnvList {
public:
    void set(const std::string& kv) {
        std::string key(env_key(kv));
        auto [it, added] = index_.emplace(key, list_.size());
        if (added)
            list_.push_back(kv);
        else
            list_[it->second] = kv;
    }
    bool has(std::string_view key) const { return index_.count(std::string(key)) != 0; }
    const std::vector<std::string>& list() const { return list_; }

private:
    std::vector<std::string> list_;
    std::map<std::string, size_t> index_;
};

Result<std::vector<std::string>> process_env(const ImageRunConfig& image,
                                             const RuntimeConfigOptions& options,
                                             const ContainerUser& user) {
    for (const auto& kv : options.env) {
        size_t eq = kv.find('=');
        if (eq == std::string::npos || eq == 0)
            return make_error(EINVAL, "environment entry '%s' is not KEY=VALUE",
                              printable(kv).c_str());
    }
    EnvList given;
    for (const auto& kv : image.env) given.set(kv);
    for (const auto& kv : options.env) given.set(kv);

    // conversion.md: added entries SHOULD NOT name variables the image sets.
    EnvList env;
    if (!given.has("PATH")) env.set(default_path);
    if (!given.has("HOME")) env.set("HOME=" + user.home);
    if (options.terminal && !given.has("TERM")) env.set("TERM=xterm");
    for (const auto& kv : given.list()) env.set(kv);
    return env.list();
}

Result<std::vector<std::string>> process_args(const ImageRunConfig& image,
                                              const RuntimeConfigOptions& options) {
    std::vector<std::string> args = options.entrypoint ? *options.entrypoint : image.entrypoint;
    // As in Docker: a new entrypoint drops the image's Cmd, which was written for the old one.
    const std::vector<std::string> none;
    const std::vector<std::string>& cmd =
        options.cmd ? *options.cmd : (options.entrypoint ? none : image.cmd);
    args.insert(args.end(), cmd.begin(), cmd.end());
    if (args.empty()) return make_error(EINVAL, "image has no Entrypoint or Cmd; give a command");
    if (args[0].empty()) return make_error(EINVAL, "the command to run is an empty string");
    return args;
}

JsonPtr user_json(const ContainerUser& user) {
    JsonPtr o(json_object());
    json_object_set_new(o.get(), "uid", json_integer(user.uid));
    json_object_set_new(o.get(), "gid", json_integer(user.gid));
    if (!user.additional_gids.empty()) {
        JsonPtr gids(json_array());
        for (uint32_t g : user.additional_gids) json_array_append_new(gids.get(), json_integer(g));
        json_object_set_new(o.get(), "additionalGids", gids.release());
    }
    return o;
}

Result<JsonPtr> process_json(const ImageRunConfig& image, int rootfs_dirfd,
                             const RuntimeConfigOptions& options) {
    const std::string& spec = options.user ? *options.user : image.user;
    ContainerUser user = TRY(resolve_container_user(rootfs_dirfd, spec));
    auto args = TRY(process_args(image, options));
    auto env = TRY(process_env(image, options, user));
    const std::string& wd = options.working_dir ? *options.working_dir : image.working_dir;

    JsonPtr p(json_object());
    json_object_set_new(p.get(), "terminal", json_boolean(options.terminal));
    json_object_set_new(p.get(), "user", user_json(user).release());
    json_object_set_new(p.get(), "args", json_from_string_array(args).release());
    json_object_set_new(p.get(), "env", json_from_string_array(env).release());
    json_object_set_new(p.get(), "cwd", json_string(clean_container_path(wd).c_str()));
    json_object_set_new(p.get(), "capabilities", default_capabilities().release());
    json_object_set_new(p.get(), "rlimits", default_rlimits().release());
    json_object_set_new(p.get(), "noNewPrivileges", json_true());
    return p;
}

bool unsafe_label(const std::string& key) {
    for (const char* prefix : unsafe_label_prefixes)
        if (starts_with(key, prefix)) return true;
    return false;
}

// conversion.md "Annotations": implicit annotations first, then Config.Labels, which take
// precedence on a conflict; values from the image are never modified.
Result<JsonPtr> annotations_json(const ImageRunConfig& image) {
    std::map<std::string, std::string> a = image.image_annotations;
    if (!image.stop_signal.empty()) a[stop_signal_key] = image.stop_signal;
    if (!image.exposed_ports.empty()) a[exposed_ports_key] = join(image.exposed_ports, ',');
    std::vector<std::string> volumes;
    for (const auto& v : image.volumes) volumes.push_back(clean_container_path(v));
    std::sort(volumes.begin(), volumes.end());
    volumes.erase(std::unique(volumes.begin(), volumes.end()), volumes.end());
    if (!volumes.empty()) a[volumes_key] = join(volumes, ',');

    std::vector<std::string> dropped;
    for (const auto& [k, v] : image.labels) {
        if (unsafe_label(k))
            dropped.push_back(k);
        else
            a[k] = v;
    }
    if (!dropped.empty()) a[dropped_labels_key] = join(dropped, ',');

    // The runner sends this signal on stop; whichever source set it, it must name one.
    if (auto it = a.find(stop_signal_key); it != a.end() && !is_signal(it->second))
        return make_error(EINVAL, "stop signal '%s' is not a signal, refusing",
                          printable(it->second).c_str());
    return json_from_string_map(a);
}

// JSON strings are UTF-8 and jansson refuses anything else by returning NULL, which would drop
// the value silently; the image's strings came through the JSON parser, the caller's may not.
Status check_utf8(const RuntimeConfigOptions& options) {
    std::vector<const std::string*> all;
    for (const auto* v : {&options.entrypoint, &options.cmd})
        if (*v)
            for (const auto& s : **v) all.push_back(&s);
    for (const auto& s : options.env) all.push_back(&s);
    if (options.user) all.push_back(&*options.user);
    if (options.working_dir) all.push_back(&*options.working_dir);
    all.push_back(&options.hostname);
    for (const std::string* s : all)
        if (!JsonPtr(json_stringn(s->data(), s->size())))
            return make_error(EINVAL, "'%s' is not valid UTF-8, refusing", printable(*s).c_str());
    return {};
}

JsonPtr root_json(bool readonly) {
    JsonPtr o(json_object());
    json_object_set_new(o.get(), "path", json_string("rootfs"));
    json_object_set_new(o.get(), "readonly", json_boolean(readonly));
    return o;
}

}  // namespace

Result<std::string> make_runtime_config(const ImageRunConfig& image, int rootfs_dirfd,
                                        const RuntimeConfigOptions& options) {
    TRY(check_utf8(options));
    JsonPtr process = TRY(process_json(image, rootfs_dirfd, options));
    JsonPtr annotations = TRY_WRAP(annotations_json(image), "annotations");

    JsonPtr doc(json_object());
    json_object_set_new(doc.get(), "ociVersion", json_string(runtime_spec_version));
    json_object_set_new(doc.get(), "process", process.release());
    json_object_set_new(doc.get(), "root", root_json(options.readonly_rootfs).release());
    if (!options.hostname.empty())
        json_object_set_new(doc.get(), "hostname",
                            json_stringn(options.hostname.data(), options.hostname.size()));
    json_object_set_new(doc.get(), "mounts", default_mounts().release());
    if (json_object_size(annotations.get()) > 0)
        json_object_set_new(doc.get(), "annotations", annotations.release());
    json_object_set_new(doc.get(), "linux", default_linux().release());
    return json_dump(doc.get(), true) + "\n";
}

}  // namespace ocipod
