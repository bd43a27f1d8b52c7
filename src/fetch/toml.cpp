#include "fetch/toml.hpp"

#include <cstdarg>
#include <limits>

namespace ocipod {

Error toml_error(std::string_view filename, int line, const char* fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    std::string msg = vstrf(fmt, ap);
    va_end(ap);
    return Error{EINVAL, strf("%.*s:%d: %s", static_cast<int>(filename.size()), filename.data(),
                              line, msg.c_str())};
}

const char* toml_type_name(TomlType type) {
    switch (type) {
        case TomlType::string:
            return "a string";
        case TomlType::integer:
            return "an integer";
        case TomlType::boolean:
            return "a boolean";
        case TomlType::array:
            return "an array";
        case TomlType::table:
            return "a table";
    }
    return "a value";
}

const TomlValue* TomlValue::get(std::string_view key) const {
    for (const TomlMember& m : members)
        if (m.key == key) return &m.value;
    return nullptr;
}

TomlValue* TomlValue::get(std::string_view key) {
    for (TomlMember& m : members)
        if (m.key == key) return &m.value;
    return nullptr;
}

namespace {

bool is_bare_key_char(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
}

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

// Control characters TOML forbids in strings and comments (tab is allowed).
bool is_forbidden_control(unsigned char c) {
    return (c < 0x20 && c != '\t') || c == 0x7f;
}

// Length of the valid UTF-8 sequence at s[i], or 0 (overlongs, surrogates and > U+10FFFF too).
size_t utf8_sequence_length(std::string_view s, size_t i) {
    auto b = [&](size_t k) { return static_cast<unsigned char>(s[i + k]); };
    unsigned char c = b(0);
    if (c < 0x80) return 1;
    size_t n = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 ? 2 : 0;
    if (n == 0 || c > 0xf4 || i + n > s.size()) return 0;
    for (size_t k = 1; k < n; ++k)
        if ((b(k) & 0xc0) != 0x80) return 0;
    if (c == 0xe0 && b(1) < 0xa0) return 0;  // overlong
    if (c == 0xed && b(1) > 0x9f) return 0;  // surrogate
    if (c == 0xf0 && b(1) < 0x90) return 0;  // overlong
    if (c == 0xf4 && b(1) > 0x8f) return 0;  // beyond U+10FFFF
    return n;
}

void append_utf8(std::string& out, uint32_t cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xc0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xe0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
        out += static_cast<char>(0x80 | (cp & 0x3f));
    } else {
        out += static_cast<char>(0xf0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
        out += static_cast<char>(0x80 | (cp & 0x3f));
    }
}

// A character for a message: 'x' when printable ASCII, else its byte value.
std::string describe(char c) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u >= 0x21 && u < 0x7f) return strf("'%c'", c);
    return strf("byte 0x%02x", u);
}

std::string dotted(const std::vector<std::string>& path, size_t n) {
    std::string out;
    for (size_t i = 0; i < n && i < path.size(); ++i) {
        if (i) out += '.';
        out += path[i];
    }
    return out;
}

class Parser {
public:
    Parser(std::string_view text, std::string_view filename) : s_(text), file_(filename) {}

    Result<TomlValue> parse() {
        TRY(check_utf8());
        if (s_.starts_with("\xef\xbb\xbf")) pos_ = 3;
        root_.type = TomlType::table;
        root_.table_kind = TomlTableKind::root;
        root_.line = 1;
        TomlValue* current = &root_;
        while (pos_ < s_.size()) {
            skip_ws();
            if (at_eol_or_comment()) {
                TRY(end_of_line("a comment"));
                continue;
            }
            if (peek() == '[') {
                current = TRY(table_header());
            } else {
                TRY(key_value(*current));
            }
        }
        return std::move(root_);
    }

private:
    char peek(size_t ahead = 0) const { return pos_ + ahead < s_.size() ? s_[pos_ + ahead] : '\0'; }
    bool at_end() const { return pos_ >= s_.size(); }

    Error fail(const char* fmt, ...) __attribute__((format(printf, 2, 3))) {
        va_list ap;
        va_start(ap, fmt);
        std::string msg = vstrf(fmt, ap);
        va_end(ap);
        return toml_error(file_, line_, "%s", msg.c_str());
    }

    // The whole document must be UTF-8 (TOML 1.0 "Spec"); checked once so later code can
    // treat bytes >= 0x80 as parts of valid characters.
    Status check_utf8() {
        int line = 1;
        for (size_t i = 0; i < s_.size();) {
            if (s_[i] == '\n') ++line;
            size_t n = utf8_sequence_length(s_, i);
            if (n == 0) return toml_error(file_, line, "invalid UTF-8");
            i += n;
        }
        return {};
    }

