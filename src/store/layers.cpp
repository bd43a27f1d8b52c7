// The layer cache (store.hpp layout): one directory per extracted layer, named by its ChainID.
//
//   layers/.lock-ALG-HEX      OFD lock, byte 0, exclusive while a LayerWriter lives
//   layers/.staging-ALG-HEX/  fs/ being extracted, then layer.json; emptied by the next writer
//   layers/ALG-HEX/           complete: the staging directory renamed with RENAME_NOREPLACE
//
// Completeness is the rename alone, so a crash at any point leaves either no ALG-HEX or a
// complete one (THREATS.md §4.3 item 3). fs/ is made durable with one syncfs() before the rename
// instead of an fsync per extracted file. The lock file is removed by whoever holds it and finds
// the layer complete; a waiter that then wakes on the removed file starts over (the same
// protocol as ingest/ALG-HEX/lock).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include "base/crash_point.hpp"
#include "base/fs.hpp"
#include "store/layout.hpp"
#include "store/lock.hpp"
#include "store/store.hpp"

namespace ocipod {

std::string layer_dir_name(const Digest& d) {
    return std::string(d.alg_name()) + "-" + d.hex();
}

std::optional<Digest> parse_layer_dir_name(const std::string& name) {
    size_t dash = name.find('-');
    if (dash == std::string::npos) return std::nullopt;
    auto d = Digest::parse(name.substr(0, dash) + ":" + name.substr(dash + 1));
    if (!d) return std::nullopt;
    return d.take();
}

namespace {

inline constexpr off_t layer_lock_byte = 0;

Result<UniqueFd> dup_dir_fd(int fd) {
    int n = fcntl(fd, F_DUPFD_CLOEXEC, 3);
    if (n < 0) return errno_error("duplicating a directory fd");
    return UniqueFd(n);
}

Result<bool> layer_complete(int layers_fd, const std::string& name) {
    struct stat st;
    if (fstatat(layers_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
        if (!S_ISDIR(st.st_mode))
            return make_error(EINVAL, "'layers/%s' is not a directory", name.c_str());
        return true;
    }
    if (errno == ENOENT) return false;
    return errno_error("checking 'layers/%s'", name.c_str());
}

// Take the layer's lock, waiting for another writer. The holder we waited for may have removed
// the lock file (the layer is complete), leaving us a lock on an unlinked file: then start over.
Result<UniqueFd> take_layer_lock(int layers_fd, const std::string& lock_name) {
    for (;;) {
        UniqueFd lock(openat(layers_fd, lock_name.c_str(),
                             O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600));
        if (!lock) return errno_error("opening 'layers/%s'", lock_name.c_str());
        TRY(ofd_lock(lock.get(), layer_lock_byte, LockMode::exclusive, true, "the layer"));
        struct stat held, current;
        if (fstat(lock.get(), &held) < 0) return errno_error("stat 'layers/%s'", lock_name.c_str());
        if (fstatat(layers_fd, lock_name.c_str(), &current, AT_SYMLINK_NOFOLLOW) < 0) {
            if (errno == ENOENT) continue;
            return errno_error("stat 'layers/%s'", lock_name.c_str());
        }
        if (held.st_dev != current.st_dev || held.st_ino != current.st_ino) continue;
        return lock;
    }
}

}  // namespace

// Everything one LayerWriter holds; a plain struct so the helpers below can name it.
struct LayerWriterState {
    explicit LayerWriterState(const Digest& d) : chain_id(d) {}
    ~LayerWriterState() {
        // Without commit() the staging directory stays for the next writer to empty; the lock
        // file stays too (removing it is only safe once the layer is complete).
        fs.reset();
        staging.reset();
        lock.reset();
    }

