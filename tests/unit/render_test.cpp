// Rendering from a store: ensure_layers extracts each layer once (a second run and an image that
// shares lower layers reuse them), a wrong diffID or a missing blob leaves no complete layer, and
// render_bundle makes the same tree as a flattened copy and as an overlay mount, with a
// config.json, which remove_bundle takes apart again.
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mutex>

#include "c/json.hpp"
#include "compress_fixture.hpp"
#include "oci/manifest.hpp"
#include "render/chain_id.hpp"
#include "render/render.hpp"
#include "store_fixture.hpp"
#include "tar_fixture.hpp"

// Last: CppUTest redefines new, which the standard headers above must not see.
#include <CppUTest/TestHarness.h>

using namespace ocipod;
using namespace ocipod::test;

namespace {

const std::string big_data = pattern_bytes(300 * 1000, 7);

std::string base_layer() {
    return TarBuilder()
        .dir("etc/")
        .file("etc/os-release", "base\n")
        .file("etc/passwd", "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n")
        .file("etc/group", "root:x:0:\napp:x:1000:\n")
        .dir("bin/")
        .file("bin/sh", "#!not really a shell\n")
        .finish();
}

std::string middle_layer() {
    return TarBuilder()
        .dir("etc/")
        .file("etc/.wh.os-release", "")
        .file("etc/one", "one\n")
        .dir("usr/")
        .file("usr/data", big_data)
        .finish();
}

std::string top_layer(const std::string& name) {
    return TarBuilder().file("etc/" + name, name + "\n").symlink("etc/link", "one").finish();
}

// An image of gzip layers, stored; diff_ids as the config lists them (normally the tars' own).
RenderImage store_image(Store& store, const std::vector<std::string>& tars,
                        std::vector<Digest> diff_ids = {}) {
    RenderImage img{"example.test/render:latest", sha256_of(""), {}, ""};
    img.manifest.media_type = std::string(media::oci_manifest);
    bool own = diff_ids.empty();
    for (const std::string& tar : tars) {
        std::string gz = gzip_bytes(tar);
        Descriptor d = descriptor_of(media::oci_layer_gzip, gz);
        CHECK(store.put_blob(d.digest, gz).ok());
        img.manifest.layers.push_back(d);
        if (own) diff_ids.push_back(sha256_of(tar));
    }
    std::string config =
        R"({"architecture":"amd64","os":"linux","config":{"Cmd":["/bin/sh","-c","true"],)"
        R"("Env":["A=1"]},"rootfs":{"type":"layers","diff_ids":[)";
    for (size_t i = 0; i < diff_ids.size(); ++i)
        config += (i ? ",\"" : "\"") + diff_ids[i].str() + "\"";
    config += "]}}";
    img.manifest.config = descriptor_of(media::oci_config, config);
    CHECK(store.put_blob(img.manifest.config.digest, config).ok());
    img.config_bytes = config;
    std::string manifest = manifest_json(img.manifest.config, img.manifest.layers);
    img.manifest_digest = sha256_of(manifest);
    CHECK(store.put_blob(img.manifest_digest, manifest).ok());
    return img;
}

bool is_root() {
    return geteuid() == 0;
}

bool is_mounted(const std::string& path) {
    std::string info = read_path("/proc/self/mountinfo");
    return info.find(" " + path + " ") != std::string::npos;
}

struct RenderTest : OpenStoreTest {
    RenderLimits limits;
    std::vector<std::string> tars = {base_layer(), middle_layer(), top_layer("two")};

    std::vector<Digest> ensure(const RenderImage& img, LayerCacheReport* rep, unsigned jobs = 0) {
        auto r = ensure_layers(*store, img, limits, jobs, rep);
        CHECK_TEXT(r.ok(), r.ok() ? "" : r.error().message.c_str());
        return r.ok() ? *r : std::vector<Digest>();
    }
    size_t complete_layers() {
        auto l = store->list_layers();
        CHECK(l.ok());
        return l->size();
    }
    RenderOptions options(RootfsMode mode) {
        RenderOptions o;
        o.mode = mode;
        o.limits = limits;
        return o;
    }

    // The merged tree of tars as a rootfs at path.
    void check_tree(const std::string& rootfs) {
        STRCMP_EQUAL("one\n", read_path(rootfs + "/etc/one").c_str());
        STRCMP_EQUAL("two\n", read_path(rootfs + "/etc/two").c_str());
        CHECK(read_path(rootfs + "/usr/data") == big_data);
        STRCMP_EQUAL("#!not really a shell\n", read_path(rootfs + "/bin/sh").c_str());
        CHECK(!path_exists(rootfs + "/etc/os-release"));  // whited out by the middle layer
        CHECK(!path_exists(rootfs + "/etc/.wh.os-release"));
        char target[64] = {};
        CHECK(readlink((rootfs + "/etc/link").c_str(), target, sizeof target - 1) == 3);
        STRCMP_EQUAL("one", target);
    }

