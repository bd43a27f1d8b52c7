#include "fetch/archive_members.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <vector>

namespace ocipod {

namespace {

std::string join(const std::vector<std::string_view>& parts) {
    std::string out;
    for (std::string_view p : parts) {
        if (!out.empty()) out += '/';
        out += p;
    }
    return out;
}

}  // namespace

Result<std::string> clean_member_name(std::string_view raw) {
    auto refuse = [raw](const char* why) {
        return make_error(EINVAL, "archive member '%s' %s, refusing", printable(raw).c_str(), why);
    };
    if (raw.empty()) return refuse("has an empty name");
    if (raw.front() == '/') return refuse("has an absolute name");
    std::string_view s = raw;
    if (s == "." || s == "./") return std::string();
    if (starts_with(s, "./")) s.remove_prefix(2);
    if (!s.empty() && s.back() == '/') s.remove_suffix(1);
    if (s.empty()) return refuse("has an empty name");
    size_t start = 0;
    for (;;) {
        size_t slash = s.find('/', start);
        std::string_view part =
            s.substr(start, slash == std::string_view::npos ? s.npos : slash - start);
        if (part.empty()) return refuse("has an empty path component");
        if (part == "..") return refuse("has a '..' component");
        if (part == ".") return refuse("has a '.' component");
        if (slash == std::string_view::npos) break;
        start = slash + 1;
    }
    return std::string(s);
}

Result<std::string> resolve_member_link(std::string_view member, const TarEntry& entry) {
    std::string_view target = entry.link_target;
    auto refuse = [&](const char* why) {
        return make_error(EINVAL, "archive member '%s' links to '%s', which %s, refusing",
                          printable(member).c_str(), printable(target).c_str(), why);
    };
    if (target.empty()) return refuse("is empty");
    if (target.front() == '/') return refuse("is absolute");
    if (entry.type == TarEntry::Type::hardlink) return clean_member_name(target);

    std::vector<std::string_view> parts;
    for (size_t start = 0; start < member.size();) {  // the member's directory
        size_t slash = member.find('/', start);
        if (slash == std::string_view::npos) break;
        parts.push_back(member.substr(start, slash - start));
        start = slash + 1;
    }
    for (size_t start = 0; start <= target.size();) {
        size_t slash = target.find('/', start);
        size_t end = slash == std::string_view::npos ? target.size() : slash;
        std::string_view part = target.substr(start, end - start);
        if (part == "..") {
            if (parts.empty()) return refuse("leaves the archive");
            parts.pop_back();
        } else if (!part.empty() && part != ".") {
            parts.push_back(part);
        }
        start = end + 1;
    }
    if (parts.empty()) return refuse("is the archive root");
    return join(parts);
}

Result<UniqueFd> open_archive_file(const std::string& path) {
    int fd = open(path.c_str(), O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return errno_error("opening archive '%s'", printable(path).c_str());
    UniqueFd owner(fd);
    struct stat st;
    if (fstat(fd, &st) < 0) return errno_error("stat of '%s'", printable(path).c_str());
    if (!S_ISREG(st.st_mode))
        return make_error(EINVAL, "'%s' is not a regular file", printable(path).c_str());
    return owner;
}

Status for_each_member(int fd, const MemberFn& fn) {
    if (lseek(fd, 0, SEEK_SET) < 0) return errno_error("rewinding the archive");
    TarReader reader = TRY(TarReader::open_fd(fd, {TarCompression::none, TarCompression::gzip}));
    TarEntry entry;
    for (size_t count = 0;; ++count) {
        if (!TRY(reader.next(&entry))) return {};
        if (count >= max_archive_members)
            return make_error(EFBIG, "more than %zu members in the archive, refusing",
                              max_archive_members);
        std::string name = TRY(clean_member_name(entry.path));
        TRY(fn(name, entry, reader));
    }
}

Result<std::string> read_member(TarReader& reader, const TarEntry& entry, size_t cap) {
    if (entry.size < 0 || static_cast<uint64_t>(entry.size) > cap)
        return make_error(EFBIG,
                          "archive member '%s' of %lld bytes is larger than the limit of %zu",
                          printable(entry.path).c_str(), static_cast<long long>(entry.size), cap);
    std::string out(static_cast<size_t>(entry.size), '\0');
    size_t got = 0;
    while (got < out.size()) {
        size_t n = TRY(reader.read(out.data() + got, out.size() - got));
        if (n == 0) break;
        got += n;
    }
    if (got != out.size())
        return make_error(EBADMSG, "archive member '%s' is truncated",
                          printable(entry.path).c_str());
    char extra;
    if (TRY(reader.read(&extra, 1)) != 0)
        return make_error(EBADMSG, "archive member '%s' is longer than its header says",
                          printable(entry.path).c_str());
    return out;
}

}  // namespace ocipod
