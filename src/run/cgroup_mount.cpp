#include "run/cgroup_mount.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/mount.h>
#include <unistd.h>

#include <vector>

#include "base/fs.hpp"
#include "render/in_root.hpp"
#include "run/cgroup_files.hpp"
#include "run/fd_mount.hpp"
#include "run/mount_targets.hpp"

namespace ocipod {

namespace {

struct Hierarchy {
    std::string dir;                 // its directory below the destination
    std::string type;                // cgroup or cgroup2
    std::vector<std::string> data;   // controllers as flags, "name=X" for named hierarchies
    std::vector<std::string> links;  // controllers of a co-mounted hierarchy
    std::string own;                 // this process's cgroup in it, relative to the mount root
};

// Hierarchies from /proc/self/cgroup ("0::path" is cgroup v2).
Result<std::vector<Hierarchy>> read_hierarchies() {
    std::vector<Hierarchy> out;
    for (const CgroupMembership& m : TRY(read_own_cgroups())) {
        Hierarchy h;
        // The path is relative to the cgroup namespace's root, which is also the root of a
        // fresh mount made in that namespace. A path above it ("/../x") cannot be reached from
        // the mount: the pod then sees the namespace's root.
        if (starts_with(m.path, "/") && m.path.find("/..") == std::string::npos)
            h.own = m.path.substr(1);
        if (m.controllers.empty()) {
            h.dir = "unified";
            h.type = "cgroup2";
        } else {
            h.type = "cgroup";
            for (const std::string& c : split(m.controllers, ',')) {
                h.data.push_back(c);
                if (starts_with(c, "name=")) {
                    h.dir += (h.dir.empty() ? "" : ",") + c.substr(5);
                } else {
                    h.dir += (h.dir.empty() ? "" : ",") + c;
                    h.links.push_back(c);
                }
            }
            if (h.links.size() < 2) h.links.clear();
        }
        if (h.dir.find('/') != std::string::npos || h.dir == "." || h.dir == "..")
            return make_error(EPROTO, "unexpected hierarchy '%s'", printable(h.dir).c_str());
        out.push_back(std::move(h));
    }
    return out;
}

// The part of the fresh hierarchy mount mnt that the pod sees: its own cgroup, as runc binds it,
// so that a pod without a cgroup namespace does not see the host's whole tree; in a cgroup
// namespace of its own that is the mount's root anyway.
Result<UniqueFd> own_subtree(UniqueFd mnt, const Hierarchy& h) {
    if (h.own.empty()) return mnt;
    UniqueFd dir = TRY(openat2_fd(mnt.get(), h.own, O_PATH | O_DIRECTORY,
                                  RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_XDEV)
                           .wrap(strf("the pod's cgroup '%s'", printable(h.own).c_str())));
    return clone_tree(dir.get(), false);
}

}  // namespace

Status mount_cgroups(int root_fd, const std::string& dest, uint64_t attr_flags) {
    attr_flags |= MOUNT_ATTR_RDONLY;
    std::vector<Hierarchy> hierarchies = TRY(read_hierarchies());
    UniqueFd target = TRY(open_target(root_fd, dest, TargetKind::directory));
    if (hierarchies.size() == 1 && hierarchies[0].type == "cgroup2") {
        UniqueFd mnt = TRY(
            own_subtree(TRY(make_fs_mount("cgroup2", "cgroup2", {}, attr_flags)), hierarchies[0]));
        return attach_in_root(root_fd, dest, mnt.get(), target.get());
    }

    UniqueFd tmpfs = TRY(make_fs_mount("tmpfs", "tmpfs", {"mode=0755", "size=64k"},
                                       attr_flags & ~static_cast<uint64_t>(MOUNT_ATTR_RDONLY)));
    for (const Hierarchy& h : hierarchies) {
        if (mkdirat(tmpfs.get(), h.dir.c_str(), 0755) < 0)
            return errno_error("creating '%s'", printable(h.dir).c_str());
        for (const std::string& c : h.links)
            if (symlinkat(h.dir.c_str(), tmpfs.get(), c.c_str()) < 0 && errno != EEXIST)
                return errno_error("creating '%s'", printable(c).c_str());
    }
    TRY(attach_in_root(root_fd, dest, tmpfs.get(), target.get()));
    for (const Hierarchy& h : hierarchies) {
        // Below the tmpfs just made: nothing there but what the loop above created.
        std::string sub = dest + "/" + h.dir;
        UniqueFd dir = TRY(openat2_fd(tmpfs.get(), h.dir, O_PATH | O_DIRECTORY,
                                      RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS));
        UniqueFd mnt =
            TRY(make_fs_mount(h.type, h.type, h.data, attr_flags)
                    .wrap(strf("mounting '%s' on '%s'", h.type.c_str(), printable(sub).c_str())));
        UniqueFd own = TRY(own_subtree(std::move(mnt), h));
        TRY(attach_mount(own.get(), dir.get()));
    }
    MountAttrs ro;
    ro.set = MOUNT_ATTR_RDONLY;
    return set_mount_attrs(tmpfs.get(), ro, false);
}

}  // namespace ocipod
