#include "cli/garbage_collector.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <ctime>
#include <map>
#include <set>

#include "base/fs.hpp"
#include "c/json.hpp"
#include "cli/pod_runner.hpp"
#include "oci/manifest.hpp"
#include "render/chain_id.hpp"
#include "store/leases.hpp"
#include "store/pods.hpp"
#include "store/store.hpp"

namespace ocipod {

namespace {

constexpr size_t max_bundle_json_bytes = 1 << 20;
// An index of indexes deeper than this is not an image.
constexpr int max_index_depth = 4;

struct Marks {
    std::set<std::string> blobs;
    std::set<std::string> layers;
    bool blobs_uncertain = false;
    bool layers_uncertain = false;
    std::vector<std::string> warnings;
};

int64_t mtime_of(const std::string& path) {
    struct stat st;
    return stat(path.c_str(), &st) == 0 ? int64_t(st.st_mtime) : 0;
}

void mark_manifest(Store& store, const std::string& digest, const std::string& media_type,
                   Marks& marks, int depth) {
    if (depth > max_index_depth || !marks.blobs.insert(digest).second) return;
    auto d = Digest::parse(digest);
    if (!d || !store.has_blob(*d)) return;  // a platform of an index that was not pulled
    auto bytes = store.read_blob(*d, max_manifest_bytes);
    auto doc = bytes ? parse_manifest_document(*bytes, "", media_type)
                     : Result<ManifestDocument>(bytes.error());
    if (!doc) {
        marks.blobs_uncertain = marks.layers_uncertain = true;
        marks.warnings.push_back(strf("manifest %s: %s; no blob or layer is removed",
                                      digest.c_str(), doc.error().message.c_str()));
        return;
    }
    if (const Index* index = std::get_if<Index>(&*doc)) {
        for (const Descriptor& m : index->manifests)
            mark_manifest(store, m.digest.str(), m.media_type, marks, depth + 1);
        return;
    }
    const Manifest& manifest = std::get<Manifest>(*doc);
    marks.blobs.insert(manifest.config.digest.str());
    for (const Descriptor& l : manifest.layers) marks.blobs.insert(l.digest.str());
    auto config = store.read_blob(manifest.config.digest, max_config_bytes);
    if (!config) {
        marks.layers_uncertain = true;
        marks.warnings.push_back(strf("config %s: %s; no layer is removed",
                                      manifest.config.digest.str().c_str(),
                                      config.error().message.c_str()));
        return;
    }
    // A config that is not an image's (an artifact) names no layers to keep.
    auto image = parse_image_config(*config);
    if (!image) return;
    for (const Digest& c : chain_ids(image->diff_ids)) marks.layers.insert(c.str());
}

void mark_chain(const std::vector<std::string>& chain, Marks& marks) {
    for (const std::string& c : chain) marks.layers.insert(c);
}

// The image and chain a bundle's bundle.json names; false when it has none (not rendered, or
// gone). An unreadable one makes the layers uncertain.
bool mark_bundle(Store& store, const std::string& bundle, Marks& marks) {
    std::string path = bundle + "/.oci-pod/bundle.json";
    auto text = read_file_capped(AT_FDCWD, path, max_bundle_json_bytes);
    if (!text) {
        if (text.error().code == ENOENT) return false;
        marks.layers_uncertain = true;
        marks.warnings.push_back(
            strf("%s; no layer is removed", text.error().wrap(path).message.c_str()));
        return true;
    }
    auto doc = json_parse(*text, path.c_str());
    const json_t* chain = doc ? json_object_get(doc->get(), "chain") : nullptr;
    if (!doc || !json_is_array(chain)) {
        marks.layers_uncertain = true;
        marks.warnings.push_back(strf("%s: no chain; no layer is removed", path.c_str()));
        return true;
    }
    for (size_t i = 0; i < json_array_size(chain); ++i)
        if (const char* c = json_string_value(json_array_get(chain, i))) marks.layers.insert(c);
    if (const char* m = json_string_value(json_object_get(doc->get(), "manifest")))
        mark_manifest(store, m, "", marks, 0);
    return true;
}

bool exists(const std::string& path) {
    struct stat st;
    return lstat(path.c_str(), &st) == 0;
}

std::string parent_of(const std::string& path) {
    size_t slash = path.rfind('/');
    return slash == 0 || slash == std::string::npos ? "/" : path.substr(0, slash);
}

const char* kind_name(StoreObject::Kind kind) {
    switch (kind) {
        case StoreObject::Kind::blob:
            return "blob";
        case StoreObject::Kind::layer:
            return "layer";
        case StoreObject::Kind::ingest:
            return "ingest";
        case StoreObject::Kind::leftover:
            return "leftover";
    }
    return "";
}

// Ended transient pods older than the grace period: removed (or listed, with dry_run). Their
// names are returned so that their bundles root nothing.
std::set<std::string> sweep_pods(const PodDirs& dirs, const GcOptions& options, GcReport& report) {
    std::set<std::string> gone;
    auto names = list_pods(dirs);
    if (!names) {
        report.warnings.push_back(names.error().message);
        return gone;
    }
    const int64_t now = time(nullptr);
    for (const std::string& name : *names) {
        auto record = read_pod(dirs, name);
        if (!record || !record->remove) continue;
        std::string exit_file = dirs.exit_file(name);
        int64_t ended = exists(exit_file) ? mtime_of(exit_file) : mtime_of(dirs.pod_dir(name));
        if (now - ended < options.grace_sec) continue;
        // The pod's lock: a pod that runs (or starts now) is not touched.
        auto lock = lock_pod(dirs, name);
        if (!lock) continue;
        GcItem item{"pod", name, disk_usage(AT_FDCWD, dirs.pod_dir(name))};
        if (!options.dry_run) {
            if (Status s = remove_pod(dirs, name); !s) {
                report.warnings.push_back(s.error().message);
                continue;
            }
        }
        gone.insert(name);
        report.bytes += item.bytes;
        report.removed.push_back(std::move(item));
    }
    return gone;
}

}  // namespace

Result<GcReport> collect_garbage(const std::string& root, const GcOptions& options) {
    GcReport report;
    PodDirs dirs(root);
    std::set<std::string> gone_pods = sweep_pods(dirs, options, report);

    Store store = TRY(Store::open_exclusive(root));
    Marks marks;
    for (const RefEntry& ref : TRY(store.list_refs()))
        mark_manifest(store, ref.target.digest.str(), ref.target.media_type, marks, 0);
    std::set<std::string> pod_bundles;
    if (auto names = list_pods(dirs)) {
        for (const std::string& name : *names) {
            pod_bundles.insert(dirs.bundle_dir(name));
            if (!gone_pods.count(name)) mark_bundle(store, dirs.bundle_dir(name), marks);
        }
    } else {
        return names.error();
    }
    for (const Lease& lease : TRY(list_leases(root))) {
        bool of_gone_pod = false;
        for (const std::string& name : gone_pods)
            of_gone_pod |= lease.bundle == dirs.bundle_dir(name);
        if (of_gone_pod) continue;
        if (mark_bundle(store, lease.bundle, marks)) continue;
        if (!exists(parent_of(lease.bundle))) {
            // Perhaps on a file system not mounted now: its bundle may come back.
            mark_chain(lease.chain, marks);
            mark_manifest(store, lease.manifest, "", marks, 0);
            continue;
        }
        if (pod_bundles.count(lease.bundle) && exists(lease.bundle)) {
            mark_chain(lease.chain, marks);  // a pod's bundle being made or unmade
            continue;
        }
        if (!options.dry_run) {
            if (Status s = remove_lease_id(root, lease.id); !s) {
                report.warnings.push_back(s.error().message);
                continue;
            }
        }
        report.removed.push_back(GcItem{"lease", lease.bundle, 0});
    }

    if (marks.blobs_uncertain || marks.layers_uncertain)
        report.warnings.insert(report.warnings.end(), marks.warnings.begin(), marks.warnings.end());
    const int64_t now = time(nullptr);
    for (const StoreObject& o : TRY(store.list_objects())) {
        bool sweep = false;
        switch (o.kind) {
            case StoreObject::Kind::blob:
                sweep = !marks.blobs_uncertain && !marks.blobs.count(o.name);
                break;
            case StoreObject::Kind::layer:
                sweep = !marks.layers_uncertain && !marks.layers.count(o.name);
                break;
            case StoreObject::Kind::ingest:
                sweep = now - o.mtime >= options.leftover_age_sec;
                break;
            case StoreObject::Kind::leftover:
                sweep =
                    starts_with(o.name, ".removing-") || now - o.mtime >= options.leftover_age_sec;
                break;
        }
        if (!sweep) continue;
        if (!options.dry_run) {
            if (Status s = store.remove_object(o); !s) {
                report.warnings.push_back(s.error().message);
                continue;
            }
        }
        report.bytes += o.bytes;
        report.removed.push_back(GcItem{kind_name(o.kind), o.name, o.bytes});
    }
    return report;
}

std::optional<int64_t> parse_duration(std::string_view text) {
    if (text.empty()) return std::nullopt;
    int64_t unit = 1;
    switch (text.back()) {
        case 's':
            unit = 1;
            break;
        case 'm':
            unit = 60;
            break;
        case 'h':
            unit = 3600;
            break;
        case 'd':
            unit = 86400;
            break;
        default:
            unit = 0;
            break;
    }
    if (unit != 0)
        text.remove_suffix(1);
    else
        unit = 1;
    auto n = parse_u64(text);
    if (!n || *n > uint64_t(INT64_MAX) / uint64_t(unit)) return std::nullopt;
    return int64_t(*n) * unit;
}

}  // namespace ocipod
