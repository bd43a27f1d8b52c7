// docker-archive:FILE end to end: `docker save` archives built in the test are converted to OCI
// images, every layer checked against its diff_id, links followed only inside the archive.
#include "fetch/puller.hpp"
#include "image_fixture.hpp"
#include "store/store.hpp"

// CppUTest last: its leak-detecting operator new macro must not meet the STL headers.
#include <CppUTest/TestHarness.h>

using namespace ocipod;
using namespace ocipod::test;

namespace {

struct SavedImage {
    std::string config;
    std::vector<std::string> layers;  // tar bytes
    Digest config_digest = sha256_of("");
    std::vector<Digest> layer_digests;
};

SavedImage saved_image(unsigned seed, const std::string& arch = "amd64") {
    SavedImage s;
    for (unsigned i = 0; i < 2; ++i) {
        s.layers.push_back(layer_tar(seed * 10 + i));
        s.layer_digests.push_back(sha256_of(s.layers.back()));
    }
    s.config = config_json(arch, s.layer_digests);
    s.config_digest = sha256_of(s.config);
    return s;
}

// manifest.json entry for img stored under ID/ (legacy layout).
std::string saved_entry(const SavedImage& img, const std::string& id, const std::string& tags) {
    std::string s = R"({"Config":")" + id + R"(.json","RepoTags":)" + tags + R"(,"Layers":[)";
    for (size_t i = 0; i < img.layers.size(); ++i)
        s += (i ? "," : "") + strf("\"%s%zu/layer.tar\"", id.c_str(), i);
    return s + "]}";
}

void add_saved(TarBuilder& t, const SavedImage& img, const std::string& id) {
    t.file(id + ".json", img.config);
    for (size_t i = 0; i < img.layers.size(); ++i) {
        std::string d = strf("%s%zu/", id.c_str(), i);
        t.dir(d).file(d + "VERSION", "1.0").file(d + "layer.tar", img.layers[i]);
    }
}

struct DockerArchiveTest : LocalSourceTest {
    std::string stored_manifest(const std::string& name) {
        auto ref = b.store->find_ref(name);
        if (!ref || !*ref) return "";
        auto m = b.store->read_blob((*ref)->target.digest, 1 << 20);
        return m ? *m : "";
    }
};

}  // namespace

TEST_GROUP_BASE(DockerArchiveSource, DockerArchiveTest){};

TEST(DockerArchiveSource, ConvertsASavedImageToOci) {
    SavedImage img = saved_image(1);
    TarBuilder t;
    add_saved(t, img, "aaa");
    t.file("manifest.json", "[" + saved_entry(img, "aaa", R"(["busybox:1.36"])") + "]");
    t.file("repositories", R"({"busybox":{"1.36":"aaa"}})");
    auto r = b.pull_file("docker-archive", "bb.tar", t.finish());
    CHECK_TEXT(r.ok(), r.ok() ? "" : r.error().message.c_str());
    STRCMP_EQUAL("docker.io/library/busybox:1.36", r->ref_name.c_str());
    CHECK(b.store->has_blob(img.config_digest));
    for (const Digest& d : img.layer_digests) CHECK(b.store->has_blob(d));
    std::string m = stored_manifest("docker.io/library/busybox:1.36");
    CHECK_TEXT(
        m.find(R"("mediaType":"application/vnd.oci.image.manifest.v1+json")") != std::string::npos,
        m.c_str());
    CHECK_TEXT(m.find(R"("mediaType":"application/vnd.oci.image.config.v1+json","digest":")" +
                      img.config_digest.str()) != std::string::npos,
               m.c_str());
    CHECK_TEXT(m.find(R"("mediaType":"application/vnd.oci.image.layer.v1.tar","digest":")" +
                      img.layer_digests[1].str()) != std::string::npos,
               m.c_str());
    auto config = b.store->read_blob(img.config_digest, 1 << 20);
    CHECK(config.ok());
    STRCMP_EQUAL(img.config.c_str(), config->c_str());  // stored as it was

    // Deterministic: the same archive gives the same manifest.
    auto again = b.pull("docker-archive:" + b.dir + "/bb.tar");
    CHECK(again.ok());
    STRCMP_EQUAL(r->manifest.digest.str().c_str(), again->manifest.digest.str().c_str());
}

