#include "fetch/www_authenticate.hpp"

#include "base/strings.hpp"

namespace ocipod {

namespace {

// tchar of RFC 9110 §5.6.2.
bool is_tchar(char c) {
    if (isalnum(static_cast<unsigned char>(c))) return true;
    switch (c) {
        case '!':
        case '#':
        case '$':
        case '%':
        case '&':
        case '\'':
        case '*':
        case '+':
        case '-':
        case '.':
        case '^':
        case '_':
        case '`':
        case '|':
        case '~':
            return true;
        default:
            return false;
    }
}

// token68 characters (RFC 9110 §11.2), without the trailing '=' padding.
bool is_token68_char(char c) {
    return isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_' || c == '~' ||
           c == '+' || c == '/';
}

class Parser {
public:
    explicit Parser(std::string_view s) : s_(s) {}

    std::vector<AuthChallenge> run() {
        std::vector<AuthChallenge> out;
        for (;;) {
            skip_list_separators();
            if (at_end()) break;
            AuthChallenge c;
            std::string scheme = token();
            if (scheme.empty()) break;
            c.scheme = to_lower(scheme);
            if (!parse_body(c)) {
                out.push_back(std::move(c));
                break;
            }
            out.push_back(std::move(c));
        }
        return out;
    }

private:
    bool at_end() const { return i_ >= s_.size(); }
    char peek(size_t ahead = 0) const { return i_ + ahead < s_.size() ? s_[i_ + ahead] : '\0'; }
    void skip_ws() {
        while (!at_end() && (s_[i_] == ' ' || s_[i_] == '\t')) i_++;
    }
    void skip_list_separators() {
        while (!at_end() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == ',')) i_++;
    }
    std::string token() {
        size_t start = i_;
        while (!at_end() && is_tchar(s_[i_])) i_++;
        return std::string(s_.substr(start, i_ - start));
    }

    // After the scheme: a token68, a list of params, or nothing. Returns false on garbage.
    bool parse_body(AuthChallenge& c) {
        skip_ws();
        if (at_end() || peek() == ',') return true;
        if (looks_like_token68()) {
            size_t start = i_;
            while (!at_end() && is_token68_char(s_[i_])) i_++;
            while (!at_end() && s_[i_] == '=') i_++;
            c.token68 = std::string(s_.substr(start, i_ - start));
            skip_ws();
            return at_end() || peek() == ',';
        }
        // auth-params until something that is not "name = value" (the next challenge's scheme).
        for (;;) {
            skip_ws();
            size_t mark = i_;
            std::string name = token();
            if (name.empty()) return at_end();
            skip_ws();
            if (peek() != '=') {
                i_ = mark;  // a new challenge starts here
                return true;
            }
            i_++;
            skip_ws();
            std::string value;
            if (peek() == '"') {
                if (!quoted_string(value)) return false;
            } else {
                value = token();
            }
            c.params[to_lower(name)] = std::move(value);
            skip_ws();
            if (at_end()) return true;
            if (peek() != ',') return false;
            // Skip empty list elements ("a=b,,c=d" is allowed by the list syntax).
            while (!at_end() && (peek() == ',' || peek() == ' ' || peek() == '\t')) i_++;
        }
    }

    // token68 versus auth-param: "abc==" or "abc" followed by end/comma is a token68; "abc=x"
    // (or "abc = x") is a param.
    bool looks_like_token68() const {
        size_t j = i_;
        while (j < s_.size() && is_token68_char(s_[j])) j++;
        if (j == i_) return false;
        size_t k = j;
        while (k < s_.size() && s_[k] == '=') k++;
        while (k < s_.size() && (s_[k] == ' ' || s_[k] == '\t')) k++;
        // Only a token68 (with or without padding) can be followed directly by the end or a
        // comma; "realm=x" and "realm = x" continue with a value.
        return k >= s_.size() || s_[k] == ',';
    }

    bool quoted_string(std::string& out) {
        i_++;  // opening quote
        while (!at_end()) {
            char c = s_[i_++];
            if (c == '"') return true;
            if (c == '\\') {
                if (at_end()) return false;
                c = s_[i_++];
            }
            out += c;
        }
        return false;  // unterminated
    }

    std::string_view s_;
    size_t i_ = 0;
};

}  // namespace

std::vector<AuthChallenge> parse_www_authenticate(std::string_view value) {
    return Parser(value).run();
}

const AuthChallenge* find_challenge(const std::vector<AuthChallenge>& challenges,
                                    std::string_view scheme) {
    for (const auto& c : challenges)
        if (c.scheme == scheme) return &c;
    return nullptr;
}

}  // namespace ocipod
