// The puller's decisions that need no network: source-string parsing and image naming, the
// short-name search, endpoint fallback from mirrors, credential scoping, and the shared import
// path (index resolution, refusals before download, ref set last) driven by fake registries.
#include <sys/stat.h>

#include <map>

#include "fetch/registry_pull.hpp"
#include "fetch/source.hpp"
#include "image_fixture.hpp"
#include "store/store.hpp"

// CppUTest last: its leak-detecting operator new macro must not meet the STL headers.
#include <CppUTest/TestHarness.h>

using namespace ocipod;
using namespace ocipod::test;

namespace {

// parse_source(text), which must succeed.
Source parsed(const std::string& text) {
    auto r = parse_source(text);
    CHECK_TEXT(r.ok(), r.ok() ? text.c_str() : r.error().message.c_str());
    return r.take();
}

}  // namespace

TEST_GROUP(SourceString) {
    TempDir* tmp = nullptr;
    void setup() override {
        tmp = new TempDir();
    }
    void teardown() override {
        delete tmp;
    }
};

TEST(SourceString, RegistryReferences) {
    Source a = parsed("alpine");
    CHECK(a.kind == SourceKind::registry);
    STRCMP_EQUAL("docker.io/library/alpine:latest", a.ref.str().c_str());
    CHECK(a.ref.short_name);
    Source b = parsed("docker://quay.io/team/app:1");
    STRCMP_EQUAL("quay.io/team/app:1", b.ref.str().c_str());
    CHECK(!b.ref.short_name);
    CHECK(!parse_source("docker://").ok());
    CHECK(!parse_source("Upper/Case").ok());
    // An unknown transport is not silently taken as a name.
    CHECK(!parse_source("containers-storage:x").ok());
}

TEST(SourceString, OciPathAndRefSplitOnTheFirstColonAfterAnExistingDirectory) {
    std::string d = tmp->path() + "/layout";
    mkdir(d.c_str(), 0755);
    Source plain = parsed("oci:" + d);
    CHECK(plain.kind == SourceKind::oci_dir);
    STRCMP_EQUAL(d.c_str(), plain.path.c_str());
    STRCMP_EQUAL("", plain.local_ref.c_str());

    Source full = parsed("oci:" + d + ":docker.io/a/b:1");
    STRCMP_EQUAL(d.c_str(), full.path.c_str());
    STRCMP_EQUAL("docker.io/a/b:1", full.local_ref.c_str());

    // A directory whose name has a colon in it.
    std::string c = tmp->path() + "/with:colon";
    mkdir(c.c_str(), 0755);
    Source colon = parsed("oci:" + c + ":v2");
    STRCMP_EQUAL(c.c_str(), colon.path.c_str());
    STRCMP_EQUAL("v2", colon.local_ref.c_str());
    Source whole = parsed("oci:" + c);
    STRCMP_EQUAL(c.c_str(), whole.path.c_str());
    STRCMP_EQUAL("", whole.local_ref.c_str());

    // Nothing exists: the path is what precedes the first colon.
    Source missing = parsed("oci:" + tmp->path() + "/nope:tag:x");
    STRCMP_EQUAL((tmp->path() + "/nope").c_str(), missing.path.c_str());
    STRCMP_EQUAL("tag:x", missing.local_ref.c_str());
    CHECK(!parse_source("oci:").ok());
}

TEST(SourceString, ArchivesNeedAFileNotADirectory) {
    std::string f = tmp->path() + "/img.tar";
    write_path(f, "x");
    Source a = parsed("oci-archive:" + f + ":latest");
    CHECK(a.kind == SourceKind::oci_archive);
    STRCMP_EQUAL(f.c_str(), a.path.c_str());
    STRCMP_EQUAL("latest", a.local_ref.c_str());
    Source d = parsed("docker-archive:" + f + ":@1");
    CHECK(d.kind == SourceKind::docker_archive);
    STRCMP_EQUAL("@1", d.local_ref.c_str());
    // tmp->path() is a directory, so it does not end the archive path.
    Source dir = parsed("oci-archive:" + tmp->path() + ":img.tar");
    STRCMP_EQUAL(tmp->path().c_str(), dir.path.c_str());
}

