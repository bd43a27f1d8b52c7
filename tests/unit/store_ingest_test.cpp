// Ingests: write and commit, the refusals that discard, resume, restart, and writers of the same
// blob in several processes (THREATS.md §4.4, after containerd's content test suite).
#include <poll.h>
#include <sys/stat.h>

#include "store/store.hpp"
#include "store_fixture.hpp"

// Last: CppUTest redefines new, which the standard headers above must not see.
#include <CppUTest/TestHarness.h>

using namespace ocipod;
using namespace ocipod::test;

namespace {

constexpr size_t chunk = 64 * 1024;

// Write data[from, to) in chunk-sized pieces.
bool write_range(Ingest& in, const std::string& data, size_t from, size_t to) {
    for (size_t off = from; off < to; off += chunk) {
        size_t n = std::min(chunk, to - off);
        if (!in.write(data.data() + off, n).ok()) return false;
    }
    return true;
}

// Child body: ingest the blob fully (resuming if need be); 0 committed, 10 already stored.
int ingest_whole(const std::string& root, const std::string& data) {
    auto store = Store::open(root, false);
    if (!store) return 1;
    auto in = store->begin_ingest(sha256_of(data), static_cast<int64_t>(data.size()));
    if (!in) return 2;
    if (!in->has_value()) return 10;
    Ingest& ing = **in;
    if (!write_range(ing, data, static_cast<size_t>(ing.offset()), data.size())) return 3;
    return ing.commit().ok() ? 0 : 4;
}

struct IngestTest : OpenStoreTest {
    std::string ingest_dir(const Digest& d) { return root + "/ingest/sha256-" + d.hex(); }
    Ingest begin(const Digest& d, int64_t size) {
        auto r = store->begin_ingest(d, size);
        CHECK_TEXT(r.ok(), r.ok() ? "" : r.error().message.c_str());
        CHECK(r->has_value());
        return std::move(**r);
    }
};

}  // namespace

TEST_GROUP_BASE(StoreIngest, IngestTest){};

TEST(StoreIngest, WriteAndCommit) {
    std::string data = pattern_bytes(3 * chunk + 1234, 1);
    Digest d = sha256_of(data);
    {
        Ingest in = begin(d, static_cast<int64_t>(data.size()));
        CHECK(in.digest() == d);
        LONGS_EQUAL(data.size(), in.expected_size());
        LONGS_EQUAL(0, in.offset());
        CHECK(path_exists(ingest_dir(d) + "/lock"));
        CHECK(write_range(in, data, 0, data.size()));
        LONGS_EQUAL(data.size(), in.offset());
        CHECK(!store->has_blob(d));
        auto st = in.commit();
        CHECK_TEXT(st.ok(), st.ok() ? "" : st.error().message.c_str());
        // Done: further use is refused.
        LONGS_EQUAL(EINVAL, in.write("x", 1).error().code);
        LONGS_EQUAL(EINVAL, in.commit().error().code);
    }
    CHECK(store->has_blob(d));
    CHECK(read_path(blob_path(d)) == data);
    struct stat st;
    CHECK(stat(blob_path(d).c_str(), &st) == 0);
    LONGS_EQUAL(0444, st.st_mode & 07777);
    LONGS_EQUAL(0, dir_entries(root + "/ingest").size());
}

TEST(StoreIngest, EmptyBlob) {
    Digest d = sha256_of("");
    Ingest in = begin(d, 0);
    CHECK(in.commit().ok());
    CHECK(store->has_blob(d));
}

TEST(StoreIngest, CommitWithWrongDigestDiscards) {
    std::string data = pattern_bytes(2 * chunk, 2);
    Digest d = sha256_of("something else of another content");
    Ingest in = begin(d, static_cast<int64_t>(data.size()));
    CHECK(write_range(in, data, 0, data.size()));
    auto st = in.commit();
    CHECK(!st.ok());
    LONGS_EQUAL(EBADMSG, st.error().code);
    CHECK(st.error().message.find(d.str()) != std::string::npos);
    CHECK(!store->has_blob(d));
    LONGS_EQUAL(0, dir_entries(root + "/store/blobs/sha256").size());
    CHECK(!path_exists(ingest_dir(d)));
    LONGS_EQUAL(EINVAL, in.write("x", 1).error().code);
}

TEST(StoreIngest, CommitWithWrongSizeDiscards) {
    std::string data = pattern_bytes(1000, 3);
    Digest d = sha256_of(data);
    Ingest in = begin(d, 1001);
    CHECK(in.write(data.data(), data.size()).ok());
    auto st = in.commit();
    CHECK(!st.ok());
    LONGS_EQUAL(EBADMSG, st.error().code);
    CHECK(!store->has_blob(d));
    LONGS_EQUAL(0, dir_entries(root + "/store/blobs/sha256").size());
    CHECK(!path_exists(ingest_dir(d)));
}

