// The "config" object of an image config, read strictly: every field either has the JSON type
// image-spec config.md gives it (null standing for "absent" where Docker writes null) or the
// whole config is refused with the field named, so a later stage never guesses.
#include "oci/run_config.hpp"

#include <algorithm>

#include "c/json.hpp"
#include "oci/manifest.hpp"

namespace ocipod {

namespace {

Error wrong_type(const char* field, const char* want) {
    return make_error(EBADMSG, "image config field '%s' is not %s", field, want);
}

std::string string_of(const json_t* v) {
    return std::string(json_string_value(v), json_string_length(v));
}

// A member of obj, nullptr when absent or null.
const json_t* member(const json_t* obj, const char* key) {
    return json_opt_member(obj, key);
}

Result<std::string> opt_string(const json_t* obj, const char* key, const char* field) {
    const json_t* v = member(obj, key);
    if (!v) return std::string();
    if (!json_is_string(v)) return wrong_type(field, "a string");
    return string_of(v);
}

Result<std::vector<std::string>> string_array(const json_t* obj, const char* key,
                                              const char* field) {
    std::vector<std::string> out;
    const json_t* v = member(obj, key);
    if (!v) return out;
    if (!json_is_array(v)) return wrong_type(field, "an array of strings");
    size_t i;
    const json_t* item;
    json_array_foreach(v, i, item) {
        if (!json_is_string(item)) return wrong_type(field, "an array of strings");
        out.push_back(string_of(item));
    }
    return out;
}

// ExposedPorts and Volumes are sets written as objects whose values are empty objects
// (config.md: "map[string]struct{}"); only the keys carry meaning.
Result<std::vector<std::string>> object_keys(const json_t* obj, const char* key,
                                             const char* field) {
    std::vector<std::string> out;
    const json_t* v = member(obj, key);
    if (!v) return out;
    if (!json_is_object(v)) return wrong_type(field, "an object");
    const char* k;
    const json_t* item;
    json_object_foreach(const_cast<json_t*>(v), k, item) {
        if (!json_is_object(item)) return wrong_type(field, "an object of objects");
        out.emplace_back(k);
    }
    std::sort(out.begin(), out.end());
    return out;
}

Result<std::map<std::string, std::string>> string_map(const json_t* obj, const char* key,
                                                      const char* field) {
    std::map<std::string, std::string> out;
    const json_t* v = member(obj, key);
    if (!v) return out;
    if (!json_is_object(v)) return wrong_type(field, "an object of strings");
    const char* k;
    const json_t* item;
    json_object_foreach(const_cast<json_t*>(v), k, item) {
        if (!json_is_string(item)) return wrong_type(field, "an object of strings");
        out.emplace(k, string_of(item));
    }
    return out;
}

// runtime-spec config.md: process.env entries have environ(7) semantics, KEY=VALUE with a
// non-empty KEY; runtimes refuse anything else at start, so refuse it here with the field named.
Status check_env(const std::vector<std::string>& env) {
    for (size_t i = 0; i < env.size(); ++i) {
        size_t eq = env[i].find('=');
        if (eq == std::string::npos || eq == 0)
            return make_error(EBADMSG,
                              "image config field 'config.Env' entry %zu '%s' is not KEY=VALUE", i,
                              printable(env[i]).c_str());
    }
    return {};
}

// conversion.md "Annotation Fields": the top-level descriptive fields become
// org.opencontainers.image.* annotations; read them with the same strictness.
Status parse_image_annotations(const json_t* doc, std::map<std::string, std::string>& out) {
    static const struct {
        const char* key;
        const char* annotation;
    } fields[] = {
        {"os", "org.opencontainers.image.os"},
        {"architecture", "org.opencontainers.image.architecture"},
        {"variant", "org.opencontainers.image.variant"},
        {"os.version", "org.opencontainers.image.os.version"},
        {"author", "org.opencontainers.image.author"},
        {"created", "org.opencontainers.image.created"},
    };
    for (const auto& f : fields) {
        std::string v = TRY(opt_string(doc, f.key, f.key));
        if (!v.empty()) out[f.annotation] = std::move(v);
    }
    // The spec gives no encoding for the os.features list; a comma-separated list, as for
    // exposedPorts.
    auto features = TRY(string_array(doc, "os.features", "os.features"));
    std::string joined;
    for (const auto& s : features) joined += (joined.empty() ? "" : ",") + s;
    if (!joined.empty()) out["org.opencontainers.image.os.features"] = std::move(joined);
    return {};
}

}  // namespace

Result<ImageRunConfig> parse_image_run_config(std::string_view config_bytes) {
    // The same bound as parse_image_config: it also caps huge Env, Cmd and Labels (THREATS 82).
    if (config_bytes.size() > max_config_bytes)
        return make_error(EFBIG,
                          "image config of %zu bytes is larger than the limit of %zu, refusing",
                          config_bytes.size(), max_config_bytes);
    JsonPtr doc = TRY(json_parse(config_bytes, "image config"));
    if (!json_is_object(doc.get())) return make_error(EBADMSG, "image config is not a JSON object");

    ImageRunConfig rc;
    TRY(parse_image_annotations(doc.get(), rc.image_annotations));

    const json_t* c = member(doc.get(), "config");
    if (!c) return rc;
    if (!json_is_object(c)) return wrong_type("config", "an object");

    rc.user = TRY(opt_string(c, "User", "config.User"));
    rc.exposed_ports = TRY(object_keys(c, "ExposedPorts", "config.ExposedPorts"));
    rc.env = TRY(string_array(c, "Env", "config.Env"));
    TRY(check_env(rc.env));
    rc.entrypoint = TRY(string_array(c, "Entrypoint", "config.Entrypoint"));
    rc.cmd = TRY(string_array(c, "Cmd", "config.Cmd"));
    rc.volumes = TRY(object_keys(c, "Volumes", "config.Volumes"));
    rc.working_dir = TRY(opt_string(c, "WorkingDir", "config.WorkingDir"));
    rc.labels = TRY(string_map(c, "Labels", "config.Labels"));
    rc.stop_signal = TRY(opt_string(c, "StopSignal", "config.StopSignal"));
    return rc;
}

}  // namespace ocipod
