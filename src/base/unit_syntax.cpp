#include "base/unit_syntax.hpp"

#include <cctype>

namespace ocipod {

namespace {

bool is_comment(std::string_view line) {
    return !line.empty() && (line[0] == '#' || line[0] == ';');
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

bool is_blank(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

}  // namespace

std::string UnitAssignment::where() const {
    return strf("%s:%u", file.c_str(), line);
}

Result<std::vector<UnitAssignment>> parse_unit_text(std::string_view text,
                                                    const std::string& file) {
    if (text.find('\0') != std::string_view::npos)
        return make_error(EINVAL, "%s: contains a NUL byte", file.c_str());
    std::vector<UnitAssignment> out;
    std::string section;
    unsigned section_line = 0;
    std::string joined;        // a line being continued
    unsigned joined_line = 0;  // where it started
    unsigned number = 0;
    size_t pos = 0;
    while (pos < text.size()) {
        size_t end = text.find('\n', pos);
        if (end == std::string_view::npos) end = text.size();
        std::string_view raw = text.substr(pos, end - pos);
        pos = end + 1;
        ++number;
        std::string_view line = trim(raw);
        bool continuing = joined_line != 0;
        if (continuing && is_comment(line)) continue;
        if (!continuing && (line.empty() || is_comment(line))) continue;
        if (!line.empty() && line.back() == '\\') {
            // The backslash becomes a space and the next line is appended.
            if (!continuing) joined_line = number;
            joined.append(line.substr(0, line.size() - 1));
            joined += ' ';
            if (pos < text.size()) continue;
            line = {};
        }
        std::string whole;
        unsigned at = number;
        if (joined_line != 0) {
            whole = joined + std::string(line);
            at = joined_line;
            joined.clear();
            joined_line = 0;
        } else {
            whole = std::string(line);
        }
        std::string_view l = trim(whole);
        if (l.empty()) continue;
        if (l[0] == '[') {
            if (l.back() != ']' || l.size() < 3)
                return make_error(EINVAL, "%s:%u: invalid section header '%s'", file.c_str(), at,
                                  printable(l).c_str());
            section = std::string(l.substr(1, l.size() - 2));
            section_line = at;
            continue;
        }
        size_t eq = l.find('=');
        if (eq == std::string_view::npos)
            return make_error(EINVAL, "%s:%u: missing '=' in '%s'", file.c_str(), at,
                              printable(l).c_str());
        std::string key(trim(l.substr(0, eq)));
        if (key.empty())
            return make_error(EINVAL, "%s:%u: assignment without a key", file.c_str(), at);
        if (section.empty())
            return make_error(EINVAL, "%s:%u: assignment '%s=' outside of any section",
                              file.c_str(), at, printable(key).c_str());
        out.push_back(UnitAssignment{.section = section,
                                     .key = std::move(key),
                                     .value = std::string(trim(l.substr(eq + 1))),
                                     .file = file,
                                     .line = at,
                                     .section_line = section_line});
    }
    return out;
}

Result<std::vector<std::string>> split_unit_words(std::string_view value) {
    std::vector<std::string> words;
    size_t i = 0;
    while (i < value.size()) {
        while (i < value.size() && is_blank(value[i])) ++i;
        if (i >= value.size()) break;
        std::string word;
        char quote = 0;
        for (; i < value.size(); ++i) {
            char c = value[i];
            if (!quote && is_blank(c)) break;
            if (c == '\\') {
                if (++i >= value.size())
                    return make_error(EINVAL, "a backslash ends '%s'", printable(value).c_str());
                char e = value[i];
                switch (e) {
                    case 'n':
                        word += '\n';
                        break;
                    case 't':
                        word += '\t';
                        break;
                    case 'r':
                        word += '\r';
                        break;
                    case 's':
                        word += ' ';
                        break;
                    case 'x': {
                        int hi = i + 1 < value.size() ? hex_value(value[i + 1]) : -1;
                        int lo = i + 2 < value.size() ? hex_value(value[i + 2]) : -1;
                        if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
                            return make_error(EINVAL, "invalid \\x escape in '%s'",
                                              printable(value).c_str());
                        word += static_cast<char>(hi * 16 + lo);
                        i += 2;
                        break;
                    }
                    default:
                        word += e;
                        break;
                }
                continue;
            }
            if (quote) {
                if (c == quote)
                    quote = 0;
                else
                    word += c;
                continue;
            }
            if (c == '"' || c == '\'') {
                quote = c;
                continue;
            }
            word += c;
        }
        if (quote)
            return make_error(EINVAL, "unterminated quote in '%s'", printable(value).c_str());
        words.push_back(std::move(word));
    }
    return words;
}

std::optional<bool> parse_unit_boolean(std::string_view value) {
    std::string v = to_lower(value);
    if (v == "1" || v == "yes" || v == "y" || v == "true" || v == "t" || v == "on") return true;
    if (v == "0" || v == "no" || v == "n" || v == "false" || v == "f" || v == "off") return false;
    return std::nullopt;
}

std::string quote_unit_word(std::string_view word) {
    bool plain = !word.empty();
    for (char c : word)
        if (is_blank(c) || c == '"' || c == '\'' || c == '\\' ||
            std::iscntrl(static_cast<unsigned char>(c)))
            plain = false;
    if (plain) return std::string(word);
    std::string q = "\"";
    for (char c : word) {
        unsigned char u = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
            q += '\\';
            q += c;
        } else if (c == '\n') {
            q += "\\n";
        } else if (c == '\t') {
            q += "\\t";
        } else if (std::iscntrl(u)) {
            q += strf("\\x%02x", u);
        } else {
            q += c;
        }
    }
    return q + "\"";
}

}  // namespace ocipod
