// Credential lookup over auth.json files (containers-auth.json(5), docker's config.json).
//
// Key matching: every "auths" key is normalised before it is compared. A key with a scheme
// ("https://index.docker.io/v1/", "http://host:5000/v2/") is the legacy docker form and names
// only its host. Otherwise trailing '/' are dropped and the host part is kept with its
// namespace path ("quay.io/team"). Docker Hub's host aliases (index.docker.io,
// registry-1.docker.io) all mean docker.io. The lookup tries "registry/repository", then each
// shorter namespace, then "registry"; at each level a key written exactly that way wins over one
// that only normalises to it (so "docker.io" beats "https://index.docker.io/v1/").
//
// Within one file: credHelpers for the registry host, then auths, then credsStore. An entry
// without "auth" or "identitytoken" (docker writes {} when a store holds the secret) does not
// count and the search goes on. Files are tried in order; the first that yields credentials
// wins. A missing file is skipped; one that exists but is malformed is an error naming it.
#include "fetch/credentials.hpp"

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>

#include "base/base64.hpp"
#include "c/json.hpp"
#include "fetch/config_files.hpp"
#include "fetch/credential_helper.hpp"

namespace ocipod {

namespace {

constexpr std::string_view docker_hub = "docker.io";
// The server name docker itself stores Docker Hub secrets under in credential helpers.
constexpr std::string_view docker_hub_legacy_server = "https://index.docker.io/v1/";

std::string normalize_host(std::string_view host) {
    if (host == "index.docker.io" || host == "registry-1.docker.io") return std::string(docker_hub);
    return std::string(host);
}

std::string normalize_key(std::string_view key) {
    bool legacy = false;
    for (std::string_view scheme : {"http://", "https://"})
        if (key.starts_with(scheme)) {
            key.remove_prefix(scheme.size());
            legacy = true;
        }
    if (legacy) key = key.substr(0, key.find('/'));
    while (key.ends_with('/')) key.remove_suffix(1);
    size_t slash = key.find('/');
    if (slash == std::string_view::npos) return normalize_host(key);
    return normalize_host(key.substr(0, slash)) + std::string(key.substr(slash));
}

Result<std::optional<Credentials>> decode_entry(const std::string& file, const char* key,
                                                const json_t* entry) {
    const std::string where = strf("'%s': auths entry '%s'", file.c_str(), key);
    if (!json_is_object(entry)) return make_error(EBADMSG, "%s is not an object", where.c_str());
    auto auth = TRY_WRAP(json_opt_string(entry, "auth"), where);
    auto token = TRY_WRAP(json_opt_string(entry, "identitytoken"), where);
    Credentials c;
    if (auth && !auth->empty()) {
        std::optional<std::string> plain = base64_decode(*auth);
        if (!plain) return make_error(EBADMSG, "%s: 'auth' is not valid base64", where.c_str());
        size_t colon = plain->find(':');
        if (colon == std::string::npos)
            return make_error(EBADMSG, "%s: 'auth' does not decode to USER:PASSWORD",
                              where.c_str());
        c.username = plain->substr(0, colon);
        c.password = plain->substr(colon + 1);
    }
    if (token && !token->empty()) c.identity_token = *token;
    if (c.username.empty() && c.password.empty() && c.identity_token.empty())
        return std::optional<Credentials>();
    return std::optional<Credentials>(std::move(c));
}

// Ask a credential helper; for Docker Hub also under the server name docker uses.
Result<std::optional<Credentials>> ask_helper(const std::string& file, const std::string& helper,
                                              const std::string& registry) {
    std::string ctx = strf("'%s'", file.c_str());
    auto c = TRY_WRAP(run_credential_helper(helper, registry), ctx);
    if (!c && registry == docker_hub)
        c = TRY_WRAP(run_credential_helper(helper, docker_hub_legacy_server), ctx);
    return c;
}

Result<std::optional<Credentials>> lookup_in_file(const std::string& file,
                                                  const std::string& registry,
                                                  std::string_view repository) {
    std::optional<std::string> text = TRY(read_config_file(file));
    if (!text) return std::optional<Credentials>();
    const std::string ctx = strf("'%s'", file.c_str());
    JsonPtr doc = TRY_WRAP(json_parse(*text, "auth file"), ctx);
    if (!json_is_object(doc.get()))
        return make_error(EBADMSG, "'%s' is not a JSON object", file.c_str());

    auto helpers = TRY_WRAP(json_opt_string_map(doc.get(), "credHelpers"), ctx);
    for (const auto& [key, helper] : helpers)
        if (normalize_key(key) == registry) return ask_helper(file, helper, registry);

    if (const json_t* auths = json_opt_member(doc.get(), "auths")) {
        if (!json_is_object(auths))
            return make_error(EBADMSG, "'%s': field 'auths' is not an object", file.c_str());
        // Most specific first: registry/a/b/c, registry/a/b, registry/a, registry.
        std::vector<std::string> wanted;
        std::string path = registry + "/" + std::string(repository);
        while (!repository.empty()) {
            wanted.push_back(path);
            size_t slash = path.rfind('/');
            path.resize(slash);
            if (path.size() == registry.size()) break;
        }
        wanted.push_back(registry);
        for (const std::string& w : wanted) {
            for (bool exact : {true, false}) {
                const char* key;
                json_t* entry;
                json_object_foreach(const_cast<json_t*>(auths), key, entry) {
                    if (exact ? w != key : normalize_key(key) != w) continue;
                    auto c = TRY(decode_entry(file, key, entry));
                    if (c) return c;
                }
            }
        }
    }

    auto store = TRY_WRAP(json_opt_string(doc.get(), "credsStore"), ctx);
    if (store && !store->empty()) return ask_helper(file, *store, registry);
    return std::optional<Credentials>();
}

std::string home_dir() {
    const char* home = getenv("HOME");
    if (home && *home) return home;
    struct passwd pw, *found = nullptr;
    char buf[4096];
    if (getpwuid_r(getuid(), &pw, buf, sizeof buf, &found) == 0 && found && found->pw_dir)
        return found->pw_dir;
    return {};
}

}  // namespace

Result<Credentials> parse_creds_option(std::string_view s) {
    size_t colon = s.find(':');
    if (colon == std::string_view::npos || colon == 0)
        return make_error(EINVAL, "--creds must be USERNAME:PASSWORD");
    Credentials c;
    c.username = std::string(s.substr(0, colon));
    c.password = std::string(s.substr(colon + 1));
    return c;
}

CredentialStore CredentialStore::from_environment(std::optional<Credentials> cli) {
    std::vector<std::string> files;
    auto env = [](const char* name) -> std::string {
        const char* v = getenv(name);
        return v ? v : "";
    };
    if (!env("REGISTRY_AUTH_FILE").empty()) files.push_back(env("REGISTRY_AUTH_FILE"));
    // podman's primary file; without $XDG_RUNTIME_DIR (root, services) it uses /run/containers.
    if (!env("XDG_RUNTIME_DIR").empty())
        files.push_back(env("XDG_RUNTIME_DIR") + "/containers/auth.json");
    else
        files.push_back(strf("/run/containers/%u/auth.json", static_cast<unsigned>(getuid())));
    std::string home = home_dir();
    std::string config = env("XDG_CONFIG_HOME");
    if (config.empty() && !home.empty()) config = home + "/.config";
    if (!config.empty()) files.push_back(config + "/containers/auth.json");
    if (!home.empty()) files.push_back(home + "/.docker/config.json");

    CredentialStore store = from_files(std::move(files));
    store.cli_ = std::move(cli);
    return store;
}

CredentialStore CredentialStore::from_files(std::vector<std::string> files) {
    CredentialStore store;
    store.files_ = std::move(files);
    return store;
}

Result<std::optional<Credentials>> CredentialStore::lookup(std::string_view registry,
                                                           std::string_view repository) const {
    if (cli_) return cli_;
    const std::string reg = normalize_host(registry);
    for (const std::string& file : files_) {
        auto c = TRY(lookup_in_file(file, reg, repository));
        if (c) return c;
    }
    return std::optional<Credentials>();
}

}  // namespace ocipod