    void check_config(const std::string& bundle) {
        auto doc = json_parse(read_path(bundle + "/config.json"), "config.json");
        CHECK_TEXT(doc.ok(), doc.ok() ? "" : doc.error().message.c_str());
        const json_t* process = json_object_get(doc->get(), "process");
        const json_t* args = json_object_get(process, "args");
        LONGS_EQUAL(3, json_array_size(args));
        STRCMP_EQUAL("/bin/sh", json_string_value(json_array_get(args, 0)));
        STRCMP_EQUAL("rootfs", json_string_value(
                                   json_object_get(json_object_get(doc->get(), "root"), "path")));
        struct stat st;
        CHECK(stat((bundle + "/config.json").c_str(), &st) == 0);
        LONGS_EQUAL(0644, st.st_mode & 07777);
    }

    std::string bundle_json_field(const std::string& bundle, const char* key) {
        auto doc = json_parse(read_path(bundle + "/.oci-pod/bundle.json"), "bundle.json");
        if (!doc) return "<unparsable>";
        const char* v = json_string_value(json_object_get(doc->get(), key));
        return v ? v : "<missing>";
    }
};

}  // namespace

TEST_GROUP_BASE(Render, RenderTest){};

TEST(Render, ExtractsEachLayerOnceThenReusesThem) {
    RenderImage img = store_image(*store, tars);
    std::mutex mu;
    std::vector<std::pair<size_t, bool>> events;
    LayerProgress progress = [&](size_t i, const Digest&, bool done) {
        std::lock_guard lock(mu);
        events.emplace_back(i, done);
    };
    LayerCacheReport rep;
    auto chain = ensure_layers(*store, img, limits, 0, &rep, progress);
    CHECK_TEXT(chain.ok(), chain.ok() ? "" : chain.error().message.c_str());
    std::vector<Digest> diff_ids;
    for (const std::string& t : tars) diff_ids.push_back(sha256_of(t));
    CHECK(*chain == chain_ids(diff_ids));
    LONGS_EQUAL(3, rep.extracted.size());
    LONGS_EQUAL(0, rep.reused.size());
    CHECK(rep.bytes_written >= big_data.size());
    CHECK(rep.entries >= 12);
    LONGS_EQUAL(3, complete_layers());
    LONGS_EQUAL(6, events.size());
    LONGS_EQUAL(3, std::count_if(events.begin(), events.end(), [](auto& e) { return e.second; }));
    // Each layer directory holds only its own changes.
    STRCMP_EQUAL("one\n", read_path(store->layer_fs_path((*chain)[1]) + "/etc/one").c_str());
    CHECK(!path_exists(store->layer_fs_path((*chain)[0]) + "/etc/one"));
    auto json =
        json_parse(read_path(store->layer_fs_path((*chain)[2]) + "/../layer.json"), "layer.json");
    CHECK(json.ok());
    STRCMP_EQUAL((*chain)[1].str().c_str(),
                 json_string_value(json_object_get(json->get(), "parent")));
    STRCMP_EQUAL(diff_ids[2].str().c_str(),
                 json_string_value(json_object_get(json->get(), "diffID")));

    LayerCacheReport again;
    CHECK(ensure(img, &again) == *chain);
    LONGS_EQUAL(0, again.extracted.size());
    LONGS_EQUAL(3, again.reused.size());
    LONGS_EQUAL(0, again.bytes_written);
}

TEST(Render, AnImageSharingLowerLayersExtractsOnlyItsOwn) {
    LayerCacheReport first;
    std::vector<Digest> a = ensure(store_image(*store, tars), &first);
    std::vector<std::string> other = {tars[0], tars[1], top_layer("three")};
    LayerCacheReport second;
    std::vector<Digest> b = ensure(store_image(*store, other), &second, 1);
    LONGS_EQUAL(3, b.size());
    CHECK(a[0] == b[0] && a[1] == b[1] && !(a[2] == b[2]));
    LONGS_EQUAL(2, second.reused.size());
    LONGS_EQUAL(1, second.extracted.size());
    CHECK(second.extracted[0] == b[2]);
    LONGS_EQUAL(4, complete_layers());
}