TEST(DockerArchiveSource, SelectsByTagOrIndex) {
    SavedImage one = saved_image(1), two = saved_image(2);
    TarBuilder t;
    add_saved(t, one, "one");
    add_saved(t, two, "two");
    t.file("manifest.json", "[" + saved_entry(one, "one", R"(["app:1"])") + "," +
                                saved_entry(two, "two", R"(["quay.io/x/app:2","app:latest"])") +
                                "]");
    write_path(b.dir + "/Two Images.tar", t.finish());
    std::string src = "docker-archive:" + b.dir + "/Two Images.tar";

    auto none = b.pull(src);
    CHECK(!none.ok());
    LONGS_EQUAL(EINVAL, none.error().code);
    CHECK_TEXT(none.error().message.find("'app:1'") != std::string::npos,
               none.error().message.c_str());

    auto by_tag = b.pull(src + ":docker.io/library/app:latest");
    CHECK_TEXT(by_tag.ok(), by_tag.ok() ? "" : by_tag.error().message.c_str());
    STRCMP_EQUAL("docker.io/library/app:latest", by_tag->ref_name.c_str());
    CHECK(b.store->has_blob(two.layer_digests[0]));
    CHECK(!b.store->has_blob(one.layer_digests[0]));

    auto by_index = b.pull(src + ":@0");
    CHECK_TEXT(by_index.ok(), by_index.ok() ? "" : by_index.error().message.c_str());
    STRCMP_EQUAL("docker.io/library/app:1", by_index->ref_name.c_str());

    auto out_of_range = b.pull(src + ":@2");
    CHECK(!out_of_range.ok());
    LONGS_EQUAL(ENOENT, out_of_range.error().code);
}

TEST(DockerArchiveSource, UntaggedImageIsLocalhostLatest) {
    SavedImage img = saved_image(3);
    TarBuilder t;
    add_saved(t, img, "id");
    t.file("manifest.json", "[" + saved_entry(img, "id", "null") + "]");
    auto r = b.pull_file("docker-archive", "Saved.Image.tar", t.finish());
    CHECK_TEXT(r.ok(), r.ok() ? "" : r.error().message.c_str());
    STRCMP_EQUAL("localhost/saved.image:latest", r->ref_name.c_str());
}

TEST(DockerArchiveSource, RefusesALayerThatIsNotItsDiffId) {
    SavedImage img = saved_image(4);
    img.layers[1][700] ^= 1;  // the config still names the original diff_id
    TarBuilder t;
    add_saved(t, img, "x");
    t.file("manifest.json", "[" + saved_entry(img, "x", R"(["bad:1"])") + "]");
    auto r = b.pull_file("docker-archive", "bad.tar", t.finish());
    CHECK(!r.ok());
    LONGS_EQUAL(EBADMSG, r.error().code);
    CHECK_TEXT(r.error().message.find("diff_id") != std::string::npos, r.error().message.c_str());
    CHECK(!b.store->has_blob(img.layer_digests[1]));
    LONGS_EQUAL(0, b.ref_count());
}

TEST(DockerArchiveSource, FollowsSharedLayerLinksInsideTheArchiveOnly) {
    SavedImage img = saved_image(5);
    TarBuilder t;
    t.file("c.json", img.config);
    t.dir("l0/").file("l0/layer.tar", img.layers[0]);
    t.dir("l1/").file("real1.tar", img.layers[1]).symlink("l1/layer.tar", "../real1.tar");
    t.file(
        "manifest.json",
        R"([{"Config":"c.json","RepoTags":["linked:1"],"Layers":["l0/layer.tar","./l1/layer.tar"]}])");
    auto r = b.pull_file("docker-archive", "linked.tar", t.finish());
    CHECK_TEXT(r.ok(), r.ok() ? "" : r.error().message.c_str());
    CHECK(b.store->has_blob(img.layer_digests[1]));

    TarBuilder e;
    e.file("c.json", img.config)
        .file("l0.tar", img.layers[0])
        .symlink("l1.tar", "../../etc/passwd");
    e.file("manifest.json",
           R"([{"Config":"c.json","RepoTags":["esc:1"],"Layers":["l0.tar","l1.tar"]}])");
    auto esc = b.pull_file("docker-archive", "escape.tar", e.finish());
    CHECK(!esc.ok());
    LONGS_EQUAL(EINVAL, esc.error().code);

    TarBuilder p;
    p.file("c.json", img.config).file("l0.tar", img.layers[0]).file("../l1.tar", img.layers[1]);
    p.file("manifest.json",
           R"([{"Config":"c.json","RepoTags":["p:1"],"Layers":["l0.tar","../l1.tar"]}])");
    auto dd = b.pull_file("docker-archive", "dotdot.tar", p.finish());
    CHECK(!dd.ok());
    LONGS_EQUAL(EINVAL, dd.error().code);
    LONGS_EQUAL(1, b.ref_count());
}

TEST(DockerArchiveSource, ReadsAnOciLayoutWithoutManifestJson) {
    LayoutFiles l;
    BuiltImage img = l.single_image("amd64", 6, ref_annotation("app:2"));
    auto r = b.pull_file("docker-archive", "new.tar", l.tar().file("repositories", "{}").finish());
    CHECK_TEXT(r.ok(), r.ok() ? "" : r.error().message.c_str());
    STRCMP_EQUAL("docker.io/library/app:2", r->ref_name.c_str());
    STRCMP_EQUAL(img.manifest.digest.str().c_str(), r->manifest.digest.str().c_str());
}

TEST(DockerArchiveSource, RefusesArchivesWithoutAManifest) {
    auto r =
        b.pull_file("docker-archive", "old.tar", TarBuilder().file("repositories", "{}").finish());
    CHECK(!r.ok());
    LONGS_EQUAL(ENOENT, r.error().code);
}
