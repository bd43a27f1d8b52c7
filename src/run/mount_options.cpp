#include "run/mount_options.hpp"

#include <sys/mount.h>

#include <string_view>

namespace ocipod {

namespace {

struct AttrOption {
    const char* name;
    uint64_t set;    // attribute bits the option sets
    uint64_t clear;  // attribute bits the option clears
};

// The atime options clear the whole MOUNT_ATTR__ATIME field, as mount_setattr requires.
const AttrOption attr_options[] = {
    {"ro", MOUNT_ATTR_RDONLY, 0},
    {"rw", 0, MOUNT_ATTR_RDONLY},
    {"nosuid", MOUNT_ATTR_NOSUID, 0},
    {"suid", 0, MOUNT_ATTR_NOSUID},
    {"nodev", MOUNT_ATTR_NODEV, 0},
    {"dev", 0, MOUNT_ATTR_NODEV},
    {"noexec", MOUNT_ATTR_NOEXEC, 0},
    {"exec", 0, MOUNT_ATTR_NOEXEC},
    {"relatime", MOUNT_ATTR_RELATIME, MOUNT_ATTR__ATIME},
    {"noatime", MOUNT_ATTR_NOATIME, MOUNT_ATTR__ATIME},
    {"strictatime", MOUNT_ATTR_STRICTATIME, MOUNT_ATTR__ATIME},
    {"nodiratime", MOUNT_ATTR_NODIRATIME, 0},
    {"diratime", 0, MOUNT_ATTR_NODIRATIME},
    {"nosymfollow", MOUNT_ATTR_NOSYMFOLLOW, 0},
    {"symfollow", 0, MOUNT_ATTR_NOSYMFOLLOW},
};

const AttrOption* find_attr(std::string_view name) {
    for (const auto& o : attr_options)
        if (name == o.name) return &o;
    return nullptr;
}

void apply(MountAttrs& attrs, const AttrOption& o) {
    // A later option wins over an earlier one ("ro,rw" is rw).
    attrs.set = (attrs.set & ~o.clear & ~o.set) | o.set;
    attrs.clear = (attrs.clear & ~o.set) | o.clear;
    if (o.clear & MOUNT_ATTR__ATIME) attrs.clear |= MOUNT_ATTR__ATIME;
}

}  // namespace

Result<std::pair<uint64_t, bool>> parse_propagation(const std::string& name) {
    static const struct {
        const char* name;
        uint64_t flag;
    } kinds[] = {
        {"shared", MS_SHARED},
        {"slave", MS_SLAVE},
        {"private", MS_PRIVATE},
        {"unbindable", MS_UNBINDABLE},
    };
    for (const auto& k : kinds) {
        if (name == k.name) return std::pair<uint64_t, bool>{k.flag, false};
        if (name == std::string("r") + k.name) return std::pair<uint64_t, bool>{k.flag, true};
    }
    return make_error(EINVAL, "unknown propagation '%s'", printable(name).c_str());
}

Result<MountOptions> parse_mount_options(const std::vector<std::string>& options, bool is_bind) {
    MountOptions out;
    out.bind = is_bind;
    for (const std::string& opt : options) {
        if (opt == "bind" || opt == "rbind") {
            out.bind = true;
            out.recursive_bind = opt == "rbind";
            continue;
        }
        if (const AttrOption* o = find_attr(opt)) {
            apply(out.attrs, *o);
            continue;
        }
        if (auto prop = parse_propagation(opt)) {
            out.propagation = prop->first;
            out.recursive_propagation = prop->second;
            continue;
        }
        // Recursive attributes (runtime-spec "rro", "rnosuid", ...), binds only.
        if (opt.size() > 1 && opt[0] == 'r') {
            if (const AttrOption* o = find_attr(std::string_view(opt).substr(1))) {
                apply(out.recursive_attrs, *o);
                continue;
            }
        }
        out.data.push_back(opt);
    }
    if (out.bind && !out.data.empty())
        return make_error(EINVAL, "unknown option '%s' for a bind mount",
                          printable(out.data.front()).c_str());
    if (!out.bind && (out.recursive_attrs.set || out.recursive_attrs.clear))
        return make_error(EINVAL, "recursive attributes are only for bind mounts");
    return out;
}

}  // namespace ocipod
