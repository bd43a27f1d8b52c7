#include "render/layer_apply.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <unordered_set>

#include "base/fs.hpp"
#include "c/archive.hpp"
#include "render/apply_entry.hpp"
#include "render/apply_meta.hpp"
#include "render/apply_resolve.hpp"
#include "render/entry_name.hpp"
#include "render/in_root.hpp"
#include "render/lower_view.hpp"
#include "render/overlay_form.hpp"

namespace ocipod {

namespace {

class LayerApplier {
public:
    LayerApplier(TarReader& tar, int diff, const LowerDirs* lowers,
                 const LayerApplyOptions& options)
        : tar_(tar), options_(options) {
        s_.diff = diff;
        s_.lowers = lowers;
    }

    Status entry(const TarEntry& te);
    Status finish();

    LayerApplyReport report;
    ApplyState s_;

private:
    Result<UniqueFd> parent_dir(const std::string& parent);
    Status whiteout(const std::string& path);
    Status opaque(const std::string& path);
    Status root(const EntryMeta& m);
    Status directory(int pfd, const std::string& name, const std::string& path, const EntryMeta& m);
    Status regular(int pfd, const std::string& name, const TarEntry& te, const EntryMeta& m);
    Status hardlink(int pfd, const std::string& name, const std::string& path, const TarEntry& te);
    Status special(int pfd, const std::string& name, struct archive_entry* e, const EntryMeta& m);