TEST(Render, WrongDiffIdCommitsNothingOfThatLayer) {
    std::vector<Digest> diff_ids = {sha256_of(tars[0]), sha256_of(tars[1]), sha256_of("other")};
    RenderImage img = store_image(*store, tars, diff_ids);
    LayerCacheReport rep;
    auto r = ensure_layers(*store, img, limits, 0, &rep);
    CHECK(!r.ok());
    LONGS_EQUAL(EBADMSG, r.error().code);
    CHECK_TEXT(r.error().message.find("diffID is " + sha256_of(tars[2]).str()) != std::string::npos,
               r.error().message.c_str());
    std::vector<Digest> chain = chain_ids(diff_ids);
    auto layers = store->list_layers();
    CHECK(layers.ok());
    CHECK(std::find(layers->begin(), layers->end(), chain[2]) == layers->end());
    auto fd = store->open_layer(chain[2]);
    CHECK(fd.ok() && !fd->has_value());
    // What the failed extraction wrote is gone already, not left for the next writer.
    LONGS_EQUAL(0, dir_entries(root + "/layers/.staging-sha256-" + chain[2].hex() + "/fs").size());
}

TEST(Render, WrongBottomDiffIdCommitsNoLayer) {
    std::vector<Digest> diff_ids = {sha256_of("other"), sha256_of(tars[1]), sha256_of(tars[2])};
    RenderImage img = store_image(*store, tars, diff_ids);
    auto r = ensure_layers(*store, img, limits, 3, nullptr);
    CHECK(!r.ok());
    LONGS_EQUAL(EBADMSG, r.error().code);
    LONGS_EQUAL(0, complete_layers());
}

TEST(Render, MissingBlobIsNamed) {
    RenderImage img = store_image(*store, tars);
    std::string gz = gzip_bytes(top_layer("absent"));
    img.manifest.layers[2] = descriptor_of(media::oci_layer_gzip, gz);
    auto r = ensure_layers(*store, img, limits, 0, nullptr);
    CHECK(!r.ok());
    LONGS_EQUAL(ENOENT, r.error().code);
    CHECK_TEXT(
        r.error().message.find("is not in the store; pull the image again") != std::string::npos,
        r.error().message.c_str());
    LONGS_EQUAL(0, complete_layers());
}

TEST(Render, CopyBundle) {
    RenderImage img = store_image(*store, tars);
    std::string bundle = *dir / "bundle";
    auto r = render_bundle(*store, img, bundle, options(RootfsMode::copy));
    CHECK_TEXT(r.ok(), r.ok() ? "" : r.error().message.c_str());
    CHECK(r->mode == RootfsMode::copy);
    STRCMP_EQUAL(bundle.c_str(), r->bundle.c_str());
    CHECK(r->rootfs_bytes_copied >= big_data.size());
    LONGS_EQUAL(3, r->layers.extracted.size());
    check_tree(bundle + "/rootfs");
    check_config(bundle);
    STRCMP_EQUAL("copy", bundle_json_field(bundle, "rootfs").c_str());
    STRCMP_EQUAL(img.name.c_str(), bundle_json_field(bundle, "image").c_str());
    STRCMP_EQUAL(img.manifest_digest.str().c_str(), bundle_json_field(bundle, "manifest").c_str());
    // The copy shares no data with the cache.
    struct stat a, b;
    CHECK(stat((bundle + "/rootfs/usr/data").c_str(), &a) == 0);
    CHECK(stat((store->layer_fs_path(r->layers.extracted[1]) + "/usr/data").c_str(), &b) == 0);
    CHECK(a.st_ino != b.st_ino || a.st_dev != b.st_dev);

    auto st = remove_bundle(bundle);
    CHECK_TEXT(st.ok(), st.ok() ? "" : st.error().message.c_str());
    CHECK(!path_exists(bundle));
    LONGS_EQUAL(3, complete_layers());  // the cache stays
}

TEST(Render, OverlayBundle) {
    if (!is_root()) {
        printf("\n  skipped Render.OverlayBundle: mounting overlayfs needs root\n");
        return;
    }
    RenderImage img = store_image(*store, tars);
    std::string bundle = *dir / "bundle";
    auto r = render_bundle(*store, img, bundle, options(RootfsMode::overlay));
    CHECK_TEXT(r.ok(), r.ok() ? "" : r.error().message.c_str());
    CHECK(r->mode == RootfsMode::overlay);
    CHECK(is_mounted(bundle + "/rootfs"));
    check_tree(bundle + "/rootfs");
    check_config(bundle);
    STRCMP_EQUAL("overlay", bundle_json_field(bundle, "rootfs").c_str());
    // Writes go to the bundle's upper dir, never into the cache.
    write_path(bundle + "/rootfs/etc/new", "x");
    CHECK(path_exists(bundle + "/.oci-pod/upper/etc/new"));
    for (const Digest& c : r->layers.extracted)
        CHECK(!path_exists(store->layer_fs_path(c) + "/etc/new"));

    auto st = remove_bundle(bundle);
    CHECK_TEXT(st.ok(), st.ok() ? "" : st.error().message.c_str());
    CHECK(!is_mounted(bundle + "/rootfs"));
    CHECK(!path_exists(bundle));
    LONGS_EQUAL(3, complete_layers());
}

