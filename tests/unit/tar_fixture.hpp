// A tar writer for tests: ustar headers with every field settable, PAX extended records
// ("x" headers: path, linkpath, uid, SCHILY.xattr.*, ...), GNU long names ("L"), devices, fifos,
// hard links with data and damaged checksums, so hostile layers (THREATS.md §1.4) can be made
// in memory on demand.
#pragma once

#include <stdio.h>
#include <string.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ocipod::test {

// One member; fields left alone get sane defaults (mode 0644, 0755 for directories, owner 0:0).
struct TarMember {
    std::string name;
    char type = '0';
    std::string data;
    std::string link;
    int mode = -1;  // -1: the default for the type
    uint64_t uid = 0;
    uint64_t gid = 0;
    uint64_t mtime = 1700000000;
    unsigned devmajor = 0;
    unsigned devminor = 0;
    int64_t header_size = -1;  // size field if it must differ from data.size()
    std::vector<std::pair<std::string, std::string>> pax;  // records of a preceding "x" header

    static TarMember file(std::string name, std::string data = "") {
        TarMember m;
        m.name = std::move(name);
        m.data = std::move(data);
        return m;
    }
    static TarMember dir(std::string name) {
        TarMember m;
        m.name = std::move(name);
        m.type = '5';
        return m;
    }
    static TarMember symlink(std::string name, std::string target) {
        TarMember m;
        m.name = std::move(name);
        m.type = '2';
        m.link = std::move(target);
        return m;
    }
    static TarMember hardlink(std::string name, std::string target) {
        TarMember m;
        m.name = std::move(name);
        m.type = '1';
        m.link = std::move(target);
        return m;
    }
    // type '3' (char), '4' (block).
    static TarMember device(std::string name, char type, unsigned major, unsigned minor) {
        TarMember m;
        m.name = std::move(name);
        m.type = type;
        m.devmajor = major;
        m.devminor = minor;
        return m;
    }
    static TarMember fifo(std::string name) {
        TarMember m;
        m.name = std::move(name);
        m.type = '6';
        return m;
    }
    TarMember& with_mode(int m) {
        mode = m;
        return *this;
    }
    TarMember& with_owner(uint64_t u, uint64_t g) {
        uid = u;
        gid = g;
        return *this;
    }
    TarMember& with_mtime(uint64_t t) {
        mtime = t;
        return *this;
    }
    TarMember& with_data(std::string d) {
        data = std::move(d);
        return *this;
    }
    TarMember& with_pax(std::string key, std::string value) {
        pax.emplace_back(std::move(key), std::move(value));
        return *this;
    }
    TarMember& with_xattr(const std::string& name, std::string value) {
        return with_pax("SCHILY.xattr." + name, std::move(value));
    }
};

class TarBuilder {
public:
    TarBuilder& file(const std::string& name, std::string_view data) {
        return member(name, data, '0', "");
    }
    TarBuilder& dir(const std::string& name) { return member(name, "", '5', ""); }
    TarBuilder& symlink(const std::string& name, const std::string& target) {
        return member(name, "", '2', target);
    }
    TarBuilder& hardlink(const std::string& name, const std::string& target) {
        return member(name, "", '1', target);
    }
    TarBuilder& member(const std::string& name, std::string_view data, char type,
                       const std::string& link) {
        TarMember m;
        m.name = name;
        m.data = std::string(data);
        m.type = type;
        m.link = link;
        return add(m);
    }

    // A member, preceded by its PAX "x" header when it has records.
    TarBuilder& add(const TarMember& m) {
        if (!m.pax.empty()) {
            std::string body;
            for (const auto& [k, v] : m.pax) body += pax_record(k, v);
            TarMember x;
            x.name = "PaxHeaders/" + m.name.substr(0, 80);
            x.type = 'x';
            x.data = body;
            write(x);
        }
        headers_.push_back(out_.size());
        write(m);
        return *this;
    }

    // A GNU long-name ("L") record naming the next member; the member itself follows with
    // add(), its ustar name truncated. Without a member after it, the record dangles (THREATS 8).
    TarBuilder& gnu_longname(const std::string& name) {
        TarMember l;
        l.name = "././@LongLink";
        l.type = 'L';
        l.data = name + std::string(1, '\0');
        write(l);
        return *this;
    }

    // Bytes as they are (a second archive, garbage, ...).
    TarBuilder& raw(std::string_view bytes) {
        out_.append(bytes);
        return *this;
    }

    // Corrupt the checksum of the n-th member's header (0-based; PAX and L headers not counted).
    TarBuilder& damage_header(size_t n) {
        out_[headers_.at(n) + 148] = '9';
        return *this;
    }
    std::string finish() const { return out_ + std::string(1024, '\0'); }
    // Without the end-of-archive marker.
    const std::string& bytes() const { return out_; }

    // "LEN key=value\n", LEN counting its own digits.
    static std::string pax_record(const std::string& key, const std::string& value) {
        size_t base = key.size() + value.size() + 3;  // ' ', '=', '\n'
        size_t len = base + 1;
        while (std::to_string(len).size() + base != len) ++len;
        return std::to_string(len) + " " + key + "=" + value + "\n";
    }

private:
    static void octal(char* field, size_t width, uint64_t v) {
        snprintf(field, width, "%0*llo", static_cast<int>(width - 1),
                 static_cast<unsigned long long>(v));
    }
    void write(const TarMember& m) {
        char h[512];
        memset(h, 0, sizeof h);
        memcpy(h, m.name.data(), std::min<size_t>(m.name.size(), 100));
        int mode = m.mode >= 0 ? m.mode : (m.type == '5' ? 0755 : 0644);
        octal(h + 100, 8, static_cast<uint64_t>(mode) & 07777777);
        octal(h + 108, 8, m.uid & 07777777);
        octal(h + 116, 8, m.gid & 07777777);
        uint64_t size = m.header_size >= 0 ? static_cast<uint64_t>(m.header_size) : m.data.size();
        octal(h + 124, 12, size);
        octal(h + 136, 12, m.mtime);
        h[156] = m.type;
        memcpy(h + 157, m.link.data(), std::min<size_t>(m.link.size(), 100));
        memcpy(h + 257, "ustar", 6);
        memcpy(h + 263, "00", 2);
        octal(h + 329, 8, m.devmajor & 07777777);
        octal(h + 337, 8, m.devminor & 07777777);
        memset(h + 148, ' ', 8);
        unsigned sum = 0;
        for (unsigned char c : h) sum += c;
        snprintf(h + 148, 7, "%06o", sum);
        h[155] = ' ';
        out_.append(h, sizeof h);
        out_.append(m.data);
        out_.append((512 - m.data.size() % 512) % 512, '\0');
    }

    std::string out_;
    std::vector<size_t> headers_;
};

}  // namespace ocipod::test
