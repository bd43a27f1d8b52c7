// oci-pod render / oci-pod-render: find IMAGE in the store (pulling it as --pull says), render it
// into a bundle, print the bundle's path (or, with --json, a report) on stdout; progress, one
// line per layer event, on stderr. oci-pod unrender: remove_bundle.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <string>

#include "base/log.hpp"
#include "c/json.hpp"
#include "cli/commands.hpp"
#include "cli/local_image.hpp"
#include "fetch/source.hpp"
#include "render/render.hpp"

namespace ocipod {

namespace {

// The stored ref IMAGE names, without pulling; nullopt when the store lacks it. A local source
// (oci:DIR[:REF] ...) is looked up by the name its import gives it (source.hpp); when REF is
// omitted, the layout's own ref.name may decide that name, so only pulling knows it for sure.
Result<std::optional<RefEntry>> find_stored(const Store& store, std::string_view image) {
    Source source = TRY(parse_source(image));
    if (source.kind == SourceKind::registry) {
        std::string_view text = image;
        if (starts_with(text, "docker://")) text.remove_prefix(9);
        return resolve_local_ref(store, text);
    }
    Reference name = TRY(local_image_name(source.local_ref, source.path));
    return store.find_ref(name.str());
}

// Device nodes can be made only by real root: not in a user namespace that maps a range.
bool can_create_devices() {
    if (geteuid() != 0) return false;
    std::ifstream map("/proc/self/uid_map");
    unsigned long inside = 1, outside = 1, count = 0;
    if (!(map >> inside >> outside >> count)) return true;  // no user namespaces at all
    return inside == 0 && outside == 0 && count == 4294967295ul;
}

double seconds_since(const timespec& start) {
    timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return static_cast<double>(now.tv_sec - start.tv_sec) +
           static_cast<double>(now.tv_nsec - start.tv_nsec) / 1e9;
}

JsonPtr digest_array(const std::vector<Digest>& digests) {
    std::vector<std::string> v;
    for (const Digest& d : digests) v.push_back(d.str());
    return json_from_string_array(v);
}

std::string json_report(const RenderImage& image, const RenderReport& report, double seconds) {
    JsonPtr doc(json_object());
    JsonPtr layers(json_object());
    json_object_set_new(layers.get(), "reused", digest_array(report.layers.reused).release());
    json_object_set_new(layers.get(), "extracted", digest_array(report.layers.extracted).release());
    json_object_set_new(doc.get(), "bundle", json_string(report.bundle.c_str()));
    json_object_set_new(doc.get(), "image", json_string(image.name.c_str()));
    json_object_set_new(doc.get(), "digest", json_string(image.manifest_digest.str().c_str()));
    json_object_set_new(doc.get(), "rootfs", json_string(rootfs_mode_name(report.mode)));
    json_object_set_new(doc.get(), "layers", layers.release());
    json_object_set_new(doc.get(), "entries",
                        json_integer(static_cast<json_int_t>(report.layers.entries)));
    json_object_set_new(doc.get(), "bytesWritten",
                        json_integer(static_cast<json_int_t>(report.layers.bytes_written)));
    json_object_set_new(doc.get(), "bytesCopied",
                        json_integer(static_cast<json_int_t>(report.rootfs_bytes_copied)));
    json_object_set_new(doc.get(), "seconds", json_real(seconds));
    if (!report.overlay_error.empty())
        json_object_set_new(doc.get(), "overlayError", json_string(report.overlay_error.c_str()));
    return json_dump(doc.get(), true);
}

}  // namespace

Result<RefEntry> find_or_pull(Store& store, const RenderArgs& args) {
    const std::string& image = args.pull.source;
    if (args.pull_policy != PullPolicy::always) {
        bool local = TRY(parse_source(image)).kind != SourceKind::registry;
        // A local source without REF may be stored under a name only the import knows: with
        // --pull missing it is imported again (blobs already stored are not copied twice).
        bool name_known = !local || TRY(parse_source(image)).local_ref != "";
        if (name_known || args.pull_policy == PullPolicy::never) {
            auto stored = TRY(find_stored(store, image));
            if (stored) return std::move(*stored);
            if (args.pull_policy == PullPolicy::never)
                return make_error(ENOENT, "image '%s' is not in the store (--pull never)",
                                  printable(image).c_str());
        }
    }
    PullResult pulled = TRY(pull_with_progress(store, args.pull));
    auto ref = TRY(store.find_ref(pulled.ref_name));
    if (!ref)
        return make_error(ENOENT, "'%s' is not in the store after pulling it",
                          pulled.ref_name.c_str());
    return std::move(*ref);
}

// -e NAME alone takes NAME's value from our environment, and is dropped when it is unset (as
// podman does).
std::vector<std::string> resolve_env(const std::vector<std::string>& given) {
    std::vector<std::string> env;
    for (const std::string& e : given) {
        if (e.find('=') != std::string::npos) {
            env.push_back(e);
        } else if (const char* v = getenv(e.c_str())) {
            env.push_back(e + "=" + v);
        }
    }
    return env;
}

RenderOptions render_options(const RenderArgs& args) {
    RenderOptions o;
    o.mode = args.rootfs;
    o.jobs = args.jobs;
    if (args.max_layer_bytes) o.limits.max_layer_bytes = *args.max_layer_bytes;
    if (args.max_layer_entries) o.limits.apply.max_entries = *args.max_layer_entries;
    o.limits.apply.create_devices = can_create_devices();
    RuntimeConfigOptions& r = o.runtime;
    r.entrypoint = args.entrypoint;
    r.cmd = args.command;
    // As podman and docker: a new entrypoint does not inherit the image's Cmd.
    if (args.entrypoint && !args.command) r.cmd = std::vector<std::string>();
    r.env = resolve_env(args.env);
    r.user = args.user;
    r.working_dir = args.workdir;
    r.hostname = args.hostname;
    r.terminal = args.tty;
    r.readonly_rootfs = args.read_only;
    r.seccomp = args.seccomp;
    return o;
}

int cmd_render(const GlobalOptions& global, const RenderArgs& args) {
    timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    auto store = Store::open(global.root, true);
    if (!store) {
        log_error("%s", store.error().message.c_str());
        return exit_failure;
    }
    auto ref = find_or_pull(*store, args);
    if (!ref) {
        log_error("%s", ref.error().message.c_str());
        return exit_failure;
    }
    auto local = load_local_image(*store, *ref);
    if (!local) {
        log_error("loading '%s': %s", ref->name.c_str(), local.error().message.c_str());
        return exit_failure;
    }
    RenderImage image{
        .name = ref->name,
        .manifest_digest = local->chosen ? local->chosen->digest : ref->target.digest,
        .manifest = std::move(local->manifest),
        .config_bytes = std::move(local->config_bytes),
    };

    // Worker threads report layer events; one mutex keeps each line whole. Layers are named by
    // their blob digest, as pull and inspect show them.
    std::mutex mu;
    std::vector<std::string> labels;
    for (const Descriptor& l : image.manifest.layers)
        labels.push_back(std::string(l.digest.alg_name()) + ":" + l.digest.short_hex());
    LayerProgress progress;
    if (!args.pull.quiet) {
        progress = [&mu, &labels](size_t index, const Digest&, bool done) {
            std::lock_guard lock(mu);
            const char* label = index < labels.size() ? labels[index].c_str() : "?";
            if (done)
                fprintf(stderr, "layer %zu/%zu done\n", index + 1, labels.size());
            else
                fprintf(stderr, "extracting layer %zu/%zu %s\n", index + 1, labels.size(), label);
            fflush(stderr);
        };
    }
    auto report = render_bundle(*store, image, args.bundle, render_options(args), progress);
    if (!report) {
        log_error("rendering '%s': %s", image.name.c_str(), report.error().message.c_str());
        return exit_failure;
    }
    if (!report->overlay_error.empty() && !args.pull.quiet)
        log_info("the root file system is a copy: %s", report->overlay_error.c_str());
    if (args.json)
        printf("%s\n", json_report(image, *report, seconds_since(start)).c_str());
    else
        printf("%s\n", report->bundle.c_str());
    return 0;
}

int cmd_unrender(const GlobalOptions&, const UnrenderArgs& args) {
    Status s = remove_bundle(args.bundle);
    if (!s) {
        log_error("%s", s.error().message.c_str());
        return exit_failure;
    }
    return 0;
}

}  // namespace ocipod
