// render_bundle and remove_bundle (render.hpp): a bundle directory made of the layer cache.
//
//   DIR/config.json           make_runtime_config
//   DIR/rootfs/               overlay mount of the layer dirs, or their flattened copy
//   DIR/.oci-pod/bundle.json  {"image","manifest","chain","rootfs","created"}: what to undo
//   DIR/.oci-pod/upper, work  the overlay's writable layer (overlay mode only)
//
// bundle.json is written before the root file system is made, so that a bundle interrupted
// after its overlay was mounted can still be removed with remove_bundle.
#include <dirent.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include <optional>

#include "base/fs.hpp"
#include "c/json.hpp"
#include "oci/run_config.hpp"
#include "render/apply_meta.hpp"
#include "render/overlay_form.hpp"
#include "render/render.hpp"
#include "store/leases.hpp"

namespace ocipod {

namespace {

constexpr const char* state_dir = ".oci-pod";
constexpr const char* bundle_json = "bundle.json";
constexpr size_t max_bundle_json_bytes = 1 << 20;

std::string absolute(const std::string& path) {
    if (!path.empty() && path[0] == '/') return path;
    char buf[4096];
    if (!getcwd(buf, sizeof buf)) return path;
    return std::string(buf) + "/" + path;
}

Result<UniqueFd> open_subdir(int dirfd, const char* name, const std::string& shown) {
    int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) return errno_error("opening '%s'", shown.c_str());
    return UniqueFd(fd);
}

Status make_subdir(int dirfd, const char* name, mode_t mode, const std::string& shown) {
    if (mkdirat(dirfd, name, mode) < 0) return errno_error("creating '%s'", shown.c_str());
    return {};
}

// Whether path is the root of a mount: the kernel says so (statx), or its device differs from
// its parent's.
Result<bool> is_mount_point(int parent_fd, const char* name, const std::string& shown) {
    struct statx sx;
    if (statx(parent_fd, name, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &sx) < 0) {
        if (errno == ENOENT) return false;
        return errno_error("stat '%s'", shown.c_str());
    }
    if (sx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT)
        return (sx.stx_attributes & STATX_ATTR_MOUNT_ROOT) != 0;
    struct stat parent;
    if (fstat(parent_fd, &parent) < 0) return errno_error("stat the parent of '%s'", shown.c_str());
    return makedev(sx.stx_dev_major, sx.stx_dev_minor) != parent.st_dev;
}

Status unmount_rootfs(const std::string& rootfs) {
    if (umount2(rootfs.c_str(), UMOUNT_NOFOLLOW) == 0) return {};
    if (errno == EBUSY)
        return make_error(EBUSY, "'%s' is busy (is a container running from it?), refusing",
                          rootfs.c_str());
    return errno_error("unmounting '%s'", rootfs.c_str());
}

// DIR, created or found empty; *created tells which.
Result<UniqueFd> open_bundle_dir(const std::string& dir, bool* created) {
    *created = mkdir(dir.c_str(), 0755) == 0;
    if (!*created && errno != EEXIST) return errno_error("creating '%s'", dir.c_str());
    int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) return errno_error("opening bundle directory '%s'", dir.c_str());
    UniqueFd dir_fd(fd);
    if (!*created) {
        std::vector<std::string> names;
        int probe = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (DIR* d = probe >= 0 ? fdopendir(probe) : nullptr) {
            while (struct dirent* de = readdir(d)) {
                std::string n = de->d_name;
                if (n != "." && n != "..") names.push_back(n);
            }
            closedir(d);
        } else {
            if (probe >= 0) close(probe);
            return errno_error("reading bundle directory '%s'", dir.c_str());
        }
        if (!names.empty())
            return make_error(EEXIST, "bundle directory '%s' is not empty, refusing", dir.c_str());
    }
    return dir_fd;
}

std::string bundle_json_text(const RenderImage& image, const std::vector<Digest>& chain,
                             RootfsMode mode, const std::string& store_root) {
    JsonPtr o(json_object());
    json_object_set_new(o.get(), "store", json_string(store_root.c_str()));
    json_object_set_new(o.get(), "image", json_string(image.name.c_str()));
    json_object_set_new(o.get(), "manifest", json_string(image.manifest_digest.str().c_str()));
    JsonPtr arr(json_array());
    for (const Digest& d : chain) json_array_append_new(arr.get(), json_string(d.str().c_str()));
    json_object_set_new(o.get(), "chain", arr.release());
    json_object_set_new(o.get(), "rootfs", json_string(rootfs_mode_name(mode)));
    json_object_set_new(o.get(), "created", json_string(now_rfc3339().c_str()));
    return json_dump(o.get(), true) + "\n";
}

