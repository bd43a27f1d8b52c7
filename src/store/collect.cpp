// The collector's view of the store (store.hpp list_objects / remove_object): what exists, how
// big and how old, and removal that never leaves a half-removed object looking whole.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fs.hpp"
#include "store/layout.hpp"

namespace ocipod {

namespace {

// A complete layer being removed: renamed to this prefix first, so a crash leaves a name the
// next collection removes whatever its age, never a partial layers/ALG-HEX.
constexpr std::string_view removing_prefix = ".removing-";

int64_t mtime_of(int dirfd, const std::string& name) {
    struct stat st;
    return fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 ? int64_t(st.st_mtime) : 0;
}

Status add_blobs(const StoreDirs& d, HashAlg alg, std::vector<StoreObject>& out) {
    const char* prefix = alg == HashAlg::sha256 ? "sha256:" : "sha512:";
    auto names = TRY(list_dir_names(d.alg_fd(alg), "blobs directory"));
    for (const std::string& n : names) {
        auto digest = Digest::parse(prefix + n);
        if (!digest) continue;  // temp files and strays are not blobs
        struct stat st;
        if (fstatat(d.alg_fd(alg), n.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
            continue;
        out.push_back(StoreObject{.kind = StoreObject::Kind::blob,
                                  .name = digest->str(),
                                  .bytes = uint64_t(st.st_size),
                                  .mtime = int64_t(st.st_mtime)});
    }
    return {};
}

}  // namespace

Result<std::vector<StoreObject>> Store::list_objects() const {
    std::vector<StoreObject> out;
    TRY(add_blobs(*s_, HashAlg::sha256, out));
    TRY(add_blobs(*s_, HashAlg::sha512, out));
    for (const std::string& n : TRY(list_dir_names(s_->layers_fd.get(), "layers directory"))) {
        StoreObject o;
        o.mtime = mtime_of(s_->layers_fd.get(), n);
        o.bytes = disk_usage(s_->layers_fd.get(), n);
        if (auto chain = parse_layer_dir_name(n)) {
            o.kind = StoreObject::Kind::layer;
            o.name = chain->str();
        } else {
            o.kind = StoreObject::Kind::leftover;  // staging, lock, removing, temp
            o.name = n;
        }
        out.push_back(std::move(o));
    }
    for (const std::string& n : TRY(list_dir_names(s_->ingest_fd.get(), "ingest directory"))) {
        out.push_back(StoreObject{.kind = StoreObject::Kind::ingest,
                                  .name = n,
                                  .bytes = disk_usage(s_->ingest_fd.get(), n),
                                  .mtime = mtime_of(s_->ingest_fd.get(), n)});
    }
    return out;
}

Status Store::remove_object(const StoreObject& o) {
    switch (o.kind) {
        case StoreObject::Kind::blob: {
            Digest d = TRY(Digest::parse(o.name));
            std::string hex = d.hex();
            if (unlinkat(s_->alg_fd(d.alg()), hex.c_str(), 0) < 0 && errno != ENOENT)
                return errno_error("removing blob '%s'", o.name.c_str());
            return {};
        }
        case StoreObject::Kind::layer: {
            Digest d = TRY(Digest::parse(o.name));
            std::string name = layer_dir_name(d);
            std::string away = std::string(removing_prefix) + name;
            TRY(remove_tree(s_->layers_fd.get(), away));
            if (renameat(s_->layers_fd.get(), name.c_str(), s_->layers_fd.get(), away.c_str()) <
                0) {
                if (errno == ENOENT) return {};
                return errno_error("removing layer '%s'", o.name.c_str());
            }
            TRY(fsync_fd(s_->layers_fd.get(), "layers directory"));
            return remove_tree(s_->layers_fd.get(), away)
                .wrap(strf("removing layer '%s'", o.name.c_str()));
        }
        case StoreObject::Kind::ingest:
            return remove_tree(s_->ingest_fd.get(), o.name)
                .wrap(strf("removing ingest '%s'", o.name.c_str()));
        case StoreObject::Kind::leftover:
            return remove_tree(s_->layers_fd.get(), o.name)
                .wrap(strf("removing '%s'", o.name.c_str()));
    }
    return {};
}

}  // namespace ocipod
