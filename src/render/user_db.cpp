// Config.User resolved inside the image (image-spec conversion.md "Config.User"):
//   - numeric user and group ids are copied verbatim; a numeric user found in /etc/passwd takes
//     its primary gid and home from there (as runc's GetExecUser and Docker do), otherwise gid 0;
//   - names must exist in the image's /etc/passwd or /etc/group ("MUST return an error");
//   - additionalGids are the /etc/group memberships of the user, added only when the user was
//     given by name and no group was given: conversion.md says a converter "SHOULD NOT modify
//     additionalGids if the user is numeric or Config.User specifies a group". runc also adds
//     them for a numeric uid that has a passwd entry; we keep to the spec there. For an unset
//     User (implementation-defined) we run as uid 0 with the groups of its passwd entry, which is
//     what Docker and podman give root.
// The files are image data (THREATS 80, CVE-2024-9676): opened in the root only, never
// blocking, read with a cap, and parsed leniently line by line (a malformed line is skipped, as
// glibc's files backend does) but with strict numbers.
#include "render/user_db.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <optional>
#include <string>

#include "base/fs.hpp"
#include "base/unique_fd.hpp"

namespace ocipod {

namespace {

constexpr size_t max_user_db_bytes = 4u << 20;
// 4294967295 is (uid_t)-1, "no change" for chown and setresuid: never a real id.
constexpr uint64_t max_id = 4294967294u;

struct PasswdEntry {
    std::string name;
    uint32_t uid;
    uint32_t gid;
    std::string home;
};

struct GroupEntry {
    std::string name;
    uint32_t gid;
    std::vector<std::string> members;
};

// std::nullopt when the file does not exist (or a parent is not a directory).
Result<std::optional<std::string>> read_in_root(int rootfs_dirfd, const char* path) {
    struct open_how how = {};
    how.flags = O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY;
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
    long fd;
    // EAGAIN: a rename elsewhere in the tree raced with the in-root resolution; retry a little.
    for (int tries = 0;; ++tries) {
        fd = syscall(SYS_openat2, rootfs_dirfd, path, &how, sizeof how);
        if (fd >= 0 || (errno != EAGAIN && errno != EINTR) || tries >= 16) break;
    }
    if (fd < 0) {
        if (errno == ENOENT || errno == ENOTDIR) return std::optional<std::string>();
        return errno_error("opening '/%s' in the image", path);
    }
    UniqueFd owner(static_cast<int>(fd));
    struct stat st;
    if (fstat(owner.get(), &st) < 0) return errno_error("stat of '/%s' in the image", path);
    // A FIFO or a device would block or read host data: only regular files count.
    if (!S_ISREG(st.st_mode))
        return make_error(EINVAL, "'/%s' in the image is not a regular file, refusing", path);
    std::string data = TRY_WRAP(read_fd_capped(owner.get(), max_user_db_bytes),
                                strf("reading '/%s' in the image", path));
    return std::optional<std::string>(std::move(data));
}

// A decimal id in 0..max_id. Only ASCII digits: "+1", "-1", " 1" are not ids.
std::optional<uint32_t> parse_id(std::string_view s) {
    auto v = parse_u64(s);
    if (!v || *v > max_id) return std::nullopt;
    return static_cast<uint32_t>(*v);
}

bool is_digits(std::string_view s) {
    return !s.empty() &&
           std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// "-1", "+5" and "4294967296" look like ids but are none; refusing them is safer than looking
// them up as names (THREATS 80).
bool looks_numeric(std::string_view s) {
    if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.remove_prefix(1);
    return is_digits(s);
}

std::vector<std::string_view> fields_of(std::string_view line) {
    std::vector<std::string_view> out;
    for (;;) {
        size_t colon = line.find(':');
        out.push_back(line.substr(0, colon));
        if (colon == std::string_view::npos) return out;
        line.remove_prefix(colon + 1);
    }
}

template <class F>
void for_each_line(std::string_view text, F&& f) {
    while (!text.empty()) {
        size_t nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        // Comments, blank lines and NIS compat entries ("+name", "-name") name nobody here.
        if (line.empty() || line[0] == '#' || line[0] == '+' || line[0] == '-') continue;
        f(line);
    }
}

// name:password:uid:gid:gecos:home:shell
std::vector<PasswdEntry> parse_passwd(std::string_view text) {
    std::vector<PasswdEntry> out;
    for_each_line(text, [&](std::string_view line) {
        auto f = fields_of(line);
        if (f.size() < 4 || f[0].empty()) return;
        auto uid = parse_id(f[2]);
        auto gid = parse_id(f[3]);
        if (!uid || !gid) return;
        out.push_back({std::string(f[0]), *uid, *gid, f.size() > 5 ? std::string(f[5]) : ""});
    });
    return out;
}

// name:password:gid:member,member
std::vector<GroupEntry> parse_group(std::string_view text) {
    std::vector<GroupEntry> out;
    for_each_line(text, [&](std::string_view line) {
        auto f = fields_of(line);
        if (f.size() < 3 || f[0].empty()) return;
        auto gid = parse_id(f[2]);
        if (!gid) return;
        GroupEntry g{std::string(f[0]), *gid, {}};
        if (f.size() > 3)
            for (auto& m : split(f[3], ','))
                if (!m.empty()) g.members.push_back(std::move(m));
        out.push_back(std::move(g));
    });
    return out;
}

class UserDb {
public:
    explicit UserDb(int rootfs_dirfd) : dirfd_(rootfs_dirfd) {}

    Result<const std::vector<PasswdEntry>*> passwd() {
        if (!passwd_) {
            auto text = TRY(read_in_root(dirfd_, "etc/passwd"));
            passwd_present_ = text.has_value();
            passwd_ = parse_passwd(text.value_or(""));
        }
        return &*passwd_;
    }
    Result<const std::vector<GroupEntry>*> groups() {
        if (!groups_) {
            auto text = TRY(read_in_root(dirfd_, "etc/group"));
            groups_present_ = text.has_value();
            groups_ = parse_group(text.value_or(""));
        }
        return &*groups_;
    }
    bool passwd_present() const { return passwd_present_; }
    bool groups_present() const { return groups_present_; }

private:
    int dirfd_;
    std::optional<std::vector<PasswdEntry>> passwd_;
    std::optional<std::vector<GroupEntry>> groups_;
    bool passwd_present_ = false;
    bool groups_present_ = false;
};

Result<uint32_t> group_id(UserDb& db, std::string_view group) {
    if (looks_numeric(group)) {
        auto gid = parse_id(group);
        if (!gid)
            return make_error(ERANGE, "group id '%s' is out of range, refusing",
                              printable(group).c_str());
        return *gid;
    }
    const auto* groups = TRY(db.groups());
    for (const auto& g : *groups)
        if (g.name == group) return g.gid;
    if (!db.groups_present())
        return make_error(ENOENT, "the image has no /etc/group to resolve group '%s'",
                          printable(group).c_str());
    return make_error(ENOENT, "group '%s' is not in the image's /etc/group",
                      printable(group).c_str());
}

Result<std::vector<uint32_t>> supplementary_gids(UserDb& db, const std::string& name,
                                                 uint32_t primary) {
    std::vector<uint32_t> out;
    const auto* groups = TRY(db.groups());
    for (const auto& g : *groups)
        if (g.gid != primary &&
            std::find(g.members.begin(), g.members.end(), name) != g.members.end())
            out.push_back(g.gid);
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

const PasswdEntry* find_uid(const std::vector<PasswdEntry>& entries, uint32_t uid) {
    for (const auto& e : entries)
        if (e.uid == uid) return &e;
    return nullptr;
}

Result<ContainerUser> resolve(UserDb& db, std::string_view spec) {
    std::string_view user = spec;
    std::optional<std::string_view> group;
    if (size_t colon = spec.find(':'); colon != std::string_view::npos) {
        user = spec.substr(0, colon);
        group = spec.substr(colon + 1);
        if (group->find(':') != std::string_view::npos)
            return make_error(EINVAL, "more than one ':', refusing");
        // "root:" and ":0" are not "no group" or "no user": refuse rather than guess (THREATS 80).
        if (group->empty()) return make_error(EINVAL, "empty group, refusing");
        if (user.empty()) return make_error(EINVAL, "empty user, refusing");
    }

    ContainerUser out;
    out.home = "/";
    const PasswdEntry* entry = nullptr;
    bool by_name = false;
    const auto* passwd = TRY(db.passwd());
    if (user.empty()) {
        // Unset User: root, with its own passwd entry's home and groups when there is one.
        entry = find_uid(*passwd, 0);
        by_name = entry != nullptr;
    } else if (looks_numeric(user)) {
        auto uid = parse_id(user);
        if (!uid)
            return make_error(ERANGE, "user id '%s' is out of range, refusing",
                              printable(user).c_str());
        out.uid = *uid;
        entry = find_uid(*passwd, *uid);
    } else {
        for (const auto& e : *passwd)
            if (e.name == user) {
                entry = &e;
                break;
            }
        if (!entry) {
            if (!db.passwd_present())
                return make_error(ENOENT, "the image has no /etc/passwd to resolve user '%s'",
                                  printable(user).c_str());
            return make_error(ENOENT, "user '%s' is not in the image's /etc/passwd",
                              printable(user).c_str());
        }
        by_name = true;
    }
    if (entry) {
        out.uid = entry->uid;
        out.gid = entry->gid;
        if (!entry->home.empty()) out.home = entry->home;
    }
    if (group) {
        out.gid = TRY(group_id(db, *group));
    } else if (by_name) {
        out.additional_gids = TRY(supplementary_gids(db, entry->name, out.gid));
    }
    return out;
}

}  // namespace

Result<ContainerUser> resolve_container_user(int rootfs_dirfd, std::string_view spec) {
    UserDb db(rootfs_dirfd);
    return resolve(db, spec).wrap(strf("resolving user '%s'", printable(spec).c_str()));
}

std::string passwd_home(std::string_view passwd, uint32_t uid) {
    for (const PasswdEntry& e : parse_passwd(passwd))
        if (e.uid == uid) return e.home.empty() ? "/" : e.home;
    return "/";
}

}  // namespace ocipod
