// The rootfs mode names and the overlay mount. The flattened copy lives in flatten.cpp.
//
// Mount options: only the layers, upperdir and workdir are passed; index, redirect_dir, metacopy,
// xino and friends keep the kernel's defaults. The layer dirs hold no redirect or metacopy
// xattrs (layer_apply.hpp writes plain files and directories), so those features only decide how
// the per-bundle upper dir records later changes, which is the kernel's business.
#include "render/rootfs.hpp"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/mount.h>  // glibc 2.36 declares fsopen/fsconfig/fsmount/move_mount here
#include <sys/stat.h>
#include <unistd.h>

#include "base/fs.hpp"
#include "base/unique_fd.hpp"

namespace ocipod {

const char* rootfs_mode_name(RootfsMode m) {
    switch (m) {
        case RootfsMode::automatic:
            return "auto";
        case RootfsMode::overlay:
            return "overlay";
        case RootfsMode::copy:
            return "copy";
    }
    return "auto";
}

Result<RootfsMode> parse_rootfs_mode(std::string_view text) {
    for (RootfsMode m : {RootfsMode::automatic, RootfsMode::overlay, RootfsMode::copy})
        if (text == rootfs_mode_name(m)) return m;
    return make_error(EINVAL, "unknown rootfs mode '%s' (auto, overlay or copy)",
                      printable(text).c_str());
}

namespace {

// The messages the kernel left in the fs context ("e overlayfs: failed to ..."), joined.
std::string context_messages(int fsfd) {
    std::string out;
    char buf[1024];
    for (int i = 0; i < 32; ++i) {
        ssize_t n = read(fsfd, buf, sizeof buf - 1);
        if (n <= 0) break;
        std::string_view line(buf, static_cast<size_t>(n));
        if (line.size() > 2 && line[1] == ' ') line.remove_prefix(2);  // "e ", "w ", "i "
        if (!out.empty()) out += "; ";
        out += printable(line);
    }
    return out;
}

Error context_error(int code, int fsfd, const std::string& what) {
    Error e = errno_error_code(code, "%s", what.c_str());
    std::string log = context_messages(fsfd);
    if (!log.empty()) e.message += " (" + log + ")";
    return e;
}

// Backslash-escape the characters the overlay option parser splits on or unescapes.
std::string escape_option(const std::string& path, bool colon) {
    std::string out;
    for (char c : path) {
        if (c == '\\' || c == ',' || (colon && c == ':')) out += '\\';
        out += c;
    }
    return out;
}

constexpr int kUnsupported = -1;  // "lowerdir+" unknown: use the classic option string

// The new mount API, one layer at a time (Linux >= 6.8 knows "lowerdir+"; up to 500 layers).
Status mount_with_fs_context(const std::vector<std::string>& lowers, const std::string& upper,
                             const std::string& work, const std::string& target, int* unsupported) {
    *unsupported = 0;
    int raw = fsopen("overlay", FSOPEN_CLOEXEC);
    if (raw < 0) {
        if (errno == ENOSYS) {
            *unsupported = kUnsupported;
            return {};
        }
        return errno_error("opening an overlay fs context");
    }
    UniqueFd fs(raw);
    for (size_t i = 0; i < lowers.size(); ++i) {
        if (fsconfig(fs.get(), FSCONFIG_SET_STRING, "lowerdir+", lowers[i].c_str(), 0) == 0)
            continue;
        int code = errno;
        if (i == 0 && code == EINVAL) {
            (void)context_messages(fs.get());
            *unsupported = kUnsupported;
            return {};
        }
        return context_error(code, fs.get(), strf("adding lower layer '%s'", lowers[i].c_str()));
    }
    // upperdir and workdir values are unescaped by the kernel (backslashes), lowerdir+ is not.
    if (fsconfig(fs.get(), FSCONFIG_SET_STRING, "upperdir", escape_option(upper, false).c_str(),
                 0) < 0)
        return context_error(errno, fs.get(), strf("setting upper dir '%s'", upper.c_str()));
    if (fsconfig(fs.get(), FSCONFIG_SET_STRING, "workdir", escape_option(work, false).c_str(), 0) <
        0)
        return context_error(errno, fs.get(), strf("setting work dir '%s'", work.c_str()));
    if (fsconfig(fs.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) < 0)
        return context_error(errno, fs.get(), "creating the overlay");
    raw = fsmount(fs.get(), FSMOUNT_CLOEXEC, 0);
    if (raw < 0) return context_error(errno, fs.get(), "creating the overlay mount");
    UniqueFd mnt(raw);
    if (move_mount(mnt.get(), "", AT_FDCWD, target.c_str(), MOVE_MOUNT_F_EMPTY_PATH) < 0)
        return errno_error("attaching the overlay on '%s'", target.c_str());
    return {};
}

// mount(2) with one option string, limited to a page.
Status mount_with_options(const std::vector<std::string>& lowers, const std::string& upper,
                          const std::string& work, const std::string& target) {
    std::string opts = "lowerdir=";
    for (size_t i = 0; i < lowers.size(); ++i) {
        if (i) opts += ':';
        opts += escape_option(lowers[i], true);
    }
    opts += ",upperdir=" + escape_option(upper, true);
    opts += ",workdir=" + escape_option(work, true);
    long page = sysconf(_SC_PAGESIZE);
    if (page > 0 && opts.size() + 1 > static_cast<size_t>(page))
        return make_error(E2BIG,
                          "the overlay options for %zu layers take %zu bytes, more than a page "
                          "(%ld)",
                          lowers.size(), opts.size() + 1, page);
    if (mount("overlay", target.c_str(), "overlay", 0, opts.c_str()) < 0)
        return errno_error("mounting overlay on '%s'", target.c_str());
    return {};
}

}  // namespace

Status mount_overlay(const std::vector<std::string>& lowers, const std::string& upper,
                     const std::string& work, const std::string& target) {
    if (lowers.empty()) return make_error(EINVAL, "an overlay needs at least one lower layer");
    int unsupported = 0;
    TRY_WRAP(mount_with_fs_context(lowers, upper, work, target, &unsupported),
             strf("mounting overlay on '%s'", target.c_str()));
    if (unsupported != kUnsupported) return {};
    return mount_with_options(lowers, upper, work, target);
}

}  // namespace ocipod
