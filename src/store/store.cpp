// Opening a store: the root, its locks, the OCI layout files and the removal of what interrupted
// writers left behind (DESIGN.md §3: "half-done work is recognisable and cleaned on open").
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <vector>

#include "base/fs.hpp"
#include "store/layout.hpp"
#include "store/lock.hpp"
#include "store/store.hpp"

namespace ocipod {

namespace {

// The empty image index of a new layout (image-spec image-layout.md, image-index.md).
constexpr std::string_view empty_index =
    R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]})";

bool process_alive(pid_t pid) {
    if (pid == getpid()) return true;
    return kill(pid, 0) == 0 || errno == EPERM;
}

// oci-layout: written when missing; another version is a layout we do not know how to read.
Status check_layout_file(int store_fd) {
    auto bytes = read_file_capped(store_fd, oci_layout_file, 4096);
    if (!bytes) {
        if (bytes.error().code != ENOENT) return std::move(bytes).error();
        return write_file_atomic(store_fd, oci_layout_file, oci_layout_file_content(), 0644);
    }
    return check_oci_layout_file(*bytes);
}

Status ensure_index_file(int store_fd) {
    struct stat st;
    if (fstatat(store_fd, index_json, &st, AT_SYMLINK_NOFOLLOW) == 0) return {};
    if (errno != ENOENT) return errno_error("checking '%s'", index_json);
    return write_file_atomic(store_fd, index_json, empty_index, 0644);
}

// An ingest whose blob is already stored is what a commit interrupted after its rename leaves.
// Remove it unless a live writer still holds its lock.
Status remove_committed_ingests(const StoreDirs& dirs) {
    std::vector<std::string> names = TRY(list_dir_names(dirs.ingest_fd.get(), "ingest directory"));
    for (const std::string& name : names) {
        size_t dash = name.find('-');
        if (dash == std::string::npos) continue;
        auto digest = Digest::parse(name.substr(0, dash) + ":" + name.substr(dash + 1));
        if (!digest) continue;
        struct stat st;
        if (fstatat(dirs.alg_fd(digest->alg()), digest->hex().c_str(), &st, AT_SYMLINK_NOFOLLOW) <
            0)
            continue;
        UniqueFd lock(openat(dirs.ingest_fd.get(), (name + "/lock").c_str(),
                             O_RDWR | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY));
        if (lock && !ofd_lock(lock.get(), ingest_lock_byte, LockMode::exclusive, false, "ingest"))
            continue;  // a live writer; it will find the blob and clean up itself
        TRY(remove_tree(dirs.ingest_fd.get(), name));
    }
    return {};
}

}  // namespace

Result<std::vector<std::string>> list_dir_names(int dirfd, const char* what) {
    int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return errno_error("opening %s", what);
    DIR* dir = fdopendir(fd);
    if (!dir) {
        close(fd);
        return errno_error("reading %s", what);
    }
    std::vector<std::string> names;
    errno = 0;
    while (struct dirent* de = readdir(dir)) {
        std::string name = de->d_name;
        if (name != "." && name != "..") names.push_back(std::move(name));
    }
    int err = errno;
    closedir(dir);
    if (err) return errno_error_code(err, "reading %s", what);
    return names;
}

std::optional<pid_t> temp_name_pid(std::string_view name) {
    if (!starts_with(name, ".tmp-")) return std::nullopt;
    size_t last = name.rfind('-');
    if (last == std::string_view::npos || last < 5) return std::nullopt;
    size_t prev = name.rfind('-', last - 1);
    if (prev == std::string_view::npos || prev < 4) return std::nullopt;
    auto pid = parse_u64(name.substr(prev + 1, last - prev - 1));
    if (!parse_u64(name.substr(last + 1)) || !pid || *pid == 0 || *pid > 0x7fffffff)
        return std::nullopt;
    return static_cast<pid_t>(*pid);
}

