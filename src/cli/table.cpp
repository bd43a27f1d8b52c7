#include "cli/table.hpp"

#include <algorithm>

namespace ocipod {

namespace {
constexpr size_t column_gap = 3;
}

size_t display_width(const std::string& s) {
    // Count every byte that does not continue a multi-byte sequence (10xxxxxx).
    return static_cast<size_t>(std::count_if(
        s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xc0) != 0x80; }));
}

Table::Table(std::vector<std::string> header) : header_(std::move(header)) {}

void Table::add_row(std::vector<std::string> row) {
    row.resize(header_.size());
    rows_.push_back(std::move(row));
}

std::string Table::render() const {
    std::vector<size_t> widths(header_.size());
    auto measure = [&](const std::vector<std::string>& row) {
        for (size_t i = 0; i < row.size(); ++i)
            widths[i] = std::max(widths[i], display_width(row[i]));
    };
    measure(header_);
    for (const auto& row : rows_) measure(row);

    std::string out;
    auto line = [&](const std::vector<std::string>& row) {
        std::string l;
        for (size_t i = 0; i < row.size(); ++i) {
            l += row[i];
            if (i + 1 < row.size()) l.append(widths[i] - display_width(row[i]) + column_gap, ' ');
        }
        // Trailing empty cells leave blanks behind; a line never ends in them.
        while (!l.empty() && l.back() == ' ') l.pop_back();
        out += l + "\n";
    };
    line(header_);
    for (const auto& row : rows_) line(row);
    return out;
}

}  // namespace ocipod
