// image-spec conversion.md applied to an ImageRunConfig, on top of runtime_defaults. The caller's
// options are "externally provided inputs" (conversion.md) and may change anything; our own
// defaults only fill gaps (PATH, HOME, TERM are added only when neither the image nor the caller
// sets them).
#include "render/runtime_config.hpp"

#include <ctype.h>
#include <string.h>

#include <algorithm>
#include <map>

#include "c/json.hpp"
#include "oci/runtime_spec.hpp"
#include "render/runtime_defaults.hpp"
#include "render/seccomp_profile.hpp"
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

// The default set, minus --cap-drop, plus --cap-add; in bounding, effective and permitted only
// (inheritable and ambient stay empty, THREATS §2.4).
Result<JsonPtr> capabilities_json(const std::vector<std::string>& add,
                                  const std::vector<std::string>& drop) {
    std::vector<std::string> set = default_capability_names();
    auto names = [](const std::vector<std::string>& given) -> Result<std::vector<std::string>> {
        std::vector<std::string> out;
        for (const auto& g : given) {
            if (to_lower(g) == "all") {
                auto all = capability_names();
                out.insert(out.end(), all.begin(), all.end());
                continue;
            }
            auto name = capability_name(g);
            if (!name)
                return make_error(EINVAL, "'%s' is not a capability, refusing",
                                  printable(g).c_str());
            out.push_back(*name);
        }
        return out;
    };
    for (const auto& d : TRY(names(drop)))
        set.erase(std::remove(set.begin(), set.end(), d), set.end());
    for (const auto& a : TRY(names(add)))
        if (std::find(set.begin(), set.end(), a) == set.end()) set.push_back(a);
    return capabilities_from_names(set);
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
    json_object_set_new(p.get(), "capabilities",
                        TRY(capabilities_json(options.cap_add, options.cap_drop)).release());
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
Result<JsonPtr> annotations_json(const ImageRunConfig& image, const RuntimeConfigOptions& options) {
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
    if (!options.stop_signal.empty()) a[stop_signal_key] = options.stop_signal;

    // The runner sends this signal on stop; whichever source set it, it must name one.
    if (auto it = a.find(stop_signal_key); it != a.end() && !signal_number(it->second))
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
    for (const auto& m : options.mounts) {
        all.push_back(&m.destination);
        all.push_back(&m.source);
    }
    for (const std::string* s : all)
        if (!JsonPtr(json_stringn(s->data(), s->size())))
            return make_error(EINVAL, "'%s' is not valid UTF-8, refusing", printable(*s).c_str());
    return {};
}

JsonPtr mount_json(const PodMount& m) {
    JsonPtr o(json_object());
    std::string dest = clean_container_path(m.destination);
    json_object_set_new(o.get(), "destination", json_string(dest.c_str()));
    std::vector<std::string> opts;
    if (m.tmpfs) {
        json_object_set_new(o.get(), "type", json_string("tmpfs"));
        json_object_set_new(o.get(), "source", json_string("tmpfs"));
        opts = {"nosuid", "nodev", "mode=1777"};
    } else {
        // A bind mount of the user's host path; nosuid and nodev as podman sets them.
        json_object_set_new(o.get(), "type", json_string("bind"));
        json_object_set_new(o.get(), "source", json_stringn(m.source.data(), m.source.size()));
        opts = {"rbind", "nosuid", "nodev"};
    }
    if (m.read_only) opts.push_back("ro");
    json_object_set_new(o.get(), "options", json_from_string_array(opts).release());
    return o;
}

Result<JsonPtr> mounts_json(const RuntimeConfigOptions& options) {
    JsonPtr mounts = default_mounts();
    for (const auto& m : options.mounts) {
        if (!starts_with(m.destination, "/"))
            return make_error(EINVAL, "mount destination '%s' is not absolute",
                              printable(m.destination).c_str());
        if (!m.tmpfs && !starts_with(m.source, "/"))
            return make_error(EINVAL, "bind mount source '%s' is not absolute",
                              printable(m.source).c_str());
        json_array_append_new(mounts.get(), mount_json(m).release());
    }
    return mounts;
}

// linux.resources (config-linux.md "Control groups") from the pod options, next to the device
// rules; --cpus N is a quota of N periods of 100 ms per 100 ms, as docker sets it.
Status add_resources(json_t* linux_obj, const PodResources& r) {
    json_t* res = json_object_get(linux_obj, "resources");
    if (r.memory_bytes) {
        if (*r.memory_bytes <= 0) return make_error(EINVAL, "memory limit must be positive");
        JsonPtr mem(json_object());
        json_object_set_new(mem.get(), "limit", json_integer(*r.memory_bytes));
        json_object_set_new(res, "memory", mem.release());
    }
    if (r.cpu_millis) {
        if (*r.cpu_millis == 0 || *r.cpu_millis > 1000000)
            return make_error(EINVAL, "CPU limit out of range");
        constexpr uint64_t period = 100000;
        JsonPtr cpu(json_object());
        json_object_set_new(cpu.get(), "quota",
                            json_integer(static_cast<json_int_t>(*r.cpu_millis * period / 1000)));
        json_object_set_new(cpu.get(), "period", json_integer(static_cast<json_int_t>(period)));
        json_object_set_new(res, "cpu", cpu.release());
    }
    if (r.pids_limit) {
        JsonPtr pids(json_object());
        json_object_set_new(pids.get(), "limit", json_integer(*r.pids_limit));
        json_object_set_new(res, "pids", pids.release());
    }
    return {};
}

// The host's network: no network namespace entry (config-linux.md "Namespaces": without one the
// container shares the runtime's).
void use_host_network(json_t* linux_obj) {
    json_t* ns = json_object_get(linux_obj, "namespaces");
    for (size_t i = 0; i < json_array_size(ns); ++i) {
        const char* type = json_string_value(json_object_get(json_array_get(ns, i), "type"));
        if (type && strcmp(type, "network") == 0) {
            json_array_remove(ns, i);
            return;
        }
    }
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
    JsonPtr annotations = TRY_WRAP(annotations_json(image, options), "annotations");
    JsonPtr mounts = TRY(mounts_json(options));
    JsonPtr linux_obj = default_linux();
    TRY(add_resources(linux_obj.get(), options.resources));
    if (options.host_network) use_host_network(linux_obj.get());
    if (options.seccomp) {
        auto bounding =
            json_opt_string_array(json_object_get(process.get(), "capabilities"), "bounding");
        if (!bounding) return std::move(bounding).error().wrap("process.capabilities");
        json_object_set_new(linux_obj.get(), "seccomp",
                            default_seccomp_profile(*bounding).release());
    }

    JsonPtr doc(json_object());
    json_object_set_new(doc.get(), "ociVersion", json_string(runtime_spec_version));
    json_object_set_new(doc.get(), "process", process.release());
    json_object_set_new(doc.get(), "root", root_json(options.readonly_rootfs).release());
    if (!options.hostname.empty())
        json_object_set_new(doc.get(), "hostname",
                            json_stringn(options.hostname.data(), options.hostname.size()));
    json_object_set_new(doc.get(), "mounts", mounts.release());
    if (json_object_size(annotations.get()) > 0)
        json_object_set_new(doc.get(), "annotations", annotations.release());
    json_object_set_new(doc.get(), "linux", linux_obj.release());
    return json_dump(doc.get(), true) + "\n";
}

std::optional<std::string> capability_name(std::string_view s) {
    std::string upper(s);
    for (char& c : upper) c = static_cast<char>(toupper(static_cast<unsigned char>(c)));
    if (!starts_with(upper, "CAP_")) upper = "CAP_" + upper;
    // The runtime's config parser is the judge of which names exist.
    if (!capability_number(upper)) return std::nullopt;
    return upper;
}

}  // namespace ocipod