    void skip_ws() {
        while (peek() == ' ' || peek() == '\t') ++pos_;
    }

    bool at_newline() const { return peek() == '\n' || (peek() == '\r' && peek(1) == '\n'); }
    bool at_eol_or_comment() const { return at_end() || at_newline() || peek() == '#'; }

    Status skip_comment() {
        if (peek() != '#') return {};
        while (!at_end() && !at_newline()) {
            if (peek() == '\r' || is_forbidden_control(static_cast<unsigned char>(peek())))
                return fail("control character in a comment");
            ++pos_;
        }
        return {};
    }

    void consume_newline() {
        pos_ += peek() == '\r' ? 2 : 1;
        ++line_;
    }

    // Only whitespace and a comment may follow a key/value pair or a header on its line.
    Status end_of_line(const char* after) {
        skip_ws();
        TRY(skip_comment());
        if (at_end()) return {};
        if (!at_newline())
            return fail("unexpected %s after %s, expected the end of the line",
                        describe(peek()).c_str(), after);
        consume_newline();
        return {};
    }

    // Whitespace, newlines and comments, as allowed between array elements.
    Status skip_ws_newlines_comments() {
        for (;;) {
            skip_ws();
            TRY(skip_comment());
            if (!at_newline()) return {};
            consume_newline();
        }
    }

    Result<std::string> simple_key() {
        char c = peek();
        if (c == '"') {
            if (peek(1) == '"' && peek(2) == '"')
                return fail("a multi-line string cannot be a key");
            return basic_string();
        }
        if (c == '\'') {
            if (peek(1) == '\'' && peek(2) == '\'')
                return fail("a multi-line string cannot be a key");
            return literal_string();
        }
        size_t start = pos_;
        while (is_bare_key_char(peek())) ++pos_;
        if (pos_ == start) {
            if (at_eol_or_comment() || c == '=' || c == '.') return fail("missing key");
            return fail("invalid character %s in a key", describe(c).c_str());
        }
        return std::string(s_.substr(start, pos_ - start));
    }

    Result<std::vector<std::string>> key() {
        std::vector<std::string> path;
        for (;;) {
            path.push_back(TRY(simple_key()));
            skip_ws();
            if (peek() != '.') return path;
            ++pos_;
            skip_ws();
        }
    }

    Result<std::string> basic_string() {
        ++pos_;  // opening quote
        std::string out;
        for (;;) {
            if (at_end() || at_newline()) return fail("unterminated string");
            char c = s_[pos_++];
            if (c == '"') return out;
            if (c != '\\') {
                if (is_forbidden_control(static_cast<unsigned char>(c)))
                    return fail("control character in a string");
                out += c;
                continue;
            }
            char e = peek();
            ++pos_;
            switch (e) {
                case 'b':
                    out += '\b';
                    break;
                case 't':
                    out += '\t';
                    break;
                case 'n':
                    out += '\n';
                    break;
                case 'f':
                    out += '\f';
                    break;
                case 'r':
                    out += '\r';
                    break;
                case '"':
                    out += '"';
                    break;
                case '\\':
                    out += '\\';
                    break;
                case 'u':
                    TRY(unicode_escape(out, 4));
                    break;
                case 'U':
                    TRY(unicode_escape(out, 8));
                    break;
                default:
                    if (e == '\0' || e == '\n' || e == '\r') return fail("unterminated string");
                    return fail("invalid escape '\\' followed by %s in a string",
                                describe(e).c_str());
            }
        }
    }

