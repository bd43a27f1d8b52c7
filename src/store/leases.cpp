#include "store/leases.hpp"

#include <fcntl.h>
#include <unistd.h>

#include "base/fs.hpp"
#include "c/json.hpp"
#include "oci/digest.hpp"

namespace ocipod {

namespace {

constexpr size_t max_lease_bytes = 1 << 20;

std::string leases_dir(const std::string& root) {
    return root + "/leases";
}

std::string lease_id(const std::string& bundle) {
    return Digest::of(HashAlg::sha256, bundle).hex();
}

Result<Lease> parse_lease(const std::string& id, const std::string& text, const std::string& path) {
    JsonPtr doc = TRY(json_parse(text, path.c_str()));
    Lease l;
    l.id = id;
    l.bundle = TRY_WRAP(json_req_string(doc.get(), "bundle"), path);
    l.manifest = TRY_WRAP(json_req_string(doc.get(), "manifest"), path);
    const json_t* chain = json_object_get(doc.get(), "chain");
    if (!json_is_array(chain)) return make_error(EINVAL, "%s: no \"chain\" array", path.c_str());
    for (size_t i = 0; i < json_array_size(chain); ++i) {
        const json_t* c = json_array_get(chain, i);
        if (!json_is_string(c))
            return make_error(EINVAL, "%s: \"chain\" holds a non-string", path.c_str());
        l.chain.emplace_back(json_string_value(c));
    }
    return l;
}

}  // namespace

Status write_lease(const std::string& root, const Lease& lease, Sync sync) {
    TRY(make_dirs(leases_dir(root), 0700));
    UniqueFd dir = TRY(open_dir(AT_FDCWD, leases_dir(root), false));
    JsonPtr o(json_object());
    json_object_set_new(o.get(), "bundle", json_string(lease.bundle.c_str()));
    json_object_set_new(o.get(), "manifest", json_string(lease.manifest.c_str()));
    json_object_set_new(o.get(), "chain", json_from_string_array(lease.chain).release());
    return write_file_atomic(dir.get(), lease_id(lease.bundle) + ".json",
                             json_dump(o.get(), true) + "\n", 0600, sync)
        .wrap(strf("writing the lease of '%s'", lease.bundle.c_str()));
}

Status remove_lease(const std::string& root, const std::string& bundle) {
    return remove_lease_id(root, lease_id(bundle));
}

Status remove_lease_id(const std::string& root, const std::string& id) {
    std::string path = leases_dir(root) + "/" + id + ".json";
    if (unlink(path.c_str()) < 0 && errno != ENOENT)
        return errno_error("removing lease '%s'", path.c_str());
    return {};
}

Result<std::vector<Lease>> list_leases(const std::string& root) {
    std::vector<Lease> out;
    UniqueFd dir(open(leases_dir(root).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!dir) {
        if (errno == ENOENT) return out;
        return errno_error("opening '%s'", leases_dir(root).c_str());
    }
    for (const std::string& name : TRY(list_regular_files(dir.get(), leases_dir(root)))) {
        if (!ends_with(name, ".json") || name[0] == '.') continue;
        std::string path = leases_dir(root) + "/" + name;
        std::string text = TRY(read_file_capped(dir.get(), name, max_lease_bytes));
        out.push_back(TRY(parse_lease(name.substr(0, name.size() - 5), text, path)));
    }
    return out;
}

}  // namespace ocipod