// What render_bundle has made so far, undone on failure.
struct BundleUndo {
    std::string dir;
    UniqueFd dir_fd;
    bool created_dir = false;
    bool mounted = false;
    bool armed = true;
    std::string lease_root;  // the store whose lease of dir to drop

    ~BundleUndo() {
        if (!armed) return;
        if (mounted && umount2((dir + "/rootfs").c_str(), UMOUNT_NOFOLLOW) < 0)
            umount2((dir + "/rootfs").c_str(), MNT_DETACH | UMOUNT_NOFOLLOW);
        if (created_dir) {
            (void)remove_tree(AT_FDCWD, dir);
        } else if (dir_fd) {
            // DIR was empty: everything in it is ours.
            for (const char* name : {"config.json", "rootfs", state_dir})
                (void)remove_tree(dir_fd.get(), name);
        }
        if (!lease_root.empty()) (void)remove_lease(lease_root, dir);
    }
};

Status make_overlay(Store& store, const std::vector<Digest>& chain, int state_fd,
                    const std::string& dir) {
    const std::string state = dir + "/" + state_dir;
    TRY(make_subdir(state_fd, "upper", 0755, state + "/upper"));
    TRY(make_subdir(state_fd, "work", 0700, state + "/work"));
    UniqueFd upper = TRY(open_subdir(state_fd, "upper", state + "/upper"));
    std::optional<UniqueFd> top = TRY(store.open_layer(chain.back()));
    if (!top) return make_error(EIO, "layer %s is not complete", chain.back().str().c_str());
    // The overlay's root directory shows the upper directory's owner, mode, xattrs and times:
    // give it those of the topmost layer's root, as the flattened copy has them.
    TRY_WRAP(copy_meta_fd(top->get(), upper.get(), true), "the upper directory");
    std::vector<std::string> lowers;
    for (size_t i = chain.size(); i-- > 0;) {
        lowers.push_back(store.layer_fs_path(chain[i]));
        // overlayfs ignores the opaque xattr on a lowerdir's own root, so a layer that hides
        // everything below it ends the list instead.
        std::optional<UniqueFd> fd = TRY(store.open_layer(chain[i]));
        if (!fd) return make_error(EIO, "layer %s is not complete", chain[i].str().c_str());
        if (TRY_WRAP(has_opaque_marker(fd->get()), strf("layer %s", chain[i].str().c_str()))) break;
    }
    return mount_overlay(lowers, state + "/upper", state + "/work", dir + "/rootfs");
}

Status make_copy(Store& store, const std::vector<Digest>& chain, int rootfs_fd, uint64_t* bytes) {
    std::vector<UniqueFd> fds;
    std::vector<int> layers;
    for (const Digest& c : chain) {
        std::optional<UniqueFd> fd = TRY(store.open_layer(c));
        if (!fd) return make_error(EIO, "layer %s is not complete", c.str().c_str());
        layers.push_back(fd->get());
        fds.push_back(std::move(*fd));
    }
    return flatten_layers(layers, rootfs_fd, bytes);
}

}  // namespace