// An opaque marker at the root of the top layer hides every lower layer; overlayfs ignores the
// xattr on a lowerdir's root, so the mount must leave those layers out (THREATS D44).
TEST(Render, OverlayOfAnOpaqueRootShowsOnlyTheTopLayer) {
    if (!is_root()) {
        printf("\n  skipped Render.OverlayOfAnOpaqueRootShowsOnlyTheTopLayer: needs root\n");
        return;
    }
    std::string top = TarBuilder().file(".wh..wh..opq", "").file("only", "x").finish();
    RenderImage img = store_image(*store, {tars[0], top});
    for (RootfsMode mode : {RootfsMode::overlay, RootfsMode::copy}) {
        std::string bundle = *dir / rootfs_mode_name(mode);
        auto r = render_bundle(*store, img, bundle, options(mode));
        CHECK_TEXT(r.ok(), r.ok() ? "" : r.error().message.c_str());
        std::vector<std::string> names = dir_entries(bundle + "/rootfs");
        LONGS_EQUAL_TEXT(1, names.size(), rootfs_mode_name(mode));
        STRCMP_EQUAL("x", read_path(bundle + "/rootfs/only").c_str());
        CHECK(remove_bundle(bundle).ok());
    }
}

TEST(Render, AutomaticModeChoosesOne) {
    RenderImage img = store_image(*store, tars);
    std::string bundle = *dir / "bundle";
    auto r = render_bundle(*store, img, bundle, options(RootfsMode::automatic));
    CHECK_TEXT(r.ok(), r.ok() ? "" : r.error().message.c_str());
    CHECK(r->mode != RootfsMode::automatic);
    STRCMP_EQUAL(rootfs_mode_name(r->mode), bundle_json_field(bundle, "rootfs").c_str());
    check_tree(bundle + "/rootfs");
    CHECK(remove_bundle(bundle).ok());
    CHECK(!path_exists(bundle));
}

TEST(Render, NonEmptyDirectoryIsRefused) {
    RenderImage img = store_image(*store, tars);
    std::string bundle = *dir / "bundle";
    CHECK(mkdir(bundle.c_str(), 0755) == 0);
    write_path(bundle + "/mine", "keep");
    auto r = render_bundle(*store, img, bundle, options(RootfsMode::copy));
    CHECK(!r.ok());
    CHECK_TEXT(r.error().message.find("is not empty, refusing") != std::string::npos,
               r.error().message.c_str());
    LONGS_EQUAL(1, dir_entries(bundle).size());
    STRCMP_EQUAL("keep", read_path(bundle + "/mine").c_str());
    LONGS_EQUAL(0, complete_layers());
}

TEST(Render, FailureLeavesNothingInTheBundle) {
    std::vector<Digest> diff_ids = {sha256_of(tars[0]), sha256_of(tars[1]), sha256_of("other")};
    RenderImage img = store_image(*store, tars, diff_ids);
    std::string made = *dir / "made";
    auto r = render_bundle(*store, img, made, options(RootfsMode::copy));
    CHECK(!r.ok());
    CHECK(!path_exists(made));
    std::string existing = *dir / "existing";
    CHECK(mkdir(existing.c_str(), 0755) == 0);
    r = render_bundle(*store, img, existing, options(RootfsMode::copy));
    CHECK(!r.ok());
    CHECK(path_exists(existing));
    LONGS_EQUAL(0, dir_entries(existing).size());
}

TEST(Render, RemoveRefusesWhatItDidNotMake) {
    std::string other = *dir / "other";
    CHECK(mkdir(other.c_str(), 0755) == 0);
    write_path(other + "/file", "keep");
    auto st = remove_bundle(other);
    CHECK(!st.ok());
    CHECK_TEXT(st.error().message.find("refusing") != std::string::npos,
               st.error().message.c_str());
    STRCMP_EQUAL("keep", read_path(other + "/file").c_str());
}
