// Reference grammar after distribution/reference (reference.go):
//   reference := name [ ":" tag ] [ "@" digest ]
//   name      := [ domain "/" ] path-component { "/" path-component }
//   domain    := host [ ":" port ]   host := domain-component { "." domain-component } | "[" ipv6
//   "]"
#include "oci/reference.hpp"

namespace ocipod {

namespace {

constexpr size_t max_name_length = 255;
constexpr size_t max_tag_length = 128;
constexpr std::string_view docker_library = "library/";

bool is_lower_alnum(char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}
bool is_alnum(char c) {
    return is_lower_alnum(c) || (c >= 'A' && c <= 'Z');
}
bool is_word(char c) {
    return is_alnum(c) || c == '_';
}

// [a-z0-9]+ ( ( [._] | __ | -+ ) [a-z0-9]+ )*
bool valid_path_component(std::string_view s) {
    size_t i = 0;
    for (;;) {
        size_t start = i;
        while (i < s.size() && is_lower_alnum(s[i])) ++i;
        if (i == start) return false;  // empty, leading separator or two separators in a row
        if (i == s.size()) return true;
        if (s[i] == '.') {
            ++i;
        } else if (s[i] == '_') {
            ++i;
            if (i < s.size() && s[i] == '_') ++i;
        } else if (s[i] == '-') {
            while (i < s.size() && s[i] == '-') ++i;
        } else {
            return false;
        }
    }
}

// domain-component := [a-zA-Z0-9] | [a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]
bool valid_domain_component(std::string_view s) {
    if (s.empty() || !is_alnum(s.front()) || !is_alnum(s.back())) return false;
    for (char c : s)
        if (!is_alnum(c) && c != '-') return false;
    return true;
}

bool valid_host(std::string_view host) {
    if (host.starts_with('[')) {  // "[::1]"
        if (host.size() < 3 || !host.ends_with(']')) return false;
        for (char c : host.substr(1, host.size() - 2))
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') ||
                  c == ':'))
                return false;
        return true;
    }
    for (const std::string& part : split(host, '.'))
        if (!valid_domain_component(part)) return false;
    return true;
}

bool valid_domain(std::string_view domain) {
    size_t colon = domain.rfind(':');
    if (colon != std::string_view::npos && domain.find(']', colon) == std::string_view::npos) {
        std::string_view port = domain.substr(colon + 1);
        if (port.empty() || !parse_u64(port) || port.size() > 5) return false;
        domain = domain.substr(0, colon);
    }
    return valid_host(domain);
}

// tag := [\w][\w.-]{0,127}
bool valid_tag(std::string_view tag) {
    if (tag.empty() || tag.size() > max_tag_length || !is_word(tag.front())) return false;
    for (char c : tag)
        if (!is_word(c) && c != '.' && c != '-') return false;
    return true;
}

bool looks_like_domain(std::string_view first) {
    return first.find_first_of(".:") != std::string_view::npos || first == "localhost";
}

std::string normalize_registry(std::string_view registry) {
    // Docker Hub's historical names all mean docker.io.
    if (registry == "index.docker.io" || registry == "registry-1.docker.io") return "docker.io";
    return std::string(registry);
}

// docker.io keeps official images under "library/".
std::string repository_for(std::string_view registry, std::string_view repository) {
    if (registry == default_registry && repository.find('/') == std::string_view::npos)
        return std::string(docker_library) + std::string(repository);
    return std::string(repository);
}

bool is_hex64(std::string_view s) {
    if (s.size() != 64) return false;
    for (char c : s)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    return true;
}

}  // namespace

std::string Reference::name() const {
    return registry + "/" + repository;
}

std::string Reference::str() const {
    std::string s = name();
    if (!tag.empty()) s += ":" + tag;
    if (digest) s += "@" + digest->str();
    return s;
}

std::string Reference::tag_or_digest() const {
    return digest ? digest->str() : tag;
}

Result<Reference> parse_reference(std::string_view s, std::string_view registry) {
    auto fail = [s](const char* why) {
        return make_error(EINVAL, "invalid reference '%s': %s", printable(s).c_str(), why);
    };
    if (s.empty()) return fail("empty");
    // Docker refuses a bare 64-hex name: it would be read as an image ID, not a repository.
    if (is_hex64(s)) return fail("a 64-hex-digit string is an image ID, not a name");

    Reference ref;
    std::string_view rest = s;
    if (size_t at = rest.find('@'); at != std::string_view::npos) {
        auto d = Digest::parse(rest.substr(at + 1));
        if (!d)
            return std::move(d).error().wrap(strf("invalid reference '%s'", printable(s).c_str()));
        ref.digest = d.take();
        rest = rest.substr(0, at);
    }
    // A tag is a ':' after the last '/', so "host:5000/x" has no tag.
    size_t slash = rest.rfind('/');
    size_t colon = rest.rfind(':');
    if (colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash)) {
        ref.tag = std::string(rest.substr(colon + 1));
        if (!valid_tag(ref.tag)) return fail("invalid tag");
        rest = rest.substr(0, colon);
    }
    if (rest.empty()) return fail("missing repository name");

    size_t first_slash = rest.find('/');
    if (first_slash != std::string_view::npos && looks_like_domain(rest.substr(0, first_slash))) {
        std::string_view domain = rest.substr(0, first_slash);
        if (!valid_domain(domain)) return fail("invalid registry host");
        ref.registry = normalize_registry(domain);
        rest = rest.substr(first_slash + 1);
    } else {
        ref.registry = normalize_registry(registry);
        ref.short_name = true;
    }
    for (const std::string& component : split(rest, '/'))
        if (!valid_path_component(component))
            return fail(
                "repository components must be lowercase letters and digits, separated "
                "by '.', '_', '__' or '-'");
    ref.repository = repository_for(ref.registry, rest);
    if (ref.name().size() > max_name_length) return fail("name longer than 255 characters");
    if (ref.tag.empty() && !ref.digest) ref.tag = "latest";
    return ref;
}

Reference with_registry(const Reference& ref, std::string_view registry) {
    Reference out = ref;
    std::string_view repo = ref.repository;
    if (ref.registry == default_registry && repo.starts_with(docker_library) &&
        repo.find('/', docker_library.size()) == std::string_view::npos)
        repo.remove_prefix(docker_library.size());
    out.registry = normalize_registry(registry);
    out.repository = repository_for(out.registry, repo);
    return out;
}

}  // namespace ocipod