TEST(SourceString, BasenamesFollowTheReferenceGrammar) {
    STRCMP_EQUAL("alpine-3.20", local_image_basename("/x/alpine-3.20.tar").c_str());
    STRCMP_EQUAL("my-image", local_image_basename("/x/My Image.tar.gz").c_str());
    STRCMP_EQUAL("layout", local_image_basename("/x/layout/").c_str());
    STRCMP_EQUAL("a-b", local_image_basename("a.-b.tgz").c_str());
    STRCMP_EQUAL("a__b---c", local_image_basename("__a__b---c__").c_str());
    STRCMP_EQUAL("image", local_image_basename("/x/...tar").c_str());
    STRCMP_EQUAL("image", local_image_basename("/").c_str());
    STRCMP_EQUAL(std::string(64, 'a').c_str(), local_image_basename(std::string(300, 'a')).c_str());
}

TEST(SourceString, LocalImageNames) {
    auto tag = local_image_name("v1.2", "/x/My App.tar");
    CHECK(tag.ok());
    STRCMP_EQUAL("localhost/my-app:v1.2", tag->str().c_str());
    auto none = local_image_name("", "/x/app");
    CHECK(none.ok());
    STRCMP_EQUAL("localhost/app:latest", none->str().c_str());
    auto full = local_image_name("alpine:3.20", "/x/app");
    CHECK(full.ok());
    STRCMP_EQUAL("docker.io/library/alpine:3.20", full->str().c_str());
    CHECK(!full->short_name);
    auto host = local_image_name("quay.io/a/b", "/x/app");
    CHECK(host.ok());
    STRCMP_EQUAL("quay.io/a/b:latest", host->str().c_str());
    auto bad = local_image_name("not a tag", "/x/app");
    CHECK(!bad.ok());
    LONGS_EQUAL(EINVAL, bad.error().code);
}

// ---------------------------------------------------------------------------------------------

TEST_GROUP(RegistrySearch){};

TEST(RegistrySearch, ShortNamesUseSearchRegistriesInOrderElseDockerHub) {
    Reference short_ref = parse_reference("alpine:3").take();
    auto c = search_candidates(short_ref, {"quay.io", "docker.io", "localhost:5000"});
    LONGS_EQUAL(3, c.size());
    STRCMP_EQUAL("quay.io/alpine:3", c[0].str().c_str());
    STRCMP_EQUAL("docker.io/library/alpine:3", c[1].str().c_str());
    STRCMP_EQUAL("localhost:5000/alpine:3", c[2].str().c_str());
    auto d = search_candidates(short_ref, {});
    LONGS_EQUAL(1, d.size());
    STRCMP_EQUAL("docker.io/library/alpine:3", d[0].str().c_str());
    Reference qualified = parse_reference("quay.io/x/y").take();
    auto q = search_candidates(qualified, {"docker.io"});
    LONGS_EQUAL(1, q.size());
    STRCMP_EQUAL("quay.io/x/y:latest", q[0].str().c_str());
}

TEST(RegistrySearch, CredentialsFollowTheEndpointHost) {
    Reference hub = parse_reference("alpine").take();
    Endpoint own{"registry-1.docker.io", "library/alpine", false, true, false};
    CredentialScope s = credential_scope(hub, own);
    STRCMP_EQUAL("docker.io", s.registry.c_str());
    STRCMP_EQUAL("library/alpine", s.repository.c_str());
    CHECK(s.own_registry);

    Endpoint mirror{"mirror.example:5000", "hub/library/alpine", false, true, true};
    CredentialScope m = credential_scope(hub, mirror);
    STRCMP_EQUAL("mirror.example:5000", m.registry.c_str());
    STRCMP_EQUAL("hub/library/alpine", m.repository.c_str());
    CHECK(!m.own_registry);

    // A location rewritten to another host is another host's business too.
    Reference q = parse_reference("quay.io/team/app").take();
    Endpoint moved{"internal.example", "team/app", false, true, false};
    CredentialScope r = credential_scope(q, moved);
    STRCMP_EQUAL("internal.example", r.registry.c_str());
    CHECK(!r.own_registry);
}

