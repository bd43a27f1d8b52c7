// Helpers for the puller and local-source tests: small OCI images assembled in memory and written
// out as a layout directory, a tar of one, or a `docker save` archive.
#pragma once

#include <stdio.h>
#include <string.h>

#include <map>
#include <string>
#include <vector>

#include "fetch/puller.hpp"
#include "oci/descriptor.hpp"
#include "oci/media_types.hpp"
#include "store/store.hpp"
#include "store_fixture.hpp"
#include "tar_fixture.hpp"

namespace ocipod::test {

inline std::string layer_tar(unsigned seed) {
    return TarBuilder()
        .dir("etc/")
        .file("etc/hello-" + std::to_string(seed), pattern_bytes(1000 + seed, seed))
        .finish();
}

inline std::string config_json(const std::string& arch, const std::vector<Digest>& diff_ids,
                               const std::string& os = "linux") {
    std::string s = R"({"architecture":")" + arch + R"(","os":")" + os +
                    R"(","config":{"Cmd":["/bin/sh"]},"rootfs":{"type":"layers","diff_ids":[)";
    for (size_t i = 0; i < diff_ids.size(); ++i) s += (i ? ",\"" : "\"") + diff_ids[i].str() + "\"";
    return s + "]}}";
}

// A JSON descriptor with extra members (platform, annotations) spliced in.
inline std::string descriptor_json_with(const Descriptor& d, const std::string& extra) {
    std::string s = descriptor_json(d);
    if (extra.empty()) return s;
    s.pop_back();
    return s + "," + extra + "}";
}

inline std::string ref_annotation(const std::string& name) {
    return R"("annotations":{"org.opencontainers.image.ref.name":")" + name + "\"}";
}
inline std::string platform_json(const std::string& arch) {
    return R"("platform":{"architecture":")" + arch + R"(","os":"linux"})";
}

struct BuiltImage {
    Descriptor manifest;
    Descriptor config;
    std::vector<Descriptor> layers;
};

// The files of an OCI image layout, in memory.
class LayoutFiles {
public:
    std::map<std::string, std::string> files;
    std::vector<std::string> index_entries;  // JSON descriptors for index.json

    Descriptor blob(std::string_view media_type, const std::string& bytes) {
        Descriptor d = descriptor_of(media_type, bytes);
        files["blobs/sha256/" + d.digest.hex()] = bytes;
        return d;
    }

    BuiltImage image(const std::string& arch, unsigned seed) {
        BuiltImage img;
        img.layers.push_back(blob(media::oci_layer_tar, layer_tar(seed)));
        img.config = blob(media::oci_config, config_json(arch, {img.layers[0].digest}));
        img.manifest = blob(media::oci_manifest, manifest_json(img.config, img.layers));
        return img;
    }

    // A layout of just this image: its index.json entry carries `extra` (annotations, platform).
    BuiltImage single_image(const std::string& arch, unsigned seed, const std::string& extra = "") {
        BuiltImage img = image(arch, seed);
        entry(img.manifest, extra);
        finish_index();
        return img;
    }

    void entry(const Descriptor& d, const std::string& extra = "") {
        index_entries.push_back(descriptor_json_with(d, extra));
    }

    void finish_index(const std::string& raw_index = "") {
        files["oci-layout"] = R"({"imageLayoutVersion":"1.0.0"})";
        if (!raw_index.empty()) {
            files["index.json"] = raw_index;
            return;
        }
        std::string s =
            R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[)";
        for (size_t i = 0; i < index_entries.size(); ++i) s += (i ? "," : "") + index_entries[i];
        files["index.json"] = s + "]}";
    }

    void write_dir(const std::string& dir) const {
        mkdir(dir.c_str(), 0755);
        mkdir((dir + "/blobs").c_str(), 0755);
        mkdir((dir + "/blobs/sha256").c_str(), 0755);
        for (const auto& [name, data] : files) write_path(dir + "/" + name, data);
    }

    // A tar of the layout; prefix "./" gives GNU tar's default member names.
    TarBuilder tar(const std::string& prefix = "") const {
        TarBuilder t;
        t.dir(prefix + "blobs/").dir(prefix + "blobs/sha256/");
        for (const auto& [name, data] : files) t.file(prefix + name, data);
        return t;
    }
};

// Common state: a scratch directory, a store in it and pull helpers.
struct LocalBase {
    TempDir* tmp = nullptr;
    Store* store = nullptr;
    std::string dir;

    // "" or the error that kept the store from opening.
    std::string open() {
        tmp = new TempDir();
        dir = tmp->path();
        auto s = Store::open(dir + "/root", true);
        if (!s) return s.error().message;
        store = new Store(s.take());
        return "";
    }
    void close() {
        delete store;
        delete tmp;
    }
    Result<PullResult> pull(const std::string& source,
                            const std::string& platform = "linux/amd64") {
        PullOptions o;
        o.platform = parse_platform(platform).take();
        return pull_image(*store, source, o, nullptr);
    }
    // Write the layout as directory NAME in the scratch directory and pull "oci:DIR/NAME" + sel.
    Result<PullResult> pull_dir(const LayoutFiles& l, const std::string& name,
                                const std::string& sel = "",
                                const std::string& platform = "linux/amd64") {
        l.write_dir(dir + "/" + name);
        return pull("oci:" + dir + "/" + name + sel, platform);
    }
    // Write bytes to file NAME in the scratch directory and pull "TRANSPORT:FILE" + sel.
    Result<PullResult> pull_file(const std::string& transport, const std::string& name,
                                 const std::string& bytes, const std::string& sel = "") {
        write_path(dir + "/" + name, bytes);
        return pull(transport + ":" + dir + "/" + name + sel);
    }
    std::string ref_digest(const std::string& name) {
        auto r = store->find_ref(name);
        if (!r || !*r) return "";
        return (*r)->target.digest.str();
    }
    size_t ref_count() {
        auto r = store->list_refs();
        return r ? r->size() : 999;
    }
};

// Base of a local-source test group (TEST_GROUP_BASE): B, with its store open for each test.
struct LocalSourceTest : Utest {
    LocalBase b;
    void setup() override { STRCMP_EQUAL("", b.open().c_str()); }
    void teardown() override { b.close(); }
};

}  // namespace ocipod::test