TEST(StoreIngest, WritingPastTheSizeIsRefused) {
    std::string data = pattern_bytes(100, 4);
    Digest d = sha256_of(data);
    Ingest in = begin(d, 100);
    CHECK(in.write(data.data(), 60).ok());
    auto st = in.write(data.data() + 60, 41);
    CHECK(!st.ok());
    LONGS_EQUAL(EFBIG, st.error().code);
    LONGS_EQUAL(60, in.offset());
    LONGS_EQUAL(60, read_path(ingest_dir(d) + "/data").size());
    CHECK(in.write(data.data() + 60, 40).ok());
    CHECK(in.commit().ok());
    CHECK(read_path(blob_path(d)) == data);
}

TEST(StoreIngest, ResumesWhereADestroyedIngestStopped) {
    std::string data = pattern_bytes(5 * chunk + 77, 5);
    Digest d = sha256_of(data);
    size_t half = 2 * chunk + 5;
    {
        Ingest in = begin(d, static_cast<int64_t>(data.size()));
        CHECK(write_range(in, data, 0, half));
    }
    // Kept for a resume.
    LONGS_EQUAL(half, read_path(ingest_dir(d) + "/data").size());
    Ingest in = begin(d, static_cast<int64_t>(data.size()));
    LONGS_EQUAL(half, in.offset());
    CHECK(write_range(in, data, half, data.size()));
    auto st = in.commit();
    CHECK_TEXT(st.ok(), st.ok() ? "" : st.error().message.c_str());
    CHECK(read_path(blob_path(d)) == data);
}

TEST(StoreIngest, ResumedBytesAreHashedNotTrusted) {
    std::string data = pattern_bytes(3 * chunk, 6);
    Digest d = sha256_of(data);
    {
        Ingest in = begin(d, static_cast<int64_t>(data.size()));
        CHECK(write_range(in, data, 0, chunk));
    }
    std::string partial = read_path(ingest_dir(d) + "/data");
    partial[10] ^= 0x40;
    write_path(ingest_dir(d) + "/data", partial);
    Ingest in = begin(d, static_cast<int64_t>(data.size()));
    LONGS_EQUAL(chunk, in.offset());
    CHECK(write_range(in, data, chunk, data.size()));
    auto st = in.commit();
    CHECK(!st.ok());
    LONGS_EQUAL(EBADMSG, st.error().code);
    CHECK(!store->has_blob(d));
}

TEST(StoreIngest, AnotherExpectedSizeStartsOver) {
    std::string data = pattern_bytes(1000, 7);
    Digest d = sha256_of(data);
    {
        Ingest in = begin(d, 2000);
        CHECK(in.write(data.data(), 500).ok());
    }
    Ingest in = begin(d, 1000);
    LONGS_EQUAL(0, in.offset());
    LONGS_EQUAL(0, read_path(ingest_dir(d) + "/data").size());
    CHECK(in.write(data.data(), data.size()).ok());
    CHECK(in.commit().ok());
}

TEST(StoreIngest, MoreDataThanTheSizeStartsOver) {
    std::string data = pattern_bytes(1000, 8);
    Digest d = sha256_of(data);
    { Ingest in = begin(d, 1000); }
    write_path(ingest_dir(d) + "/data", pattern_bytes(1001, 9));
    Ingest in = begin(d, 1000);
    LONGS_EQUAL(0, in.offset());
    CHECK(in.write(data.data(), data.size()).ok());
    CHECK(in.commit().ok());
    CHECK(read_path(blob_path(d)) == data);
}

TEST(StoreIngest, UnreadableSizeFileStartsOver) {
    std::string data = pattern_bytes(1000, 10);
    Digest d = sha256_of(data);
    {
        Ingest in = begin(d, 1000);
        CHECK(in.write(data.data(), 400).ok());
    }
    write_path(ingest_dir(d) + "/size", "");  // torn by a power cut
    Ingest in = begin(d, 1000);
    LONGS_EQUAL(0, in.offset());
}

TEST(StoreIngest, Restart) {
    std::string data = pattern_bytes(2 * chunk, 11);
    Digest d = sha256_of(data);
    Ingest in = begin(d, static_cast<int64_t>(data.size()));
    std::string wrong = pattern_bytes(chunk, 12);
    CHECK(in.write(wrong.data(), wrong.size()).ok());
    CHECK(in.restart().ok());
    LONGS_EQUAL(0, in.offset());
    LONGS_EQUAL(0, read_path(ingest_dir(d) + "/data").size());
    CHECK(write_range(in, data, 0, data.size()));
    CHECK(in.commit().ok());
    CHECK(read_path(blob_path(d)) == data);
}

TEST(StoreIngest, AlreadyStoredBlobNeedsNoIngest) {
    std::string data = pattern_bytes(1000, 13);
    Digest d = sha256_of(data);
    {
        Ingest in = begin(d, 1000);
        CHECK(in.write(data.data(), data.size()).ok());
        CHECK(in.commit().ok());
    }
    auto again = store->begin_ingest(d, 1000);
    CHECK(again.ok());
    CHECK(!again->has_value());
    std::string small = "put directly";
    CHECK(store->put_blob(sha256_of(small), small).ok());
    auto put = store->begin_ingest(sha256_of(small), static_cast<int64_t>(small.size()));
    CHECK(put.ok() && !put->has_value());
    LONGS_EQUAL(0, dir_entries(root + "/ingest").size());
}