// ---------------------------------------------------------------------------------------------

namespace {

// One fake registry endpoint: manifests by tag or digest, blobs by digest, injectable failures.
struct FakeEndpoint {
    std::map<std::string, FetchedManifest> manifests;
    std::map<std::string, std::string> blobs;  // digest string -> bytes
    int manifest_error = 0;
    int blob_error = 0;
    std::vector<std::string> fetched;  // digests asked for through fetch_blobs
    int manifest_calls = 0;

    void add_manifest(const std::string& tag, const std::string& bytes, const std::string& type) {
        FetchedManifest m{bytes, type, sha256_of(bytes)};
        manifests.emplace(m.digest.str(), m);
        if (!tag.empty()) manifests.emplace(tag, m);
    }
    void add_blob(const std::string& bytes) { blobs[sha256_of(bytes).str()] = bytes; }
};

class FakeSource : public ImageSource {
public:
    explicit FakeSource(FakeEndpoint& ep) : ep_(ep) {}
    Result<FetchedManifest> get_manifest(std::string_view tag_or_digest,
                                         const std::optional<Digest>&) override {
        ++ep_.manifest_calls;
        if (ep_.manifest_error) return make_error(ep_.manifest_error, "injected");
        auto it = ep_.manifests.find(std::string(tag_or_digest));
        if (it == ep_.manifests.end()) return make_error(ENOENT, "manifest unknown");
        return it->second;
    }
    Status fetch_blobs(const std::vector<Descriptor>& blobs, Store& store,
                       ProgressSink* progress) override {
        for (const Descriptor& b : blobs) {
            ep_.fetched.push_back(b.digest.str());
            if (ep_.blob_error) return make_error(ep_.blob_error, "injected blob failure");
            auto it = ep_.blobs.find(b.digest.str());
            if (it == ep_.blobs.end()) return make_error(ENOENT, "blob unknown");
            std::string data = it->second;
            size_t pos = 0;
            ReadFn read = [&](void* buf, size_t len) -> Result<size_t> {
                size_t n = std::min(len, data.size() - pos);
                memcpy(buf, data.data() + pos, n);
                pos += n;
                return n;
            };
            TRY(ingest_stream(store, b, progress, read, "fake"));
        }
        return {};
    }

private:
    FakeEndpoint& ep_;
};

// An image pushed to a fake endpoint; returns its manifest bytes.
std::string push_image(FakeEndpoint& ep, const std::string& tag, const std::string& arch,
                       unsigned seed, BuiltImage* out = nullptr) {
    LayoutFiles l;
    BuiltImage img = l.image(arch, seed);
    for (const auto& [name, data] : l.files) ep.add_blob(data);
    std::string manifest = l.files["blobs/sha256/" + img.manifest.digest.hex()];
    ep.add_manifest(tag, manifest, std::string(media::oci_manifest));
    if (out) *out = img;
    return manifest;
}

}  // namespace

TEST_GROUP(RegistryPull) {
    TempDir* tmp = nullptr;
    Store* store = nullptr;
    std::map<std::string, FakeEndpoint> hosts;
    std::vector<std::string> opened;
    EndpointOpener opener;
    RegistriesConf conf;

    void setup() override {
        tmp = new TempDir();
        auto s = Store::open(tmp->path() + "/root", true);
        CHECK(s.ok());
        store = new Store(s.take());
        opener = [this](const Reference&,
                        const Endpoint& ep) -> Result<std::unique_ptr<ImageSource>> {
            opened.push_back(ep.host);
            auto it = hosts.find(ep.host);
            if (it == hosts.end()) return make_error(ECONNREFUSED, "no such host");
            return std::unique_ptr<ImageSource>(std::make_unique<FakeSource>(it->second));
        };
    }
    void teardown() override {
        delete store;
        delete tmp;
    }
    void configure(const std::string& text) {
        auto st = conf.merge(text, "test.conf");
        CHECK_TEXT(st.ok(), st.ok() ? "" : st.error().message.c_str());
    }
    Result<PullResult> pull(const std::string& name, const std::string& platform = "linux/amd64") {
        PullOptions o;
        o.platform = parse_platform(platform).take();
        Reference ref = parse_reference(name).take();
        return pull_from_registry(*store, ref, conf, o, nullptr, opener);
    }
    size_t ref_count() {
        auto r = store->list_refs();
        return r ? r->size() : 999;
    }
};

