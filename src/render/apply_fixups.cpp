// apply_fixups(): what a layer applied before its lower layers existed still needed from them
// (layer_apply.hpp). Nothing is changed when a fixed-up directory turns out to run through a
// lower-layer symlink: the caller then re-applies the layer with its lowers.
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>

#include "render/apply_entry.hpp"
#include "render/apply_meta.hpp"
#include "render/apply_resolve.hpp"
#include "render/in_root.hpp"
#include "render/layer_apply.hpp"
#include "render/lower_view.hpp"

namespace ocipod {

namespace {

// Keeps a directory's times across a change inside it.
class KeepTimes {
public:
    explicit KeepTimes(int fd) : fd_(fd) { ok_ = fstat(fd, &st_) == 0; }
    ~KeepTimes() {
        if (ok_) (void)set_times_fd(fd_, st_.st_atim, st_.st_mtim);
    }

private:
    int fd_;
    struct stat st_;
    bool ok_;
};

Result<UniqueFd> open_diff_dir(int diff, const std::string& path) {
    return openat2_fd(diff, path, O_RDONLY | O_DIRECTORY, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
}

}  // namespace

Result<bool> apply_fixups(int diff_dirfd, const LowerDirs& lowers, const LayerFixups& fixups) {
    LowerView view(lowers);
    // First decide, changing nothing: a directory made where the lower layers have a symlink
    // (on it or on an ancestor) put this layer's entries in the wrong place.
    for (const auto& d : fixups.dirs) {
        LowerEntry le = TRY(view.lookup(d.path));
        if (le.kind == LowerEntry::Kind::symlink) return false;
    }
    ApplyState s;
    s.diff = diff_dirfd;
    s.lowers = &lowers;
    for (const auto& link : fixups.links) {
        auto [parent, name] = split_parent(link.path);
        UniqueFd dir = TRY_WRAP(open_diff_dir(diff_dirfd, parent), printable(link.path));
        struct stat st;
        if (TRY(stat_at(dir.get(), name, &st))) continue;  // a later entry of the layer won
        KeepTimes keep(dir.get());
        TRY_WRAP(copy_lower_link(s, link.target, dir.get(), name), printable(link.path));
    }
    for (const auto& path : fixups.whiteouts) {
        auto [parent, name] = split_parent(path);
        ResolvedDir r = TRY(resolve_dir(s, parent, ResolveMode::lookup));
        if (!r.found) continue;  // nothing to remove
        if (!r.fd) r = TRY_WRAP(resolve_dir(s, parent, ResolveMode::create), printable(path));
        KeepTimes keep(r.fd.get());
        TRY_WRAP(whiteout_at(r.fd.get(), name), printable(path));
    }
    for (const auto& d : fixups.dirs) {
        LowerEntry le = TRY(view.lookup(d.path));
        if (le.kind != LowerEntry::Kind::dir || le.depth != path_components(d.path).size())
            continue;  // a plain directory stays as made
        auto fd = open_diff_dir(diff_dirfd, d.path);
        if (!fd) continue;
        struct stat st;
        if (fstat(fd->get(), &st) < 0 || st.st_ino != d.ino) continue;
        int raw = openat(le.parent.get(), le.name.c_str(),
                         O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (raw < 0)
            return errno_error("opening the lower directory '%s'", printable(d.path).c_str());
        UniqueFd lower(raw);
        TRY_WRAP(copy_meta_fd(lower.get(), fd->get(), true), printable(d.path));
    }
    TRY(apply_dir_times(diff_dirfd, s.dir_times));
    return true;
}

}  // namespace ocipod