    Status unicode_escape(std::string& out, int digits) {
        uint32_t cp = 0;
        for (int i = 0; i < digits; ++i) {
            char h = peek();
            uint32_t d;
            if (h >= '0' && h <= '9')
                d = static_cast<uint32_t>(h - '0');
            else if (h >= 'a' && h <= 'f')
                d = static_cast<uint32_t>(h - 'a' + 10);
            else if (h >= 'A' && h <= 'F')
                d = static_cast<uint32_t>(h - 'A' + 10);
            else
                return fail("\\%c needs %d hexadecimal digits", digits == 4 ? 'u' : 'U', digits);
            cp = cp * 16 + d;
            ++pos_;
        }
        if ((cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
            return fail("escape names no Unicode scalar value (U+%X)", cp);
        append_utf8(out, cp);
        return {};
    }

    Result<std::string> literal_string() {
        size_t start = ++pos_;
        for (;;) {
            if (at_end() || at_newline()) return fail("unterminated string");
            char c = s_[pos_];
            if (c == '\'') break;
            if (is_forbidden_control(static_cast<unsigned char>(c)))
                return fail("control character in a string");
            ++pos_;
        }
        std::string out(s_.substr(start, pos_ - start));
        ++pos_;
        return out;
    }

    Result<int64_t> integer() {
        size_t start = pos_;
        bool negative = false;
        if (peek() == '+' || peek() == '-') negative = s_[pos_++] == '-';
        if (peek() == '0' && (peek(1) == 'x' || peek(1) == 'o' || peek(1) == 'b'))
            return fail("only decimal integers are supported");
        if (!is_digit(peek())) return fail("expected a value");
        if (peek() == '0' && (is_digit(peek(1)) || peek(1) == '_'))
            return fail("leading zeros are not allowed in integers");
        uint64_t limit = negative ? uint64_t(std::numeric_limits<int64_t>::max()) + 1
                                  : uint64_t(std::numeric_limits<int64_t>::max());
        uint64_t v = 0;
        for (;;) {
            char c = peek();
            if (c == '_') {
                if (!is_digit(peek(1))) return fail("'_' in an integer must be between digits");
                ++pos_;
                continue;
            }
            if (!is_digit(c)) break;
            uint64_t d = static_cast<uint64_t>(c - '0');
            if (v > (limit - d) / 10) return fail("integer out of range");
            v = v * 10 + d;
            ++pos_;
        }
        char c = peek();
        if (c == '.' || c == 'e' || c == 'E')
            return fail("floating-point values are not supported");
        if (c == '-' || c == ':') return fail("dates and times are not supported");
        if (is_bare_key_char(c)) {
            pos_ = start;
            return fail("invalid value");
        }
        if (negative) return v == limit ? std::numeric_limits<int64_t>::min() : -int64_t(v);
        return int64_t(v);
    }

    Status array(TomlValue& out, int depth) {
        int start_line = line_;
        ++pos_;
        out.type = TomlType::array;
        for (;;) {
            TRY(skip_ws_newlines_comments());
            if (at_end()) return toml_error(file_, start_line, "unterminated array");
            if (peek() == ']') break;
            if (peek() == ',') return fail("expected a value before ','");
            TomlValue item;
            TRY(value(item, depth + 1));
            out.items.push_back(std::move(item));
            TRY(skip_ws_newlines_comments());
            if (peek() == ',') {
                ++pos_;
                continue;
            }
            if (peek() == ']') break;
            if (at_end()) return toml_error(file_, start_line, "unterminated array");
            return fail("expected ',' or ']' in an array, found %s", describe(peek()).c_str());
        }
        ++pos_;
        return {};
    }

    Status value(TomlValue& out, int depth) {
        // Arrays nest; bound the recursion so a hostile file cannot exhaust the stack.
        if (depth > 64) return fail("arrays nested too deeply");
        out.line = line_;
        char c = peek();
        if (c == '"') {
            if (peek(1) == '"' && peek(2) == '"')
                return fail("multi-line strings are not supported");
            out.type = TomlType::string;
            out.string = TRY(basic_string());
        } else if (c == '\'') {
            if (peek(1) == '\'' && peek(2) == '\'')
                return fail("multi-line strings are not supported");
            out.type = TomlType::string;
            out.string = TRY(literal_string());
        } else if (c == '[') {
            TRY(array(out, depth));
        } else if (c == '{') {
            return fail("inline tables are not supported, use a [table] section");
        } else if (s_.substr(pos_).starts_with("true") && !is_bare_key_char(peek(4))) {
            out.type = TomlType::boolean;
            out.boolean = true;
            pos_ += 4;
        } else if (s_.substr(pos_).starts_with("false") && !is_bare_key_char(peek(5))) {
            out.type = TomlType::boolean;
            pos_ += 5;
        } else if (is_digit(c) || c == '+' || c == '-') {
            if (s_.substr(pos_ + 1).starts_with("inf") || s_.substr(pos_ + 1).starts_with("nan"))
                return fail("floating-point values are not supported");
            out.type = TomlType::integer;
            out.integer = TRY(integer());
        } else if (at_eol_or_comment()) {
            return fail("missing value after '='");
        } else if (s_.substr(pos_).starts_with("inf") || s_.substr(pos_).starts_with("nan")) {
            return fail("floating-point values are not supported");
        } else {
            return fail("invalid value (strings must be quoted)");
        }
        return {};
    }

    Status key_value(TomlValue& table) {
        int key_line = line_;
        std::vector<std::string> path = TRY(key());
        skip_ws();
        if (peek() != '=') {
            if (at_eol_or_comment())
                return fail("expected '=' after key '%s'", dotted(path, 99).c_str());
            return fail("expected '=' after key '%s', found %s", dotted(path, 99).c_str(),
                        describe(peek()).c_str());
        }
        ++pos_;
        skip_ws();
        TomlValue v;
        TRY(value(v, 0));
        v.line = key_line;
        TRY(end_of_line("a value"));

        // Dotted keys create (or extend) tables of kind `dotted` below the current table.
        TomlValue* t = &table;
        for (size_t i = 0; i + 1 < path.size(); ++i) {
            TomlValue* next = t->get(path[i]);
            if (!next) {
                TomlValue sub;
                sub.type = TomlType::table;
                sub.table_kind = TomlTableKind::dotted;
                sub.line = key_line;
                t->members.push_back({path[i], std::move(sub)});
                next = &t->members.back().value;
            } else if (next->type != TomlType::table || next->table_kind != TomlTableKind::dotted) {
                return toml_error(file_, key_line, "key '%s' is already defined on line %d",
                                  dotted(path, i + 1).c_str(), next->line);
            }
            t = next;
        }
        if (const TomlValue* old = t->get(path.back()))
            return toml_error(file_, key_line, "duplicate key '%s' (first defined on line %d)",
                              dotted(path, path.size()).c_str(), old->line);
        t->members.push_back({path.back(), std::move(v)});
        return {};
    }

    // [a.b.c] or [[a.b.c]]: returns the table that following key/value pairs go into.
    Result<TomlValue*> table_header() {
        int header_line = line_;
        bool array_table = peek(1) == '[';
        pos_ += array_table ? 2 : 1;
        skip_ws();
        std::vector<std::string> path = TRY(key());
        if (peek() != ']' || (array_table && peek(1) != ']')) {
            if (at_eol_or_comment()) return fail("unterminated table header");
            if (array_table && peek() == ']')
                return fail("expected ']]' to close a [[table]] header");
            return fail("unexpected %s in a table header", describe(peek()).c_str());
        }
        pos_ += array_table ? 2 : 1;
        TRY(end_of_line("a table header"));

        TomlValue* t = &root_;
        for (size_t i = 0; i + 1 < path.size(); ++i) {
            TomlValue* next = t->get(path[i]);
            if (!next) {
                TomlValue sub;
                sub.type = TomlType::table;
                sub.table_kind = TomlTableKind::implicit;
                sub.line = header_line;
                t->members.push_back({path[i], std::move(sub)});
                next = &t->members.back().value;
            } else if (next->type == TomlType::array && next->array_of_tables) {
                next = &next->items.back();  // [[a]] then [a.b]: b goes into the last a
            } else if (next->type != TomlType::table) {
                return toml_error(file_, header_line, "'%s' is %s (line %d), not a table",
                                  dotted(path, i + 1).c_str(), toml_type_name(next->type),
                                  next->line);
            }
            t = next;
        }

        const std::string name = dotted(path, path.size());
        TomlValue* existing = t->get(path.back());
        TomlValue fresh;
        fresh.type = TomlType::table;
        fresh.line = header_line;
        if (array_table) {
            fresh.table_kind = TomlTableKind::array_element;
            if (!existing) {
                TomlValue arr;
                arr.type = TomlType::array;
                arr.array_of_tables = true;
                arr.line = header_line;
                t->members.push_back({path.back(), std::move(arr)});
                existing = &t->members.back().value;
            } else if (existing->type != TomlType::array || !existing->array_of_tables) {
                return toml_error(file_, header_line,
                                  "'%s' is already defined on line %d as %s, not an array of "
                                  "tables",
                                  name.c_str(), existing->line, toml_type_name(existing->type));
            }
            existing->items.push_back(std::move(fresh));
            return &existing->items.back();
        }
        fresh.table_kind = TomlTableKind::header;
        if (!existing) {
            t->members.push_back({path.back(), std::move(fresh)});
            return &t->members.back().value;
        }
        if (existing->type == TomlType::table && existing->table_kind == TomlTableKind::implicit) {
            existing->table_kind = TomlTableKind::header;
            existing->line = header_line;
            return existing;
        }
        if (existing->type == TomlType::table)
            return toml_error(file_, header_line, "table '%s' is already defined on line %d",
                              name.c_str(), existing->line);
        return toml_error(
            file_, header_line, "'%s' is already defined on line %d as %s", name.c_str(),
            existing->line,
            existing->array_of_tables ? "an array of tables" : toml_type_name(existing->type));
    }

    std::string_view s_;
    std::string_view file_;
    size_t pos_ = 0;
    int line_ = 1;
    TomlValue root_;
};

}  // namespace

Result<TomlValue> toml_parse(std::string_view text, std::string_view filename) {
    return Parser(text, filename).parse();
}

}  // namespace ocipod