TEST(RegistryPull, ShortNameSkipsRegistriesWithoutTheImage) {
    configure(
        "unqualified-search-registries = [\"one.example\", \"two.example\", \"three.example\"]\n");
    hosts["one.example"];
    BuiltImage img;
    push_image(hosts["two.example"], "1", "amd64", 1, &img);
    push_image(hosts["three.example"], "1", "amd64", 2);
    auto r = pull("app:1");
    CHECK_TEXT(r.ok(), r.ok() ? "" : r.error().message.c_str());
    STRCMP_EQUAL("two.example/app:1", r->ref_name.c_str());
    STRCMP_EQUAL(img.manifest.digest.str().c_str(), r->manifest.digest.str().c_str());
    LONGS_EQUAL(0, hosts["three.example"].manifest_calls);
    LONGS_EQUAL(2, r->blobs_fetched);
}

TEST(RegistryPull, OtherErrorsStopTheSearch) {
    configure("unqualified-search-registries = [\"one.example\", \"two.example\"]\n");
    hosts["one.example"].manifest_error = EACCES;
    push_image(hosts["two.example"], "1", "amd64", 1);
    auto r = pull("app:1");
    CHECK(!r.ok());
    LONGS_EQUAL(EACCES, r.error().code);
    LONGS_EQUAL(0, hosts["two.example"].manifest_calls);
    LONGS_EQUAL(0, ref_count());
}

TEST(RegistryPull, NotFoundAnywhereNamesTheRegistriesTried) {
    configure("unqualified-search-registries = [\"one.example\", \"two.example\"]\n");
    hosts["one.example"];
    hosts["two.example"];
    auto r = pull("app:1");
    CHECK(!r.ok());
    LONGS_EQUAL(ENOENT, r.error().code);
    CHECK_TEXT(r.error().message.find("one.example, two.example") != std::string::npos,
               r.error().message.c_str());
}

TEST(RegistryPull, NoSearchRegistriesMeansDockerHub) {
    push_image(hosts["registry-1.docker.io"], "latest", "amd64", 1);
    auto r = pull("busybox");
    CHECK_TEXT(r.ok(), r.ok() ? "" : r.error().message.c_str());
    STRCMP_EQUAL("docker.io/library/busybox:latest", r->ref_name.c_str());
}

TEST(RegistryPull, MirrorsFirstThenTheLocationForBlobsAMirrorLacks) {
    configure(
        "[[registry]]\nprefix = \"reg.example\"\nlocation = \"reg.example\"\n"
        "[[registry.mirror]]\nlocation = \"down.example\"\n"
        "[[registry.mirror]]\nlocation = \"mirror.example\"\n");
    BuiltImage img;
    std::string manifest = push_image(hosts["reg.example"], "1", "amd64", 1, &img);
    // The mirror has the manifest but not the layer.
    hosts["mirror.example"].add_manifest("1", manifest, std::string(media::oci_manifest));
    hosts["mirror.example"].blobs[img.config.digest.str()] =
        hosts["reg.example"].blobs[img.config.digest.str()];
    auto r = pull("reg.example/app:1");
    CHECK_TEXT(r.ok(), r.ok() ? "" : r.error().message.c_str());
    STRCMP_EQUAL("down.example", opened.at(0).c_str());  // not in hosts: a connection failure
    LONGS_EQUAL(1, hosts["mirror.example"].manifest_calls);
    LONGS_EQUAL(0, hosts["reg.example"].manifest_calls);
    // Config from the mirror, the layer from the location after the mirror failed.
    LONGS_EQUAL(2, hosts["mirror.example"].fetched.size());
    LONGS_EQUAL(1, hosts["reg.example"].fetched.size());
    STRCMP_EQUAL(img.layers[0].digest.str().c_str(), hosts["reg.example"].fetched[0].c_str());
    CHECK(store->has_blob(img.layers[0].digest));
}

