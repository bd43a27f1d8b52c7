// linux.sysctl (config-linux.md "Sysctl"): only sysctls the kernel keeps per namespace, and only
// when the pod has that namespace of its own, so a pod never changes the host's settings. Every
// key is checked before the first write, so a refused key leaves nothing half applied. The writes
// go through one /proc/sys fd verified to be procfs and never cross a mount or a symlink, so a
// file bind-mounted over a sysctl cannot redirect them (CVE-2025-52881, THREATS §2.5).
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "base/strings.hpp"
#include "base/unique_fd.hpp"
#include "render/in_root.hpp"
#include "run/privileges.hpp"

namespace ocipod {

namespace {

// "net.ipv4.ip_forward" -> "net/ipv4/ip_forward". Each component must be a plain name: a '/'
// or a ".." component would let a key reach outside the directory its prefix names.
Result<std::string> sysctl_path(const std::string& key) {
    std::string path;
    for (const std::string& part : split(key, '.')) {
        if (part.empty() || part.find('/') != std::string::npos ||
            part.find('\0') != std::string::npos)
            return make_error(EINVAL, "sysctl '%s' is not a dot-separated name, refusing",
                              printable(key).c_str());
        if (!path.empty()) path += '/';
        path += part;
    }
    return path;
}

// The namespace that makes a sysctl the pod's own (as runc's validateSysctl), or why not.
Status check_namespaced(const std::string& key, bool own_net, bool own_ipc, bool own_uts) {
    const char* needs = nullptr;
    bool has = false;
    if (key == "kernel.hostname" || key == "kernel.domainname") {
        needs = "UTS", has = own_uts;
    } else if (key == "kernel.sem" || starts_with(key, "kernel.msg") ||
               starts_with(key, "kernel.shm") || starts_with(key, "fs.mqueue.")) {
        needs = "IPC", has = own_ipc;
    } else if (starts_with(key, "net.")) {
        needs = "network", has = own_net;
    } else {
        return make_error(EPERM, "sysctl '%s' is not namespaced, refusing", printable(key).c_str());
    }
    if (!has)
        return make_error(EPERM, "sysctl '%s' needs the pod's own %s namespace, refusing",
                          printable(key).c_str(), needs);
    return {};
}

Result<UniqueFd> open_proc_sys() {
    int fd = open("/proc/sys", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return errno_error("opening '/proc/sys'");
    UniqueFd dir(fd);
    struct statfs sfs = {};
    if (fstatfs(dir.get(), &sfs) < 0) return errno_error("statfs '/proc/sys'");
    if (sfs.f_type != PROC_SUPER_MAGIC)
        return make_error(EXDEV, "'/proc/sys' is not on procfs, refusing");
    return dir;
}

Status write_sysctl(int proc_sys, const std::string& key, const std::string& path,
                    const std::string& value) {
    UniqueFd fd = TRY_WRAP(
        openat2_fd(proc_sys, path, O_WRONLY,
                   RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV),
        strf("setting sysctl '%s'", printable(key).c_str()));
    // procfs takes a sysctl value in one write; a partial one would be applied as written.
    ssize_t n = write(fd.get(), value.data(), value.size());
    if (n < 0) return errno_error("setting sysctl '%s'", printable(key).c_str());
    if (static_cast<size_t>(n) != value.size())
        return make_error(EIO, "setting sysctl '%s': short write", printable(key).c_str());
    return {};
}

}  // namespace

Status apply_sysctls(const std::map<std::string, std::string>& sysctls, bool own_network_namespace,
                     bool own_ipc_namespace, bool own_uts_namespace) {
    if (sysctls.empty()) return {};
    std::vector<std::pair<const std::string*, std::string>> paths;
    for (const auto& [key, value] : sysctls) {
        std::string path = TRY(sysctl_path(key));
        TRY(check_namespaced(key, own_network_namespace, own_ipc_namespace, own_uts_namespace));
        paths.emplace_back(&key, std::move(path));
    }
    UniqueFd proc_sys = TRY(open_proc_sys());
    for (const auto& [key, path] : paths)
        TRY(write_sysctl(proc_sys.get(), *key, path, sysctls.at(*key)));
    return {};
}

}  // namespace ocipod
