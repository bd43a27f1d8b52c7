// registries.conf version 2, read the way containers-registries.conf(5) and
// containers-registries.conf.d(5) describe it, strictly. Decisions beyond the man pages:
//
// - insecure: the man page allows plain HTTP *and* unverified TLS for such a registry, and
//   podman tries https first, then falls back to http. We never downgrade on failure (a network
//   attacker could force it, THREATS.md registry fault 25). Instead an endpoint is fixed up front:
//     insecure = true, host is loopback (localhost, 127.0.0.0/8, [::1]) -> http://
//     insecure = true, any other host                                 -> https://, not verified
//     insecure = false                                                -> https://, verified
//   --tls-verify (tls_verify_override) wins over all of that for every endpoint:
//     0 -> http:// (tls_verify=false), 1 -> https:// verified, even for insecure entries.
//   A non-loopback registry that only speaks plain http therefore needs --tls-verify=false.
// - prefix matching is on '/' component boundaries of "registry/repository": prefix
//   "example.com" matches "example.com/x" but not "example.com:5000/x" or "example.comx/x".
//   Prefixes (and locations) with a tag or digest are refused: the contract matches names only.
// - "*.example.com" matches any registry host ending in ".example.com" (any port); the matched
//   part is the whole registry (host:port). An exact prefix beats a wildcard of equal match
//   length, and a longer wildcard beats a shorter one. With no location, no rewrite happens.
// - pull-from-mirror: "all", "digest-only" and "tag-only" (a tag-only mirror is skipped for
//   references by digest). mirror-by-digest-only = true makes every mirror of
//   the entry digest-only; combined with a per-mirror pull-from-mirror it is refused, as the man
//   page says.
// - short-name-mode is validated and otherwise ignored (we behave as "permissive"). [aliases]
//   is type-checked and ignored: short names are resolved with unqualified-search-registries
//   only. credential-helpers may only name "containers-auth.json" (the default), since the
//   credential store reads auth files and their credHelpers, not registries.conf helpers.
// - Two [[registry]] tables with the same prefix in one file are refused; across files the later
//   one replaces the earlier in place (containers-registries.conf.d(5)).
// - $CONTAINERS_REGISTRIES_CONF names the only file read (no drop-ins); it must exist.
// - Version 1 files ([registries.search] ...) are refused with a hint to convert them.
#include "fetch/registries_conf.hpp"

#include <cstdlib>
#include <map>

#include "fetch/config_files.hpp"
#include "fetch/toml.hpp"

namespace ocipod {

namespace {

constexpr const char* system_conf = "/etc/containers/registries.conf";
constexpr const char* system_conf_d = "/etc/containers/registries.conf.d";

class ConfReader {
public:
    explicit ConfReader(std::string_view file) : file_(file) {}

    Status expect(const TomlMember& m, TomlType type, const char* where) const {
        if (m.value.type == type) return {};
        return toml_error(file_, m.value.line, "'%s'%s must be %s, not %s", m.key.c_str(), where,
                          toml_type_name(type), toml_type_name(m.value.type));
    }

    Result<std::vector<std::string>> string_array(const TomlMember& m, const char* where) const {
        TRY(expect(m, TomlType::array, where));
        std::vector<std::string> out;
        for (const TomlValue& v : m.value.items) {
            if (v.type != TomlType::string)
                return toml_error(file_, v.line, "'%s'%s must hold strings, not %s", m.key.c_str(),
                                  where, toml_type_name(v.type));
            out.push_back(v.string);
        }
        return out;
    }

    // A registry name or location as the man page allows them: host[:port][/path], no scheme,
    // no tag or digest, no spaces; a trailing '/' is dropped as the containers tools do.
    Result<std::string> location(const TomlMember& m, bool allow_wildcard,
                                 const char* where) const {
        TRY(expect(m, TomlType::string, where));
        std::string s = m.value.string;
        while (!s.empty() && s.back() == '/') s.pop_back();
        int line = m.value.line;
        const char* key = m.key.c_str();
        if (s.starts_with("http://") || s.starts_with("https://"))
            return toml_error(file_, line, "'%s'%s = '%s': URL schemes are not supported", key,
                              where, printable(s).c_str());
        for (char c : s)
            if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f)
                return toml_error(file_, line,
                                  "'%s'%s = '%s' contains whitespace or a control "
                                  "character",
                                  key, where, printable(s).c_str());
        if (s.find('@') != std::string::npos)
            return toml_error(file_, line, "'%s'%s = '%s': digests are not supported here", key,
                              where, printable(s).c_str());
        size_t slash = s.find('/');
        if (slash != std::string::npos && s.find(':', slash) != std::string::npos)
            return toml_error(file_, line, "'%s'%s = '%s': tags are not supported here", key, where,
                              printable(s).c_str());
        if (slash == 0 || s.find("//") != std::string::npos)
            return toml_error(file_, line, "'%s'%s = '%s' has an empty path component", key, where,
                              printable(s).c_str());
        size_t star = s.find('*');
        if (star != std::string::npos) {
            bool ok = allow_wildcard && star == 0 && s.starts_with("*.") && s.size() > 2 &&
                      s.find_first_of("*/:", 1) == std::string::npos;
            if (!ok)
                return toml_error(file_, line,
                                  "'%s'%s = '%s': a wildcard must be the whole first "
                                  "label of a bare host, as in '*.example.com'",
                                  key, where, printable(s).c_str());
        }
        return s;
    }

