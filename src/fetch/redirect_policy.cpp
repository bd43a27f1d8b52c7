#include "fetch/redirect_policy.hpp"

#include "base/strings.hpp"
#include "c/curl.hpp"

namespace ocipod {

namespace {

Result<std::string> url_part(CURLU* u, CURLUPart part, unsigned flags) {
    char* p = nullptr;
    CURLUcode rc = libcurl().curl_url_get(u, part, &p, flags);
    if (rc != CURLUE_OK) return make_error(EINVAL, "%s", libcurl().curl_url_strerror(rc));
    std::string s(p);
    libcurl().curl_free(p);
    return s;
}

Result<CurlUrl> parse_absolute(std::string_view url) {
    CurlUrl u = TRY(curl_url_new());
    std::string s(url);
    // No guessing of schemes, no default scheme: only absolute URLs we produced or received.
    CURLUcode rc = libcurl().curl_url_set(u.get(), CURLUPART_URL, s.c_str(), 0);
    if (rc != CURLUE_OK)
        return make_error(EINVAL, "invalid URL '%s': %s", printable(url).c_str(),
                          libcurl().curl_url_strerror(rc));
    return u;
}

}  // namespace

std::string Origin::str() const {
    return strf("%s://%s:%ld", scheme.c_str(), host.c_str(), port);
}

bool is_http_url(std::string_view url) {
    std::string lower = to_lower(url.substr(0, 8));
    return starts_with(lower, "http://") || starts_with(lower, "https://");
}

Result<Origin> url_origin(std::string_view url) {
    if (!is_http_url(url))
        return make_error(EINVAL, "not an http(s) URL: '%s'", printable(url).c_str());
    CurlUrl u = TRY(parse_absolute(url));
    Origin o;
    o.scheme = to_lower(TRY(url_part(u.get(), CURLUPART_SCHEME, 0)));
    o.host = to_lower(TRY(url_part(u.get(), CURLUPART_HOST, 0)));
    std::string port = TRY(url_part(u.get(), CURLUPART_PORT, CURLU_DEFAULT_PORT));
    auto p = parse_u64(port);
    if (!p || *p == 0 || *p > 65535)
        return make_error(EINVAL, "invalid port in URL '%s'", printable(url).c_str());
    o.port = long(*p);
    return o;
}

Result<std::string> resolve_location(std::string_view base_url, std::string_view location) {
    if (location.empty()) return make_error(EPROTO, "redirect without a Location");
    CurlUrl u = TRY(parse_absolute(base_url));
    std::string loc(location);
    // Setting a relative URL on a handle holding an absolute one resolves it (RFC 3986 §5.2).
    CURLUcode rc = libcurl().curl_url_set(u.get(), CURLUPART_URL, loc.c_str(), 0);
    if (rc != CURLUE_OK)
        return make_error(EPROTO, "invalid redirect Location '%s': %s", printable(location).c_str(),
                          libcurl().curl_url_strerror(rc));
    return url_part(u.get(), CURLUPART_URL, 0);
}

Status check_redirect(std::string_view from, std::string_view to) {
    Origin a = TRY(url_origin(from));
    auto b = url_origin(to);
    if (!b.ok())
        return make_error(EPROTO, "refusing redirect to '%s': only http and https are followed",
                          printable(to).c_str());
    if (a.scheme == "https" && b->scheme != "https")
        return make_error(EPROTO, "refusing redirect from https to '%s'", printable(to).c_str());
    return {};
}

std::string url_host_text(std::string_view url) {
    auto o = url_origin(url);
    if (!o.ok()) return printable(url);
    bool default_port = o->port == (o->scheme == "https" ? 443 : 80);
    return default_port ? o->host : strf("%s:%ld", o->host.c_str(), o->port);
}

bool may_send_credentials(std::string_view credentials_url, std::string_view target_url) {
    auto a = url_origin(credentials_url);
    auto b = url_origin(target_url);
    return a.ok() && b.ok() && *a == *b;
}

}  // namespace ocipod