TEST(RegistryPull, TheLocationsErrorIsFinal) {
    configure(
        "[[registry]]\nprefix = \"reg.example\"\nlocation = \"reg.example\"\n"
        "[[registry.mirror]]\nlocation = \"mirror.example\"\n");
    BuiltImage img;
    push_image(hosts["mirror.example"], "1", "amd64", 1, &img);
    hosts["mirror.example"].blob_error = EIO;
    hosts["reg.example"] = hosts["mirror.example"];
    hosts["reg.example"].blob_error = EPROTO;
    auto r = pull("reg.example/app:1");
    CHECK(!r.ok());
    LONGS_EQUAL(EPROTO, r.error().code);
    LONGS_EQUAL(0, ref_count());
}

TEST(RegistryPull, ResolvesAnIndexAndStoresThePlatformManifest) {
    FakeEndpoint& ep = hosts["reg.example"];
    BuiltImage amd, arm;
    std::string m_amd = push_image(ep, "", "amd64", 1, &amd);
    std::string m_arm = push_image(ep, "", "arm64", 2, &arm);
    std::string index =
        R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[)" +
        descriptor_json_with(amd.manifest, platform_json("amd64")) + "," +
        descriptor_json_with(arm.manifest, platform_json("arm64")) + "]}";
    ep.add_manifest("multi", index, std::string(media::oci_index));
    auto r = pull("reg.example/app:multi", "linux/arm64");
    CHECK_TEXT(r.ok(), r.ok() ? "" : r.error().message.c_str());
    CHECK(r->from_index);
    auto ref = store->find_ref("reg.example/app:multi");
    CHECK(ref.ok() && ref->has_value());
    STRCMP_EQUAL(arm.manifest.digest.str().c_str(), (*ref)->target.digest.str().c_str());
    STRCMP_EQUAL("application/vnd.oci.image.manifest.v1+json", (*ref)->target.media_type.c_str());
    CHECK(!store->has_blob(sha256_of(index)));
    CHECK(!store->has_blob(amd.layers[0].digest));
}

TEST(RegistryPull, ChildManifestsMustMatchTheirDescriptorType) {
    FakeEndpoint& ep = hosts["reg.example"];
    BuiltImage amd;
    push_image(ep, "", "amd64", 1, &amd);
    Descriptor lie = amd.manifest;
    lie.media_type = media::docker_manifest;
    std::string index = R"({"schemaVersion":2,"manifests":[)" +
                        descriptor_json_with(lie, platform_json("amd64")) + "]}";
    ep.add_manifest("x", index, std::string(media::oci_index));
    auto r = pull("reg.example/app:x");
    CHECK(!r.ok());
    LONGS_EQUAL(EBADMSG, r.error().code);
    CHECK(ep.fetched.empty());
}

TEST(RegistryPull, NestedIndexesAreBounded) {
    FakeEndpoint& ep = hosts["reg.example"];
    BuiltImage amd;
    std::string inner = push_image(ep, "", "amd64", 1, &amd);
    Descriptor child = amd.manifest;
    std::string doc;
    for (int depth = 0; depth < 5; ++depth) {
        doc =
            R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[)" +
            descriptor_json_with(child, platform_json("amd64")) + "]}";
        ep.add_manifest(depth == 3   ? "four"
                        : depth == 4 ? "five"
                                     : "",
                        doc, std::string(media::oci_index));
        child = descriptor_of(media::oci_index, doc);
    }
    auto ok = pull("reg.example/app:four");
    CHECK_TEXT(ok.ok(), ok.ok() ? "" : ok.error().message.c_str());
    auto deep = pull("reg.example/app:five");
    CHECK(!deep.ok());
    LONGS_EQUAL(ELOOP, deep.error().code);
}