    Result<RegistryMirror> mirror(const TomlValue& t, bool& has_pull_from_mirror) const {
        const char* where = " in [[registry.mirror]]";
        RegistryMirror m;
        bool have_location = false;
        for (const TomlMember& mem : t.members) {
            if (mem.key == "location") {
                m.location = TRY(location(mem, false, where));
                have_location = true;
            } else if (mem.key == "insecure") {
                TRY(expect(mem, TomlType::boolean, where));
                m.insecure = mem.value.boolean;
            } else if (mem.key == "pull-from-mirror") {
                TRY(expect(mem, TomlType::string, where));
                const std::string& v = mem.value.string;
                if (v != "" && v != "all" && v != "digest-only" && v != "tag-only")
                    return toml_error(file_, mem.value.line,
                                      "pull-from-mirror = '%s' is not one "
                                      "of 'all', 'digest-only', 'tag-only'",
                                      printable(v).c_str());
                m.digest_only = v == "digest-only";
                m.tag_only = v == "tag-only";
                has_pull_from_mirror = has_pull_from_mirror || !v.empty();
            } else {
                return unknown(mem, where);
            }
        }
        if (!have_location || m.location.empty())
            return toml_error(file_, t.line, "[[registry.mirror]] needs a location");
        return m;
    }

    Result<RegistryEntry> registry(const TomlValue& t) const {
        const char* where = " in [[registry]]";
        RegistryEntry e;
        e.source = strf("%.*s:%d", static_cast<int>(file_.size()), file_.data(), t.line);
        bool have_prefix = false, by_digest_only = false, per_mirror_policy = false;
        int by_digest_line = 0;
        for (const TomlMember& mem : t.members) {
            if (mem.key == "prefix") {
                e.prefix = TRY(location(mem, true, where));
                have_prefix = true;
            } else if (mem.key == "location") {
                e.location = TRY(location(mem, false, where));
            } else if (mem.key == "insecure") {
                TRY(expect(mem, TomlType::boolean, where));
                e.insecure = mem.value.boolean;
            } else if (mem.key == "blocked") {
                TRY(expect(mem, TomlType::boolean, where));
                e.blocked = mem.value.boolean;
            } else if (mem.key == "mirror-by-digest-only") {
                TRY(expect(mem, TomlType::boolean, where));
                by_digest_only = mem.value.boolean;
                by_digest_line = mem.value.line;
            } else if (mem.key == "mirror") {
                if (mem.value.type != TomlType::array)
                    return toml_error(file_, mem.value.line,
                                      "'mirror' must be written as "
                                      "[[registry.mirror]] tables");
                for (const TomlValue& mt : mem.value.items) {
                    if (mt.type != TomlType::table)
                        return toml_error(file_, mt.line,
                                          "'mirror' must be written as "
                                          "[[registry.mirror]] tables");
                    e.mirrors.push_back(TRY(mirror(mt, per_mirror_policy)));
                }
            } else {
                return unknown(mem, where);
            }
        }
        if (by_digest_only && per_mirror_policy)
            return toml_error(file_, by_digest_line,
                              "mirror-by-digest-only cannot be combined "
                              "with pull-from-mirror in the same [[registry]]");
        if (by_digest_only)
            for (RegistryMirror& m : e.mirrors) m.digest_only = true;
        bool wildcard = e.prefix.starts_with("*.");
        if (!have_prefix || e.prefix.empty()) {
            if (e.location.empty())
                return toml_error(file_, t.line, "[[registry]] needs a prefix or a location");
            e.prefix = e.location;
        } else if (e.location.empty() && !wildcard) {
            e.location = e.prefix;  // man page: location defaults to prefix
        }
        return e;
    }

    Error unknown(const TomlMember& m, const char* where) const {
        return toml_error(file_, m.value.line, "unknown key '%s'%s", printable(m.key).c_str(),
                          where);
    }

