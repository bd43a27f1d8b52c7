// Column output for listings (`oci-pod images`), laid out like podman's: a header row, columns
// left-aligned and separated by at least three spaces, the last column not padded (so no line
// ends in blanks). Widths count characters, not bytes, so UTF-8 names line up.
#pragma once

#include <string>
#include <vector>

namespace ocipod {

class Table {
public:
    explicit Table(std::vector<std::string> header);
    // Rows shorter than the header are padded with empty cells; longer ones are cut.
    void add_row(std::vector<std::string> row);
    size_t rows() const { return rows_.size(); }
    std::string render() const;

private:
    std::vector<std::string> header_;
    std::vector<std::vector<std::string>> rows_;
};

// Characters (UTF-8 code points) in s.
size_t display_width(const std::string& s);

}  // namespace ocipod
