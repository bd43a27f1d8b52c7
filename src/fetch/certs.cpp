// certs.d lookup (containers-certs.d(5)). Like containers/image, only the first directory in the
// search list that has a HOST[:PORT] subdirectory is used; the others are not merged in. That
// keeps one answer to "which client certificate do we present" and matches what podman and
// skopeo do with the same files. In that directory:
//   *.crt          CA certificates, in byte-wise name order
//   NAME.cert      client certificate, needs NAME.key beside it (and NAME.key needs NAME.cert)
// More than one client pair is refused: TlsFiles holds one, and picking one silently could
// present the wrong identity. Other files are ignored; entries that are not regular files (after
// following symlinks, which certs.d commonly uses) are ignored too.
#include "fetch/certs.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>

#include "base/fs.hpp"
#include "base/unique_fd.hpp"

namespace ocipod {

namespace {

std::vector<std::string> cert_dirs() {
    const char* env = getenv("OCI_POD_CERTS_DIRS");
    if (env && *env) {
        std::vector<std::string> out;
        for (std::string& d : split(env, ':'))
            if (!d.empty()) out.push_back(std::move(d));
        return out;
    }
    return {"/etc/containers/certs.d", "/etc/docker/certs.d"};
}

// The host becomes a path component; refuse anything that could leave the certs directory.
bool valid_host_dir(std::string_view host) {
    if (host.empty() || host == "." || host == ".." || host.size() > 255) return false;
    for (char c : host)
        if (c == '/' || static_cast<unsigned char>(c) <= ' ' || c == 0x7f) return false;
    return true;
}

std::string_view stem(std::string_view name, std::string_view ext) {
    return name.substr(0, name.size() - ext.size());
}

}  // namespace

Result<TlsFiles> tls_files_for(std::string_view host) {
    if (!valid_host_dir(host))
        return make_error(EINVAL, "invalid registry host '%s' for certs.d",
                          printable(host).c_str());
    TlsFiles out;
    for (const std::string& base : cert_dirs()) {
        const std::string dir = base + "/" + std::string(host);
        int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0) {
            // Missing, or unreadable for this user: try the next directory as podman does.
            if (errno == ENOENT || errno == ENOTDIR || errno == EACCES) continue;
            return errno_error("opening '%s'", dir.c_str());
        }
        UniqueFd dfd(fd);
        std::vector<std::string> names = TRY(list_regular_files(dfd.get(), dir));
        auto has = [&](const std::string& n) {
            return std::binary_search(names.begin(), names.end(), n);
        };
        std::vector<std::string> certs;
        for (const std::string& n : names) {
            std::string_view v = n;
            if (v.ends_with(".crt") && v.size() > 4) out.ca_files.push_back(dir + "/" + n);
            if (v.ends_with(".cert") && v.size() > 5) {
                std::string key = std::string(stem(v, ".cert")) + ".key";
                if (!has(key))
                    return make_error(ENOENT, "client certificate '%s/%s' has no key '%s'",
                                      dir.c_str(), n.c_str(), key.c_str());
                certs.push_back(n);
            }
            if (v.ends_with(".key") && v.size() > 4) {
                std::string cert = std::string(stem(v, ".key")) + ".cert";
                if (!has(cert))
                    return make_error(ENOENT, "client key '%s/%s' has no certificate '%s'",
                                      dir.c_str(), n.c_str(), cert.c_str());
            }
        }
        if (certs.size() > 1)
            return make_error(EINVAL,
                              "'%s' holds %zu client certificates ('%s', '%s'...); only "
                              "one pair is supported",
                              dir.c_str(), certs.size(), certs[0].c_str(), certs[1].c_str());
        if (certs.size() == 1) {
            out.client_cert = dir + "/" + certs[0];
            out.client_key = dir + "/" + std::string(stem(certs[0], ".cert")) + ".key";
        }
        break;  // the first existing host directory is the only one used
    }
    return out;
}

}  // namespace ocipod