    std::string_view file() const { return file_; }

private:
    std::string_view file_;
};

Status check_search_registry(const ConfReader& r, const std::string& s, int line) {
    bool bad = s.empty() || s.find_first_of("/@* \t") != std::string::npos;
    if (bad)
        return toml_error(r.file(), line,
                          "unqualified-search-registries entry '%s' is not a "
                          "host[:port]",
                          printable(s).c_str());
    return {};
}

}  // namespace

Status RegistriesConf::merge(std::string_view text, std::string_view filename) {
    TomlValue doc = TRY(toml_parse(text, filename));
    ConfReader r(filename);
    if (const TomlValue* v1 = doc.get("registries"))
        return toml_error(filename, v1->line,
                          "version 1 format ([registries.search] etc.) is not "
                          "supported, convert to version 2 (see containers-registries.conf(5))");

    // Work on copies so a file that fails half-way changes nothing.
    std::vector<std::string> search = search_;
    std::vector<RegistryEntry> registries = registries_;
    std::map<std::string, int> prefixes_here;
    for (const TomlMember& m : doc.members) {
        if (m.key == "unqualified-search-registries") {
            search = TRY(r.string_array(m, ""));
            for (const std::string& s : search) TRY(check_search_registry(r, s, m.value.line));
        } else if (m.key == "short-name-mode") {
            TRY(r.expect(m, TomlType::string, ""));
            const std::string& v = m.value.string;
            if (v != "" && v != "enforcing" && v != "permissive" && v != "disabled")
                return toml_error(filename, m.value.line,
                                  "short-name-mode = '%s' is not one of "
                                  "'enforcing', 'permissive', 'disabled'",
                                  printable(v).c_str());
        } else if (m.key == "credential-helpers") {
            for (const std::string& h : TRY(r.string_array(m, "")))
                if (h != "containers-auth.json")
                    return toml_error(filename, m.value.line,
                                      "credential-helpers: '%s' is not "
                                      "supported, only 'containers-auth.json' (credential "
                                      "helpers can be named in auth.json's credHelpers)",
                                      printable(h).c_str());
        } else if (m.key == "aliases") {
            TRY(r.expect(m, TomlType::table, ""));
            for (const TomlMember& a : m.value.members)
                TRY(r.expect(a, TomlType::string, " in [aliases]"));
        } else if (m.key == "registry") {
            if (m.value.type == TomlType::table && m.value.get("mirror"))
                return toml_error(filename, m.value.line,
                                  "[[registry.mirror]] must follow the "
                                  "[[registry]] it belongs to");
            if (m.value.type != TomlType::array || !m.value.array_of_tables)
                return toml_error(filename, m.value.line,
                                  "'registry' must be written as "
                                  "[[registry]] tables");
            for (const TomlValue& t : m.value.items) {
                RegistryEntry e = TRY(r.registry(t));
                auto [it, fresh] = prefixes_here.emplace(e.prefix, t.line);
                if (!fresh)
                    return toml_error(filename, t.line,
                                      "[[registry]] prefix '%s' is already "
                                      "defined on line %d",
                                      e.prefix.c_str(), it->second);
                bool replaced = false;
                for (RegistryEntry& old : registries)
                    if (old.prefix == e.prefix) {
                        old = e;
                        replaced = true;
                    }
                if (!replaced) registries.push_back(std::move(e));
            }
        } else {
            return r.unknown(m, "");
        }
    }
    search_ = std::move(search);
    registries_ = std::move(registries);
    return {};
}

Result<RegistriesConf> RegistriesConf::load_files(const std::vector<std::string>& paths) {
    RegistriesConf conf;
    for (const std::string& path : paths) {
        std::optional<std::string> text = TRY(read_config_file(path));
        if (!text) continue;
        TRY(conf.merge(*text, path));
    }
    return conf;
}

Result<RegistriesConf> RegistriesConf::load() {
    const char* env = getenv("CONTAINERS_REGISTRIES_CONF");
    if (env && *env) {
        std::optional<std::string> text = TRY(read_config_file(env));
        if (!text)
            return make_error(ENOENT,
                              "$CONTAINERS_REGISTRIES_CONF names '%s', which does not "
                              "exist",
                              env);
        RegistriesConf conf;
        TRY(conf.merge(*text, env));
        return conf;
    }
    std::vector<std::string> paths{system_conf};
    for (std::string& p : TRY(list_config_dropins(system_conf_d, ".conf")))
        paths.push_back(std::move(p));
    return load_files(paths);
}

}  // namespace ocipod