Result<RenderReport> render_bundle(Store& store, const RenderImage& image,
                                   const std::string& bundle_dir, const RenderOptions& options,
                                   const LayerProgress& progress) {
    RenderReport report;
    const std::string dir = absolute(bundle_dir);
    report.bundle = dir;
    // Declared first, so that it runs after every fd below is closed (an open fd inside the
    // overlay would keep it busy).
    BundleUndo undo;
    undo.dir = dir;
    undo.dir_fd = TRY(open_bundle_dir(dir, &undo.created_dir));
    const int dir_fd = undo.dir_fd.get();
    const std::string state = dir + "/" + state_dir;
    TRY(make_subdir(dir_fd, state_dir, 0700, state));
    UniqueFd state_fd = TRY(open_subdir(dir_fd, state_dir, state));

    std::vector<Digest> chain =
        TRY(ensure_layers(store, image, options.limits, options.jobs, &report.layers, progress));

    // Automatic mode tries the overlay and falls back to a copy when the mount fails (no
    // overlayfs, a store on a file system overlayfs cannot use as a lower, an upper dir on one it
    // cannot write to), rather than probing first: the probe's extra mount and unmount cost more
    // than a warm render does. overlayfs needs at least one lower layer.
    RootfsMode mode = options.mode;
    if (mode == RootfsMode::automatic)
        mode = chain.empty() ? RootfsMode::copy : RootfsMode::overlay;
    // An overlay keeps using the cached layers: leased before it exists (store/leases.hpp).
    if (mode == RootfsMode::overlay) {
        std::vector<std::string> chain_names;
        for (const Digest& d : chain) chain_names.push_back(d.str());
        TRY(write_lease(store.root(),
                        Lease{.id = "",
                              .bundle = dir,
                              .manifest = image.manifest_digest.str(),
                              .chain = chain_names},
                        options.config_sync));
        undo.lease_root = store.root();
    }
    // bundle.json comes before the mount, so that a crash after mounting can still be undone.
    TRY(write_file_atomic(state_fd.get(), bundle_json,
                          bundle_json_text(image, chain, mode, store.root()), 0644));
    TRY(make_subdir(dir_fd, "rootfs", 0755, dir + "/rootfs"));
    if (mode == RootfsMode::overlay) {
        if (chain.empty())
            return make_error(EINVAL, "an image without layers cannot be an overlay");
        Status mounted = make_overlay(store, chain, state_fd.get(), dir);
        if (mounted.ok()) {
            undo.mounted = true;
        } else if (options.mode == RootfsMode::automatic) {
            report.overlay_error = mounted.error().message;
            mode = RootfsMode::copy;
            for (const char* name : {"upper", "work"}) TRY(remove_tree(state_fd.get(), name));
            TRY(write_file_atomic(state_fd.get(), bundle_json,
                                  bundle_json_text(image, chain, mode, store.root()), 0644));
            TRY(remove_lease(store.root(), dir));
            undo.lease_root.clear();
        } else {
            return std::move(mounted).error();
        }
    }
    report.mode = mode;
    UniqueFd rootfs_fd = TRY(open_subdir(dir_fd, "rootfs", dir + "/rootfs"));
    if (mode == RootfsMode::copy)
        TRY_WRAP(make_copy(store, chain, rootfs_fd.get(), &report.rootfs_bytes_copied),
                 "flattening the layers");

    ImageRunConfig run = TRY_WRAP(parse_image_run_config(image.config_bytes), "image config");
    std::string config = TRY(make_runtime_config(run, rootfs_fd.get(), options.runtime));
    TRY(write_file_atomic(dir_fd, "config.json", config, 0644, options.config_sync));
    undo.armed = false;
    return report;
}

Status remove_bundle(const std::string& bundle_dir) {
    const std::string dir = absolute(bundle_dir);
    int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) return errno_error("opening bundle directory '%s'", dir.c_str());
    UniqueFd dir_fd(fd);
    std::string shown = dir + "/" + state_dir + "/" + bundle_json;
    auto bytes = read_file_capped(dir_fd.get(), std::string(state_dir) + "/" + bundle_json,
                                  max_bundle_json_bytes);
    if (!bytes) {
        if (bytes.error().code == ENOENT)
            return make_error(ENOENT, "'%s' has no '%s/%s'; not a bundle made by oci-pod, refusing",
                              dir.c_str(), state_dir, bundle_json);
        return std::move(bytes).error().wrap(strf("reading '%s'", shown.c_str()));
    }
    JsonPtr doc = TRY(json_parse(*bytes, shown.c_str()));
    std::string mode = TRY_WRAP(json_req_string(doc.get(), "rootfs"), shown);

    const std::string rootfs = dir + "/rootfs";
    if (TRY(is_mount_point(dir_fd.get(), "rootfs", rootfs))) {
        if (mode != "overlay")
            return make_error(EBUSY, "'%s' is a mount point that oci-pod did not make, refusing",
                              rootfs.c_str());
        TRY(unmount_rootfs(rootfs));
        // Something mounted over our overlay is not ours to remove.
        if (TRY(is_mount_point(dir_fd.get(), "rootfs", rootfs)))
            return make_error(EBUSY, "'%s' is still a mount point, refusing", rootfs.c_str());
    }
    TRY(remove_tree(AT_FDCWD, dir).wrap(strf("removing bundle '%s'", dir.c_str())));
    // Bundles rendered before leases existed name no store.
    const json_t* store = json_object_get(doc.get(), "store");
    if (json_is_string(store)) TRY(remove_lease(json_string_value(store), dir));
    return {};
}

}  // namespace ocipod
