// A strict parser for the part of TOML 1.0 (https://toml.io/en/v1.0.0) that registries.conf
// files use: comments, bare/quoted/dotted keys, basic strings (escapes \b \t \n \f \r \"
// \\ \uXXXX \UXXXXXXXX), literal strings, booleans, decimal integers, arrays (multi-line, trailing
// comma), [table] and [[array.of.tables]]. Everything else (multi-line strings, floats, dates,
// inline tables, hex/octal/binary integers) is refused by name rather than misread. The table
// rules of the spec are enforced: a key or table is defined once, a table defined by a header
// is not reopened, [[x]] appends to an array made by [[x]] only. Errors read "FILE:LINE: ...".
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"

namespace ocipod {

enum class TomlType { string, integer, boolean, array, table };

// How a table came to exist; the spec's redefinition rules depend on it.
enum class TomlTableKind { root, implicit, header, dotted, array_element };

struct TomlMember;

struct TomlValue {
    TomlType type = TomlType::table;
    int line = 0;  // line of the key (or of the table header) that defined the value
    std::string string;
    int64_t integer = 0;
    bool boolean = false;
    std::vector<TomlValue> items;     // array elements; for [[x]], its tables
    std::vector<TomlMember> members;  // table members in document order
    bool array_of_tables = false;     // an array made by [[x]] headers
    TomlTableKind table_kind = TomlTableKind::implicit;

    // The member named key of a table, or nullptr.
    const TomlValue* get(std::string_view key) const;
    TomlValue* get(std::string_view key);
};

struct TomlMember {
    std::string key;
    TomlValue value;
};

// "string", "integer", ... for messages like "'insecure' must be a boolean, not a string".
const char* toml_type_name(TomlType type);

// Parse a whole document; filename is only used in messages.
Result<TomlValue> toml_parse(std::string_view text, std::string_view filename);

// EINVAL "FILE:LINE: message", the form every configuration error takes.
[[nodiscard]] Error toml_error(std::string_view filename, int line, const char* fmt, ...)
    __attribute__((format(printf, 3, 4)));

}  // namespace ocipod