TEST(RegistryPull, RefusesAnArtifactBeforeAnyBlob) {
    FakeEndpoint& ep = hosts["reg.example"];
    std::string layer = "signature";
    std::string cfg = "{}";
    ep.add_blob(layer);
    ep.add_blob(cfg);
    std::string m =
        R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":)" +
        descriptor_json(descriptor_of("application/vnd.dev.cosign.artifact.sig.v1+json", cfg)) +
        R"(,"layers":[)" +
        descriptor_json(descriptor_of("application/vnd.dev.cosign.simplesigning.v1+json", layer)) +
        "]}";
    ep.add_manifest("sig", m, std::string(media::oci_manifest));
    auto r = pull("reg.example/app:sig");
    CHECK(!r.ok());
    LONGS_EQUAL(ENOTSUP, r.error().code);
    CHECK(ep.fetched.empty());
    LONGS_EQUAL(0, ref_count());
}

TEST(RegistryPull, ConfigPlatformMustMatchWhatTheIndexPromised) {
    FakeEndpoint& ep = hosts["reg.example"];
    BuiltImage amd;
    push_image(ep, "", "amd64", 1, &amd);
    std::string index = R"({"schemaVersion":2,"manifests":[)" +
                        descriptor_json_with(amd.manifest, platform_json("arm64")) + "]}";
    ep.add_manifest("x", index, std::string(media::oci_index));
    auto r = pull("reg.example/app:x", "linux/arm64");
    CHECK(!r.ok());
    LONGS_EQUAL(EBADMSG, r.error().code);
    // Only the config was fetched; no layer.
    LONGS_EQUAL(1, ep.fetched.size());
    STRCMP_EQUAL(amd.config.digest.str().c_str(), ep.fetched[0].c_str());
}

TEST(RegistryPull, RefIsSetOnlyAfterEverythingIsStored) {
    FakeEndpoint& ep = hosts["reg.example"];
    BuiltImage img;
    push_image(ep, "1", "amd64", 1, &img);
    ep.blobs.erase(img.layers[0].digest.str());
    auto r = pull("reg.example/app:1");
    CHECK(!r.ok());
    LONGS_EQUAL(0, ref_count());
    CHECK(!store->has_blob(img.manifest.digest));
    // The layer arrives: the pull completes, reusing the stored config.
    push_image(ep, "1", "amd64", 1);
    auto again = pull("reg.example/app:1");
    CHECK_TEXT(again.ok(), again.ok() ? "" : again.error().message.c_str());
    LONGS_EQUAL(1, again->blobs_present);
    LONGS_EQUAL(1, again->blobs_fetched);
    LONGS_EQUAL(img.layers[0].size, again->bytes_fetched);
    LONGS_EQUAL(1, ref_count());
}

TEST(RegistryPull, ByDigestTheManifestMustBeThatDigest) {
    FakeEndpoint& ep = hosts["reg.example"];
    BuiltImage one, two;
    push_image(ep, "", "amd64", 1, &one);
    push_image(ep, "", "amd64", 2, &two);
    ep.manifests.at(one.manifest.digest.str()) = ep.manifests.at(two.manifest.digest.str());
    auto r = pull("reg.example/app@" + one.manifest.digest.str());
    CHECK(!r.ok());
    LONGS_EQUAL(EBADMSG, r.error().code);
    LONGS_EQUAL(0, ref_count());
    auto good = pull("reg.example/app@" + two.manifest.digest.str());
    CHECK_TEXT(good.ok(), good.ok() ? "" : good.error().message.c_str());
    STRCMP_EQUAL(("reg.example/app@" + two.manifest.digest.str()).c_str(), good->ref_name.c_str());
}