    TarReader& tar_;
    const LayerApplyOptions& options_;
    std::unordered_set<std::string> whited_out_;  // paths this layer whited out (THREATS 29)
    std::vector<char> buf_;
};

bool unresolved(const Error& e) {
    return e.code == ENOENT || e.code == ENOTDIR;
}

Result<UniqueFd> LayerApplier::parent_dir(const std::string& parent) {
    // The common case: the directory is already in the diff dir, reached through it alone.
    auto fast = open_dir_in_root(s_.diff, parent);
    if (fast) return fast.take();
    if (!unresolved(fast.error())) return std::move(fast).error();
    ResolvedDir r = TRY(resolve_dir(s_, parent, ResolveMode::create));
    return std::move(r.fd);
}

Status LayerApplier::entry(const TarEntry& te) {
    if (++report.entries > options_.max_entries)
        return make_error(E2BIG, "more than %llu entries in the layer, refusing",
                          static_cast<unsigned long long>(options_.max_entries));
    struct archive_entry* e = tar_.raw_entry();
    EntryName n = TRY(classify_entry_name(te.path, te.type == TarEntry::Type::directory));
    switch (n.kind) {
        case EntryKind::skip:
            return {};
        case EntryKind::whiteout:
            whited_out_.insert(n.path);
            return whiteout(n.path);
        case EntryKind::opaque:
            return opaque(n.path);
        case EntryKind::root:
            return root(TRY(read_entry_meta(e)));
        case EntryKind::regular:
            break;
    }
    EntryMeta m = TRY(read_entry_meta(e));
    // GNU sparse maps can claim terabytes of zeros; the spec says they SHOULD NOT be used (62).
    if (libarchive().archive_entry_sparse_count(e) > 0)
        return make_error(ENOTSUP, "sparse file entries are not supported, refusing");
    if (te.type == TarEntry::Type::hardlink && te.size > 0)
        return make_error(EINVAL, "hard link with %lld bytes of data, refusing",
                          static_cast<long long>(te.size));
    if (te.type == TarEntry::Type::symlink && te.link_target.size() >= 4096)
        return make_error(ENAMETOOLONG, "symlink target of %zu bytes, refusing",
                          te.link_target.size());
    auto [parent, name] = split_parent(n.path);
    UniqueFd pfd = TRY(parent_dir(parent));
    switch (te.type) {
        case TarEntry::Type::directory:
            return directory(pfd.get(), name, n.path, m);
        case TarEntry::Type::regular:
            return regular(pfd.get(), name, te, m);
        case TarEntry::Type::hardlink:
            return hardlink(pfd.get(), name, n.path, te);
        case TarEntry::Type::symlink: {
            if (te.link_target.empty()) return make_error(EINVAL, "empty symlink target, refusing");
            TRY(clear_name(pfd.get(), name, false));
            if (symlinkat(te.link_target.c_str(), pfd.get(), name.c_str()) < 0)
                return errno_error("creating the symlink");
            return apply_meta_symlink(pfd.get(), name, m);
        }
        case TarEntry::Type::other:
            return special(pfd.get(), name, e, m);
    }
    return {};
}

Status LayerApplier::whiteout(const std::string& path) {
    auto [parent, name] = split_parent(path);
    if (s_.lowers) {
        ResolvedDir r = TRY(resolve_dir(s_, parent, ResolveMode::lookup));
        if (!r.found) return {};  // nothing there to remove (THREATS 35)
        struct stat st;
        if (r.fd && TRY(stat_at(r.fd.get(), name, &st))) return whiteout_at(r.fd.get(), name);
        if (r.hidden) return {};
        std::string full = join_path(r.path, name);
        LowerEntry le = TRY(LowerView(*s_.lowers).lookup(full));
        if (le.kind == LowerEntry::Kind::missing || le.depth != path_components(full).size())
            return {};  // THREATS 37
        if (!r.fd) r = TRY(resolve_dir(s_, parent, ResolveMode::create));
        return whiteout_at(r.fd.get(), name);
    }
    auto fast = open_dir_in_root(s_.diff, parent);
    if (!fast) {
        if (!unresolved(fast.error())) return std::move(fast).error();
        // Where the directory is can only be told with the lower layers.
        s_.fixups.whiteouts.push_back(path);
        return {};
    }
    return whiteout_at(fast->get(), name);
}

Status LayerApplier::opaque(const std::string& path) {
    ResolvedDir r = TRY(resolve_dir(s_, path, ResolveMode::create));
    return set_opaque_marker(r.fd.get());
}

Status LayerApplier::root(const EntryMeta& m) {
    // "./" or "/": metadata of the root, never a type change (THREATS 4, 5).
    UniqueFd fd = TRY(openat2_fd(s_.diff, ".", O_RDONLY | O_DIRECTORY, 0));
    TRY(apply_meta_fd(fd.get(), m, true));
    struct stat st;
    if (fstat(fd.get(), &st) < 0) return errno_error("inspecting the root");
    s_.dir_times.push_back({"", st.st_ino, m.atime, m.mtime});
    return {};
}

Status LayerApplier::directory(int pfd, const std::string& name, const std::string& path,
                               const EntryMeta& m) {
    UniqueFd fd = TRY(make_entry_dir(pfd, name));
    TRY(apply_meta_fd(fd.get(), m, true));
    struct stat st;
    if (fstat(fd.get(), &st) < 0) return errno_error("inspecting the directory");
    // Listed by the layer itself: its metadata is not the lower layer's to decide.
    auto& dirs = s_.fixups.dirs;
    dirs.erase(
        std::remove_if(dirs.begin(), dirs.end(),
                       [&](const LayerFixups::ImplicitDir& d) { return d.ino == st.st_ino; }),
        dirs.end());
    s_.dir_times.push_back({path, st.st_ino, m.atime, m.mtime});
    return {};
}

Status LayerApplier::regular(int pfd, const std::string& name, const TarEntry& te,
                             const EntryMeta& m) {
    TRY(clear_name(pfd, name, false));
    int raw = openat(pfd, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (raw < 0) return errno_error("creating the file");
    UniqueFd fd(raw);
    if (buf_.empty()) buf_.resize(1 << 20);
    for (;;) {
        size_t n = TRY(tar_.read(buf_.data(), buf_.size()));
        if (n == 0) break;
        TRY(write_all(fd.get(), std::string_view(buf_.data(), n)));
        report.bytes_written += n;
    }
    (void)te;
    ++report.files;
    return apply_meta_fd(fd.get(), m, false);
}

Status LayerApplier::hardlink(int pfd, const std::string& name, const std::string& path,
                              const TarEntry& te) {
    EntryName t = TRY(classify_entry_name(te.link_target, false));
    if (t.kind != EntryKind::regular)
        return make_error(EINVAL, "hard link to '%s', refusing", printable(te.link_target).c_str());
    if (t.path == path) return make_error(EINVAL, "hard link to itself, refusing");
    auto [tparent, tname] = split_parent(t.path);
    LinkTarget target = TRY(find_link_target(s_, tparent, tname));
    if (target.whiteout || (!target.parent && whited_out_.count(t.path)))
        return make_error(ENOENT, "hard link to '%s', removed earlier in this layer, refusing",
                          printable(t.path).c_str());
    if (target.parent) {
        // In this layer: link the inode itself, never following a symlink (THREATS 23, 24).
        if (S_ISDIR(target.st.st_mode))
            return make_error(EISDIR, "hard link to the directory '%s', refusing",
                              printable(t.path).c_str());
        struct stat old;
        if (TRY(stat_at(pfd, name, &old)) && old.st_dev == target.st.st_dev &&
            old.st_ino == target.st.st_ino)
            return make_error(EINVAL, "hard link to itself, refusing");
        TRY(clear_name(pfd, name, false));
        if (linkat(target.parent.get(), tname.c_str(), pfd, name.c_str(), 0) < 0)
            return errno_error("linking to '%s'", printable(t.path).c_str());
        return {};
    }
    if (!s_.lowers) {
        TRY(clear_name(pfd, name, false));
        s_.fixups.links.push_back({path, t.path});
        return {};
    }
    TRY(clear_name(pfd, name, false));
    return copy_lower_link(s_, t.path, pfd, name);
}

Status LayerApplier::special(int pfd, const std::string& name, struct archive_entry* e,
                             const EntryMeta& m) {
    mode_t type = libarchive().archive_entry_filetype(e);
    dev_t dev = 0;
    if (type == AE_IFCHR || type == AE_IFBLK) {
        unsigned long major = libarchive().archive_entry_rdevmajor(e);
        unsigned long minor = libarchive().archive_entry_rdevminor(e);
        // A char 0/0 would read as an overlay whiteout (THREATS 50).
        if (type == AE_IFCHR && major == 0 && minor == 0)
            return make_error(EINVAL, "character device 0/0 in a layer, refusing");
        if (major > 0xfff || minor > 0xfffff)
            return make_error(ERANGE, "device number %lu/%lu out of range, refusing", major, minor);
        if (!options_.create_devices)
            return make_error(EPERM,
                              "device entry, refusing (devices are only created as real root)");
        dev = makedev(major, minor);
    } else if (type != AE_IFIFO) {
        return make_error(ENOTSUP, "unsupported entry type 0%o, refusing",
                          static_cast<unsigned>(type));
    }
    TRY(clear_name(pfd, name, false));
    if (mknodat(pfd, name.c_str(), type | 0600, dev) < 0)
        return errno_error("creating the special file");
    UniqueFd fd = TRY(openat2_fd(pfd, name, O_PATH | O_NOFOLLOW, RESOLVE_BENEATH));
    return apply_meta_special(fd.get(), m);
}

Status LayerApplier::finish() {
    return apply_dir_times(s_.diff, s_.dir_times);
}

}  // namespace

Result<LayerApplyResult> apply_layer(TarReader& tar, int diff_dirfd, const LowerDirs* lowers,
                                     const LayerApplyOptions& options, const std::string& what) {
    LayerApplier a(tar, diff_dirfd, lowers, options);
    TarEntry te;
    for (;;) {
        auto more = tar.next(&te);
        if (!more) return std::move(more).error().wrap(what);
        if (!*more) break;
        auto st = a.entry(te);
        if (!st)
            return std::move(st).error().wrap(
                strf("%s, entry '%s'", what.c_str(), printable(te.path).c_str()));
    }
    TRY_WRAP(a.finish(), what);
    LayerApplyResult out;
    out.report = a.report;
    if (!a.s_.fixups.empty()) out.fixups = std::make_shared<LayerFixups>(std::move(a.s_.fixups));
    return out;
}

}  // namespace ocipod