    Digest chain_id;
    std::string name;          // ALG-HEX
    std::string staging_name;  // .staging-ALG-HEX
    std::string lock_name;     // .lock-ALG-HEX
    UniqueFd layers_fd;
    UniqueFd lock;
    UniqueFd staging;
    UniqueFd fs;
    bool committed = false;
};

struct LayerWriter::State : LayerWriterState {
    using LayerWriterState::LayerWriterState;
};

namespace {

// An empty fs/ in the staging directory, made fresh (its own metadata may have been changed by
// an extraction). The new directory takes over the fd number of the old one, if any, so that
// fs_fd() stays valid across a reset.
Status make_fs_dir(LayerWriterState& s) {
    TRY_WRAP(remove_tree(s.staging.get(), "fs"), "emptying the staging directory");
    if (mkdirat(s.staging.get(), "fs", 0755) < 0)
        return errno_error("creating 'layers/%s/fs'", s.staging_name.c_str());
    UniqueFd fs(openat(s.staging.get(), "fs", O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW));
    if (!fs) return errno_error("opening 'layers/%s/fs'", s.staging_name.c_str());
    if (s.fs) {
        if (dup3(fs.get(), s.fs.get(), O_CLOEXEC) < 0)
            return errno_error("replacing the fd of 'layers/%s/fs'", s.staging_name.c_str());
    } else {
        s.fs = std::move(fs);
    }
    return {};
}

// The staging directory, emptied of whatever a dead writer left there.
Status prepare_staging(LayerWriterState& s) {
    int layers_fd = s.layers_fd.get();
    TRY(remove_tree(layers_fd, s.staging_name));
    if (mkdirat(layers_fd, s.staging_name.c_str(), 0700) < 0)
        return errno_error("creating 'layers/%s'", s.staging_name.c_str());
    s.staging.reset(
        openat(layers_fd, s.staging_name.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW));
    if (!s.staging) return errno_error("opening 'layers/%s'", s.staging_name.c_str());
    return make_fs_dir(s);
}

}  // namespace

Result<std::optional<UniqueFd>> Store::open_layer(const Digest& chain_id) const {
    using Out = std::optional<UniqueFd>;
    std::string path = layer_dir_name(chain_id) + "/fs";
    int fd =
        openat(s_->layers_fd.get(), path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        if (errno == ENOENT) return Out();
        return errno_error("opening layer %s", chain_id.str().c_str());
    }
    return Out(UniqueFd(fd));
}

std::string Store::layer_fs_path(const Digest& chain_id) const {
    return s_->root + "/layers/" + layer_dir_name(chain_id) + "/fs";
}

Result<std::optional<LayerWriter>> Store::begin_layer(const Digest& chain_id) {
    using Out = std::optional<LayerWriter>;
    auto st = std::make_unique<LayerWriter::State>(chain_id);
    st->name = layer_dir_name(chain_id);
    st->staging_name = ".staging-" + st->name;
    st->lock_name = ".lock-" + st->name;
    std::string ctx = strf("layer %s", chain_id.str().c_str());
    if (TRY_WRAP(layer_complete(s_->layers_fd.get(), st->name), ctx)) return Out();
    st->layers_fd = TRY_WRAP(dup_dir_fd(s_->layers_fd.get()), ctx);
    st->lock = TRY_WRAP(take_layer_lock(st->layers_fd.get(), st->lock_name), ctx);
    if (TRY_WRAP(layer_complete(st->layers_fd.get(), st->name), ctx)) {
        // Committed by the writer we waited for; its lock file is ours to remove now.
        unlinkat(st->layers_fd.get(), st->lock_name.c_str(), 0);
        return Out();
    }
    TRY_WRAP(prepare_staging(*st), ctx);
    return Out(LayerWriter(std::move(st)));
}

Result<std::vector<Digest>> Store::list_layers() const {
    std::vector<std::string> names = TRY(list_dir_names(s_->layers_fd.get(), "layers directory"));
    std::vector<Digest> out;
    for (const std::string& name : names) {
        if (name.empty() || name[0] == '.') continue;  // staging dirs, lock and temp files
        if (std::optional<Digest> d = parse_layer_dir_name(name)) out.push_back(std::move(*d));
    }
    std::sort(out.begin(), out.end());
    return out;
}

LayerWriter::LayerWriter(std::unique_ptr<State> s) : s_(std::move(s)) {}
LayerWriter::LayerWriter(LayerWriter&&) noexcept = default;
LayerWriter& LayerWriter::operator=(LayerWriter&&) noexcept = default;
LayerWriter::~LayerWriter() = default;

const Digest& LayerWriter::chain_id() const {
    return s_->chain_id;
}

int LayerWriter::fs_fd() const {
    return s_->fs.get();
}

Status LayerWriter::reset() {
    State& s = *s_;
    if (s.committed)
        return make_error(EINVAL, "layer %s is already committed", s.chain_id.str().c_str());
    return make_fs_dir(s).wrap(strf("layer %s", s.chain_id.str().c_str()));
}

Status LayerWriter::commit(std::string_view layer_json) {
    State& s = *s_;
    std::string ctx = strf("committing layer %s", s.chain_id.str().c_str());
    if (s.committed) return make_error(EINVAL, "%s: already committed", ctx.c_str());
    TRY_WRAP(write_file_atomic(s.staging.get(), "layer.json", layer_json, 0644), ctx);
    // One syncfs for the whole extracted tree: cheaper than an fsync per file, and the rename
    // below must not reach the disk before the data it makes visible.
    if (syncfs(s.fs.get()) < 0) return errno_error("%s: syncfs", ctx.c_str());
    crash_point("before-rootfs-rename");
    Status moved = rename_noreplace(s.layers_fd.get(), s.staging_name, s.layers_fd.get(), s.name);
    if (!moved) {
        // ENOTEMPTY is what some file systems report for an existing non-empty target.
        int code = moved.error().code;
        if (code != EEXIST && code != ENOTEMPTY) return std::move(moved).wrap(ctx);
        TRY_WRAP(remove_tree(s.layers_fd.get(), s.staging_name), ctx);
    }
    s.committed = true;
    TRY_WRAP(fsync_fd(s.layers_fd.get(), "layers directory"), ctx);
    unlinkat(s.layers_fd.get(), s.lock_name.c_str(), 0);
    return {};
}

}  // namespace ocipod