TEST(StoreIngest, SecondWriterInOneProcessIsRefused) {
    std::string data = "one writer at a time";
    Digest d = sha256_of(data);
    Ingest in = begin(d, static_cast<int64_t>(data.size()));
    auto other = store->begin_ingest(d, static_cast<int64_t>(data.size()));
    CHECK(!other.ok());
    LONGS_EQUAL(EBUSY, other.error().code);
    CHECK(in.write(data.data(), data.size()).ok());
    CHECK(in.commit().ok());
}

TEST(StoreIngest, InvalidSizeIsRefused) {
    Digest d = sha256_of("x");
    auto r = store->begin_ingest(d, -1);
    CHECK(!r.ok());
    LONGS_EQUAL(EINVAL, r.error().code);
    r = store->begin_ingest(d, max_descriptor_size + 1);
    CHECK(!r.ok());
}

// Two processes, the second arriving while the first holds the ingest: it waits, then finds the
// blob committed and needs nothing.
TEST(StoreIngest, SecondProcessWaitsAndFindsTheBlob) {
    std::string data = pattern_bytes(4 * chunk, 14);
    Digest d = sha256_of(data);
    LockRace r = race_for_lock(
        [&](const std::function<void()>& hold) {
            auto s = Store::open(root, false);
            if (!s) return 1;
            auto in = s->begin_ingest(d, static_cast<int64_t>(data.size()));
            if (!in || !in->has_value()) return 2;
            hold();
            if (!write_range(**in, data, 0, data.size())) return 4;
            return (*in)->commit().ok() ? 0 : 5;
        },
        [&] { return ingest_whole(root, data); });
    CHECK(r.second_waited);  // blocked on the ingest lock
    LONGS_EQUAL(0, r.first);
    LONGS_EQUAL(10, r.second);
    LONGS_EQUAL(1, dir_entries(root + "/store/blobs/sha256").size());
    CHECK(read_path(blob_path(d)) == data);
    LONGS_EQUAL(0, dir_entries(root + "/ingest").size());
}

// The first writer dies half-way; the waiting one resumes its bytes.
TEST(StoreIngest, SecondProcessResumesWhatTheFirstLeft) {
    std::string data = pattern_bytes(4 * chunk + 3, 15);
    Digest d = sha256_of(data);
    size_t half = 2 * chunk + 1;
    int b_offset[2];
    CHECK(pipe2(b_offset, O_CLOEXEC) == 0);
    LockRace r = race_for_lock(
        [&](const std::function<void()>& hold) {
            auto s = Store::open(root, false);
            if (!s) return 1;
            auto in = s->begin_ingest(d, static_cast<int64_t>(data.size()));
            if (!in || !in->has_value() || !write_range(**in, data, 0, half)) return 2;
            hold();
            _exit(0);  // no commit, no destructors: as if killed
        },
        [&] {
            auto s = Store::open(root, false);
            if (!s) return 1;
            auto in = s->begin_ingest(d, static_cast<int64_t>(data.size()));
            if (!in || !in->has_value()) return 2;
            int64_t off = (*in)->offset();
            (void)!write(b_offset[1], &off, sizeof off);
            if (!write_range(**in, data, static_cast<size_t>(off), data.size())) return 3;
            return (*in)->commit().ok() ? 0 : 4;
        });
    CHECK(r.second_waited);
    LONGS_EQUAL(0, r.first);
    LONGS_EQUAL(0, r.second);
    int64_t off = -1;
    LONGS_EQUAL(sizeof off, read(b_offset[0], &off, sizeof off));
    LONGS_EQUAL(half, off);
    for (int fd : b_offset) close(fd);
    CHECK(read_path(blob_path(d)) == data);
    LONGS_EQUAL(0, dir_entries(root + "/ingest").size());
}

// Several processes race for the same blob: exactly one commits, the others find it stored, and
// the blob is whole.
TEST(StoreIngest, RacingWritersStoreOneBlob) {
    std::string data = pattern_bytes(16 * chunk, 16);
    Digest d = sha256_of(data);
    constexpr int n = 4;
    pid_t pids[n];
    for (int i = 0; i < n; ++i) {
        pids[i] = fork();
        if (pids[i] == 0) _exit(ingest_whole(root, data));
    }
    int committed = 0, found = 0;
    for (pid_t pid : pids) {
        int status = 0;
        waitpid(pid, &status, 0);
        int code = exit_code(status);
        CHECK_TEXT(code == 0 || code == 10, strf("writer exited with %d", code).c_str());
        committed += code == 0;
        found += code == 10;
    }
    LONGS_EQUAL(1, committed);
    LONGS_EQUAL(n - 1, found);
    LONGS_EQUAL(1, dir_entries(root + "/store/blobs/sha256").size());
    CHECK(read_path(blob_path(d)) == data);
    LONGS_EQUAL(0, dir_entries(root + "/ingest").size());
}
