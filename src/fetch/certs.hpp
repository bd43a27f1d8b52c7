// Per-registry TLS material from the directories podman and docker use:
// /etc/containers/certs.d/HOST[:PORT]/ and /etc/docker/certs.d/HOST[:PORT]/ (overridable with
// $OCI_POD_CERTS_DIRS, colon-separated, for tests). In a host's directory: *.crt are extra CA
// certificates (added to the system CAs), NAME.cert + NAME.key are a client certificate pair
// (a .cert without its .key is an error).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"

namespace ocipod {

struct TlsFiles {
    std::vector<std::string> ca_files;
    std::string client_cert;
    std::string client_key;
};

Result<TlsFiles> tls_files_for(std::string_view host);

}  // namespace ocipod
