// `store verify`: re-hash every blob, move the bad ones out of the layout (THREATS.md §4.3 item 6:
// a blob whose hash does not match its name is quarantined and refetched), and report what the
// refs need but the store lacks.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <set>
#include <variant>

#include "base/fs.hpp"
#include "oci/manifest.hpp"
#include "store/layout.hpp"
#include "store/store.hpp"

namespace ocipod {

namespace {

// Nested indexes are followed this deep, as the puller does (THREATS.md §3.2 item 39).
constexpr int max_index_depth = 4;

// Why the entry alg/name is not a good blob, or "" if it is. Counts what it hashed.
Result<std::string> check_blob(int alg_fd, HashAlg alg, const std::string& name,
                               VerifyReport& report) {
    struct stat st;
    if (fstatat(alg_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) {
        if (errno == ENOENT) return std::string();  // removed meanwhile
        return errno_error("stat '%s'", name.c_str());
    }
    if (!S_ISREG(st.st_mode)) return std::string("not a regular file");
    if (!Digest::parse(std::string(hash_alg_name(alg)) + ":" + name))
        return strf("name is not a %s digest", hash_alg_name(alg));
    UniqueFd fd(openat(alg_fd, name.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK));
    if (!fd) return errno_error("opening '%s'", name.c_str());
    Hasher h(alg);
    int64_t bytes = 0;
    TRY_WRAP(hash_fd(fd.get(), h, &bytes), strf("'%s'", name.c_str()));
    report.blobs_checked++;
    report.bytes_checked += static_cast<uint64_t>(bytes);
    std::string got = h.finish_hex();
    if (got != name) return strf("content hashes to %s:%s", hash_alg_name(alg), got.c_str());
    return std::string();
}

// Move alg_fd/name to ROOT/quarantine/ALG-NAME (with a suffix if that is taken); returns the new
// name.
Result<std::string> quarantine(const StoreDirs& dirs, int alg_fd, HashAlg alg,
                               const std::string& name) {
    UniqueFd qdir = TRY(open_dir(dirs.root_fd.get(), "quarantine", true, 0700));
    std::string base = std::string(hash_alg_name(alg)) + "-" + name;
    for (int n = 0; n < 1000; ++n) {
        std::string target = n == 0 ? base : strf("%s.%d", base.c_str(), n);
        Status st = rename_noreplace(alg_fd, name, qdir.get(), target);
        if (st) {
            TRY(fsync_fd(alg_fd, "blobs directory"));
            return target;
        }
        if (st.error().code != EEXIST) return std::move(st).error();
    }
    return make_error(EEXIST, "no free name in quarantine/ for '%s'", base.c_str());
}

class RefWalker {
public:
    RefWalker(const Store& store, VerifyReport& report) : store_(store), report_(report) {}

    void walk_ref(const RefEntry& ref) {
        if (!present(ref.target.digest, "manifest", ref.name)) return;
        walk(ref.target, ref.name, 0);
    }

private:
    bool present(const Digest& d, const char* role, const std::string& ref) {
        if (store_.has_blob(d)) return true;
        if (reported_.insert(d.str()).second)
            report_.missing.push_back(
                strf("%s: %s of '%s'", d.str().c_str(), role, printable(ref).c_str()));
        return false;
    }

    // d is stored. A document we cannot read or parse is not this walk's business: its hash is
    // right (checked above), so it is what was pulled.
    void walk(const Descriptor& d, const std::string& ref, int depth) {
        if (!walked_.insert(d.digest.str()).second) return;
        auto bytes = store_.read_blob(d.digest, max_manifest_bytes);
        if (!bytes) return;
        auto doc = parse_manifest_document(*bytes, "", d.media_type);
        if (!doc) return;
        if (auto* m = std::get_if<Manifest>(&*doc)) {
            present(m->config.digest, "config", ref);
            for (const Descriptor& layer : m->layers) present(layer.digest, "layer", ref);
            return;
        }
        // An index: a pull stores only the children it chose, so only those are followed.
        if (depth >= max_index_depth) return;
        for (const Descriptor& child : std::get<Index>(*doc).manifests)
            if (store_.has_blob(child.digest)) walk(child, ref, depth + 1);
    }

    const Store& store_;
    VerifyReport& report_;
    std::set<std::string> walked_;
    std::set<std::string> reported_;
};

}  // namespace

Result<VerifyReport> Store::verify() {
    VerifyReport report;
    for (HashAlg alg : {HashAlg::sha256, HashAlg::sha512}) {
        int alg_fd = s_->alg_fd(alg);
        std::string what = strf("blobs/%s", hash_alg_name(alg));
        std::vector<std::string> names = TRY(list_dir_names(alg_fd, what.c_str()));
        for (const std::string& name : names) {
            if (starts_with(name, ".tmp-")) continue;  // a writer's, or removed on the next open
            std::string reason = TRY_WRAP(check_blob(alg_fd, alg, name, report), what);
            if (reason.empty()) continue;
            std::string moved = TRY_WRAP(quarantine(*s_, alg_fd, alg, name),
                                         strf("quarantining '%s/%s'", what.c_str(), name.c_str()));
            report.bad.push_back(strf("%s:%s: %s (moved to quarantine/%s)", hash_alg_name(alg),
                                      printable(name).c_str(), reason.c_str(), moved.c_str()));
        }
    }
    std::vector<RefEntry> refs = TRY(list_refs());
    RefWalker walker(*this, report);
    for (const RefEntry& ref : refs) walker.walk_ref(ref);
    return report;
}

}  // namespace ocipod
