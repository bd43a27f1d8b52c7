// Ingests: resumable writes of one blob (DESIGN.md §3, THREATS.md §4.3).
//
//   ingest/ALG-HEX/lock   OFD lock, byte 0, exclusive while an Ingest object lives
//   ingest/ALG-HEX/size   the expected size, decimal; a resume with another size starts over
//   ingest/ALG-HEX/data   the bytes so far; re-hashed on resume
//
// Neither "size" nor the data is fsync'd while writing: after a crash a wrong size file or a
// short data file only costs a restart or a longer resume, and commit() verifies every byte.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mutex>
#include <set>

#include "base/crash_point.hpp"
#include "base/fs.hpp"
#include "store/layout.hpp"
#include "store/lock.hpp"
#include "store/store.hpp"

namespace ocipod {

namespace {

// OFD locks of two descriptions exclude each other even within one process, so a second
// begin_ingest of the same blob from the thread that holds the first would wait for itself
// forever. Ingests alive in this process are therefore tracked here and a second one is refused.
std::mutex busy_mutex;
std::set<std::string> busy_ingests;

bool claim_ingest(const std::string& key) {
    std::lock_guard<std::mutex> guard(busy_mutex);
    return busy_ingests.insert(key).second;
}

void release_ingest(const std::string& key) {
    std::lock_guard<std::mutex> guard(busy_mutex);
    busy_ingests.erase(key);
}

Result<UniqueFd> dup_fd(int fd) {
    int n = fcntl(fd, F_DUPFD_CLOEXEC, 3);
    if (n < 0) return errno_error("duplicating a directory fd");
    return UniqueFd(n);
}

enum class Phase { open, broken, finished };

}  // namespace

// Everything one Ingest holds; a plain struct so the helpers below can name it.
struct IngestState {
    IngestState(const Digest& d, int64_t size) : digest(d), expected(size), hasher(d.alg()) {}
    ~IngestState() {
        data.reset();
        lock.reset();
        if (!busy_key.empty()) release_ingest(busy_key);
    }

