// systemd's unit-file syntax (systemd.syntax(7)), the syntax of oci-pod's pod files: sections in
// brackets, Key=Value lines, '#' and ';' comment lines, a trailing backslash joining a line with
// the next (comment lines inside a joined line are skipped). Values are kept verbatim, quotes and
// all: as in systemd, each key decides whether its value is one string or words
// (split_unit_words). Every error names FILE:LINE.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"

namespace ocipod {

struct UnitAssignment {
    std::string section;  // without brackets
    std::string key;
    std::string value;  // trimmed, otherwise verbatim; "" for "Key="
    std::string file;
    unsigned line = 0;          // the first line of a joined line
    unsigned section_line = 0;  // the line of the section's header

    // "FILE:LINE" for error messages.
    std::string where() const;
};

// The assignments of one file in order. Refused, with "FILE:LINE: ...": an assignment before any
// section, a line that is neither, a malformed section header, an empty key, a NUL byte.
Result<std::vector<UnitAssignment>> parse_unit_text(std::string_view text, const std::string& file);

// A value split into words as systemd splits ExecStart= and Environment=: unquoted whitespace
// separates words; "..." and '...' quote (no splitting inside, quotes removed); a backslash escapes
// as in C (\n \t \\ \" \' \xHH \s for a space) and before any other character stands for that
// character. Refused: an unterminated quote, a backslash at the end, \x without two hex digits.
Result<std::vector<std::string>> split_unit_words(std::string_view value);

// systemd's booleans: 1/yes/y/true/t/on and 0/no/n/false/f/off, in any case.
std::optional<bool> parse_unit_boolean(std::string_view value);

// One word quoted so that split_unit_words gives it back: as is when it needs nothing, else in
// double quotes with \" \\ and control characters escaped.
std::string quote_unit_word(std::string_view word);

}  // namespace ocipod