Status remove_temp_leftovers(int dirfd, bool all, const char* what) {
    std::vector<std::string> names = TRY(list_dir_names(dirfd, what));
    for (const std::string& name : names) {
        if (!starts_with(name, ".tmp-")) continue;
        if (!all) {
            // A name we cannot attribute belongs to no writer of ours that could still be running.
            std::optional<pid_t> pid = temp_name_pid(name);
            if (pid && process_alive(*pid)) continue;
        }
        TRY_WRAP(remove_tree(dirfd, name), what);
    }
    return {};
}

static Status open_dirs(StoreDirs* st, const std::string& root, bool create, LockMode mode) {
    st->root = root;
    if (create && mkdir(root.c_str(), 0700) < 0 && errno != EEXIST)
        return errno_error("creating '%s'", root.c_str());
    int fd = ::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) return make_error(ENOENT, "no store at '%s'", root.c_str());
        return errno_error("opening '%s'", root.c_str());
    }
    st->root_fd.reset(fd);
    struct stat rst;
    if (fstat(fd, &rst) < 0) return errno_error("stat '%s'", root.c_str());
    st->root_dev = rst.st_dev;
    st->root_ino = rst.st_ino;
    if (!create && faccessat(fd, "store/oci-layout", F_OK, AT_SYMLINK_NOFOLLOW) < 0) {
        if (errno == ENOENT) return make_error(ENOENT, "no store at '%s'", root.c_str());
        return errno_error("checking '%s/store/oci-layout'", root.c_str());
    }

    fd = openat(st->root_fd.get(), "lock", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY,
                0600);
    if (fd < 0) return errno_error("opening '%s/lock'", root.c_str());
    st->lock_fd.reset(fd);
    TRY(ofd_lock(st->lock_fd.get(), store_lock_byte, mode, true, "the store"));

    {
        // Everything that writes into store/ holds the index lock, so while we hold it no temp
        // file there belongs to a live writer.
        UniqueFd index_lock = TRY(take_index_lock(st->root_fd.get()));
        st->store_fd = TRY(open_dir(st->root_fd.get(), "store", true, 0755));
        TRY(check_layout_file(st->store_fd.get()));
        TRY(ensure_index_file(st->store_fd.get()));
        TRY(remove_temp_leftovers(st->store_fd.get(), true, "store directory"));
    }

    st->blobs_fd = TRY(open_dir(st->store_fd.get(), "blobs", true, 0755));
    st->sha256_fd = TRY(open_dir(st->blobs_fd.get(), "sha256", true, 0755));
    st->sha512_fd = TRY(open_dir(st->blobs_fd.get(), "sha512", true, 0755));
    TRY(remove_temp_leftovers(st->sha256_fd.get(), false, "blobs/sha256"));
    TRY(remove_temp_leftovers(st->sha512_fd.get(), false, "blobs/sha512"));
    st->ingest_fd = TRY(open_dir(st->root_fd.get(), "ingest", true, 0700));
    TRY(remove_committed_ingests(*st));
    st->layers_fd = TRY(open_dir(st->root_fd.get(), "layers", true, 0700));
    return {};
}

Result<Store> Store::open(const std::string& root, bool create) {
    return open_locked(root, create, LockMode::shared);
}

Result<Store> Store::open_exclusive(const std::string& root) {
    return open_locked(root, false, LockMode::exclusive);
}

Result<Store> Store::open_locked(const std::string& root, bool create, LockMode mode) {
    auto st = std::make_unique<State>();
    Status opened = open_dirs(st.get(), root, create, mode);
    if (!opened) {
        Error e = std::move(opened).error();
        // "no store at 'ROOT'" already names the store.
        if (e.code == ENOENT && starts_with(e.message, "no store at")) return e;
        return std::move(e).wrap(strf("opening store '%s'", root.c_str()));
    }
    return Store(std::move(st));
}

Store::Store(std::unique_ptr<State> s) : s_(std::move(s)) {}
Store::Store(Store&&) noexcept = default;
Store& Store::operator=(Store&&) noexcept = default;
Store::~Store() = default;

const std::string& Store::root() const {
    return s_->root;
}

}  // namespace ocipod