    Digest digest;
    int64_t expected;
    int64_t offset = 0;
    Hasher hasher;
    std::string name;      // ALG-HEX below ingest/
    std::string busy_key;  // entry in busy_ingests
    UniqueFd ingest_fd;    // ROOT/ingest
    UniqueFd alg_fd;       // ROOT/store/blobs/ALG
    UniqueFd dir;          // ROOT/ingest/ALG-HEX
    UniqueFd lock;
    UniqueFd data;
    bool wrote = false;
    Phase phase = Phase::open;
};

struct Ingest::State : IngestState {
    using IngestState::IngestState;
};

namespace {

// Take the ingest's lock. The holder we waited for may have committed or discarded the ingest
// and removed its directory, leaving us a lock on an unlinked file: then start over.
Status acquire_lock(IngestState& s) {
    int ingest_fd = s.ingest_fd.get();
    const std::string lock_path = s.name + "/lock";
    for (;;) {
        if (mkdirat(ingest_fd, s.name.c_str(), 0700) < 0 && errno != EEXIST)
            return errno_error("creating 'ingest/%s'", s.name.c_str());
        UniqueFd dir(
            openat(ingest_fd, s.name.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW));
        if (!dir) {
            if (errno == ENOENT) continue;
            return errno_error("opening 'ingest/%s'", s.name.c_str());
        }
        UniqueFd lock(
            openat(dir.get(), "lock", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600));
        if (!lock) {
            if (errno == ENOENT) continue;  // the directory was removed after we opened it
            return errno_error("opening 'ingest/%s/lock'", lock_path.c_str());
        }
        TRY(ofd_lock(lock.get(), ingest_lock_byte, LockMode::exclusive, true, "the ingest"));
        struct stat held, current;
        if (fstat(lock.get(), &held) < 0) return errno_error("stat 'ingest/%s'", lock_path.c_str());
        if (fstatat(ingest_fd, lock_path.c_str(), &current, AT_SYMLINK_NOFOLLOW) < 0) {
            if (errno == ENOENT) continue;
            return errno_error("stat 'ingest/%s'", lock_path.c_str());
        }
        if (held.st_dev != current.st_dev || held.st_ino != current.st_ino) continue;
        s.dir = std::move(dir);
        s.lock = std::move(lock);
        return {};
    }
}

// Remove the ingest's files and then its directory, while holding its lock. The lock file goes
// last so that a newcomer can only create a new one in an otherwise empty directory; if it does
// so before our rmdir, the directory is its now and stays.
void remove_ingest_files(IngestState& s) {
    for (const char* f : {"data", "size", "lock"}) unlinkat(s.dir.get(), f, 0);
    unlinkat(s.ingest_fd.get(), s.name.c_str(), AT_REMOVEDIR);
    s.data.reset();
    s.lock.reset();
    s.phase = Phase::finished;
}

// The stored expected size, or nullopt when absent or unreadable (a torn write after a crash).
Result<std::optional<int64_t>> read_size_file(int dirfd) {
    auto bytes = read_file_capped(dirfd, "size", 32);
    if (!bytes) {
        int code = bytes.error().code;
        if (code == ENOENT || code == EFBIG || code == EINVAL) return std::optional<int64_t>();
        return std::move(bytes).error();
    }
    std::optional<uint64_t> v = parse_u64(trim(*bytes));
    if (!v || *v > uint64_t(max_descriptor_size)) return std::optional<int64_t>();
    return std::optional<int64_t>(static_cast<int64_t>(*v));
}

Status write_size_file(int dirfd, int64_t size) {
    UniqueFd fd(openat(dirfd, "size", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (!fd) return errno_error("creating 'size'");
    return write_all(fd.get(), strf("%lld\n", static_cast<long long>(size)));
}

// Open the data file and decide between resuming it and starting over.
Status open_data(IngestState& s) {
    s.data.reset(
        openat(s.dir.get(), "data", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600));
    if (!s.data) return errno_error("opening 'data'");
    struct stat st;
    if (fstat(s.data.get(), &st) < 0) return errno_error("stat 'data'");
    if (!S_ISREG(st.st_mode)) return make_error(EINVAL, "'data' is not a regular file");
    std::optional<int64_t> stored = TRY(read_size_file(s.dir.get()));
    if (stored != s.expected || st.st_size > s.expected) {
        // Another expected size (the descriptor changed) or more data than it allows: nothing
        // here can be trusted to be a prefix of this blob.
        if (ftruncate(s.data.get(), 0) < 0) return errno_error("truncating 'data'");
        if (stored != s.expected) TRY(write_size_file(s.dir.get(), s.expected));
        s.offset = 0;
        return {};
    }
    return hash_fd(s.data.get(), s.hasher, &s.offset).wrap("re-hashing 'data'");
}

}  // namespace

Result<std::optional<Ingest>> Store::begin_ingest(const Digest& d, int64_t size) {
    using Out = std::optional<Ingest>;
    if (size < 0 || size > max_descriptor_size)
        return make_error(EINVAL, "blob %s: invalid size %lld", d.str().c_str(),
                          static_cast<long long>(size));
    if (has_blob(d)) return Out();
    auto st = std::make_unique<Ingest::State>(d, size);
    st->name = ingest_dir_name(d);
    std::string key = strf("%llu:%llu:%s", static_cast<unsigned long long>(s_->root_dev),
                           static_cast<unsigned long long>(s_->root_ino), st->name.c_str());
    if (!claim_ingest(key))
        return make_error(EBUSY, "blob %s is already being written in this process",
                          d.str().c_str());
    st->busy_key = std::move(key);
    std::string ctx = strf("ingest of blob %s", d.str().c_str());
    st->ingest_fd = TRY_WRAP(dup_fd(s_->ingest_fd.get()), ctx);
    st->alg_fd = TRY_WRAP(dup_fd(s_->alg_fd(d.alg())), ctx);
    TRY_WRAP(acquire_lock(*st), ctx);
    if (has_blob(d)) {
        // Committed by the writer we waited for (or by an interrupted commit of ours).
        remove_ingest_files(*st);
        return Out();
    }
    TRY_WRAP(open_data(*st), ctx);
    return Out(Ingest(std::move(st)));
}

Ingest::Ingest(std::unique_ptr<State> s) : s_(std::move(s)) {}
Ingest::Ingest(Ingest&&) noexcept = default;
Ingest& Ingest::operator=(Ingest&&) noexcept = default;
Ingest::~Ingest() = default;

const Digest& Ingest::digest() const {
    return s_->digest;
}
int64_t Ingest::expected_size() const {
    return s_->expected;
}
int64_t Ingest::offset() const {
    return s_->offset;
}

static Status check_usable(const IngestState& s) {
    if (s.phase == Phase::finished)
        return make_error(EINVAL, "ingest of blob %s is already committed or discarded",
                          s.digest.str().c_str());
    if (s.phase == Phase::broken)
        return make_error(EIO, "ingest of blob %s failed after a write error; restart it",
                          s.digest.str().c_str());
    return {};
}

Status Ingest::write(const void* data, size_t len) {
    State& s = *s_;
    TRY(check_usable(s));
    if (len > static_cast<uint64_t>(s.expected - s.offset))
        return make_error(EFBIG,
                          "blob %s: writing %zu bytes at offset %lld exceeds its size of %lld",
                          s.digest.str().c_str(), len, static_cast<long long>(s.offset),
                          static_cast<long long>(s.expected));
    const char* p = static_cast<const char*>(data);
    size_t done = 0;
    while (done < len) {
        ssize_t n = pwrite(s.data.get(), p + done, len - done, s.offset + static_cast<off_t>(done));
        if (n < 0) {
            if (errno == EINTR) continue;
            int err = errno;
            // Take back a partial write so that file and hash state agree again.
            if (ftruncate(s.data.get(), s.offset) < 0) s.phase = Phase::broken;
            return errno_error_code(err, "writing blob %s", s.digest.str().c_str());
        }
        done += static_cast<size_t>(n);
    }
    s.hasher.update(data, len);
    s.offset += static_cast<int64_t>(len);
    if (!s.wrote) {
        s.wrote = true;
        crash_point("after-ingest-write");
    }
    return {};
}

Status Ingest::restart() {
    State& s = *s_;
    if (s.phase == Phase::finished) return check_usable(s);
    if (ftruncate(s.data.get(), 0) < 0)
        return errno_error("restarting ingest of blob %s", s.digest.str().c_str());
    s.hasher = Hasher(s.digest.alg());
    s.offset = 0;
    s.phase = Phase::open;
    return {};
}

Status Ingest::commit() {
    State& s = *s_;
    TRY(check_usable(s));
    const std::string name = s.digest.str();
    if (s.offset != s.expected) {
        remove_ingest_files(s);
        return make_error(EBADMSG, "blob %s: got %lld bytes, expected %lld", name.c_str(),
                          static_cast<long long>(s.offset), static_cast<long long>(s.expected));
    }
    TRY_WRAP(fsync_fd(s.data.get(), "ingest data"), strf("committing blob %s", name.c_str()));
    crash_point("after-data-fsync");
    // From here on the hash state is consumed: whatever happens, this object is done, and a
    // failure other than a mismatch leaves the data for a resume by a new Ingest.
    s.phase = Phase::finished;
    std::string got = s.hasher.finish_hex();
    if (got != s.digest.hex()) {
        remove_ingest_files(s);
        return make_error(EBADMSG, "blob %s: content hashes to %s:%s, refusing", name.c_str(),
                          s.digest.alg_name(), got.c_str());
    }
    std::string ctx = strf("committing blob %s", name.c_str());
    if (fchmod(s.data.get(), 0444) < 0) return errno_error("%s: chmod", ctx.c_str());
    Status moved = rename_noreplace(s.dir.get(), "data", s.alg_fd.get(), s.digest.hex());
    if (!moved && moved.error().code != EEXIST) return std::move(moved).wrap(ctx);
    crash_point("after-rename-before-dirfsync");
    TRY_WRAP(fsync_fd(s.alg_fd.get(), "blobs directory"), ctx);
    remove_ingest_files(s);
    return {};
}

}  // namespace ocipod
