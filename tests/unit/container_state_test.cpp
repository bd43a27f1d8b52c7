// A container's state on disk: the runtime-spec state JSON, state.json committed whole, liveness
// of the recorded init checked against its start time (a reused pid reads as stopped), and the
// container ID rules.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

#include "base/fs.hpp"
#include "c/json.hpp"
#include "run/container_state.hpp"
#include "run/exe_seal.hpp"
#include "temp_dir.hpp"

// Last: CppUTest redefines new, which the standard headers above must not see.
#include <CppUTest/TestHarness.h>

using namespace ocipod;
using namespace ocipod::test;

namespace {

StoredState sample_state() {
    StoredState s;
    s.state.oci_version = "1.0.2";
    s.state.id = "web-1";
    s.state.status = "created";
    s.state.pid = 4242;
    s.state.bundle = "/var/lib/b";
    s.state.annotations = {{"org.opencontainers.image.stopSignal", "SIGINT"}};
    s.state.created = "2026-11-27T14:45:59.000000001Z";
    s.state.machine = "web-1";
    s.state.unit = "machine-web\\x2d1.scope";
    s.init_start_time = 987654321;
    return s;
}

// A child that exits at once, reaped: its pid no longer names a process.
pid_t reaped_pid() {
    pid_t pid = fork();
    if (pid == 0) _exit(0);
    int st;
    waitpid(pid, &st, 0);
    return pid;
}

}  // namespace

TEST_GROUP(ContainerState){};

TEST(ContainerState, PublicJsonHasTheRuntimeSpecFields) {
    StoredState s = sample_state();
    auto doc = json_parse(container_state_json(s.state), "state");
    CHECK_TRUE(doc.ok());
    const json_t* j = doc->get();
    STRCMP_EQUAL("1.0.2", json_string_value(json_object_get(j, "ociVersion")));
    STRCMP_EQUAL("web-1", json_string_value(json_object_get(j, "id")));
    STRCMP_EQUAL("created", json_string_value(json_object_get(j, "status")));
    LONGS_EQUAL(4242, json_integer_value(json_object_get(j, "pid")));
    STRCMP_EQUAL("/var/lib/b", json_string_value(json_object_get(j, "bundle")));
    STRCMP_EQUAL("SIGINT",
                 json_string_value(json_object_get(json_object_get(j, "annotations"),
                                                   "org.opencontainers.image.stopSignal")));
    STRCMP_EQUAL("web-1", json_string_value(json_object_get(j, "machine")));
    // The runner's own bookkeeping stays out of what `state` prints.
    POINTERS_EQUAL(nullptr, json_object_get(j, "initStartTime"));
}

TEST(ContainerState, StoppedStateHasNoPid) {
    StoredState s = sample_state();
    s.state.status = "stopped";
    auto doc = json_parse(container_state_json(s.state), "state");
    CHECK_TRUE(doc.ok());
    POINTERS_EQUAL(nullptr, json_object_get(doc->get(), "pid"));
}

TEST(ContainerState, StoredJsonRoundTrips) {
    StoredState s = sample_state();
    auto back = parse_stored_state(stored_state_json(s));
    CHECK_TRUE(back.ok());
    STRCMP_EQUAL(s.state.id.c_str(), back->state.id.c_str());
    STRCMP_EQUAL(s.state.status.c_str(), back->state.status.c_str());
    LONGS_EQUAL(s.state.pid, back->state.pid);
    STRCMP_EQUAL(s.state.bundle.c_str(), back->state.bundle.c_str());
    STRCMP_EQUAL(s.state.created.c_str(), back->state.created.c_str());
    STRCMP_EQUAL(s.state.unit.c_str(), back->state.unit.c_str());
    CHECK_TRUE(s.state.annotations == back->state.annotations);
    CHECK_EQUAL(s.init_start_time, back->init_start_time);
}

TEST(ContainerState, StoredJsonWithoutStartTimeIsRefused) {
    auto r = parse_stored_state(
        R"({"ociVersion":"1.0.2","id":"a","status":"created","pid":1,"bundle":"/b"})");
    CHECK_FALSE(r.ok());
    CHECK_TRUE(r.error().message.find("initStartTime") != std::string::npos);
}

TEST(ContainerState, ValidIds) {
    CHECK_TRUE(is_valid_container_id("a"));
    CHECK_TRUE(is_valid_container_id("web_1.test-2"));
    CHECK_TRUE(is_valid_container_id(std::string(64, 'x')));
    CHECK_FALSE(is_valid_container_id(""));
    CHECK_FALSE(is_valid_container_id(std::string(65, 'x')));
    CHECK_FALSE(is_valid_container_id("."));
    CHECK_FALSE(is_valid_container_id(".."));
    CHECK_FALSE(is_valid_container_id(".hidden"));
    CHECK_FALSE(is_valid_container_id("a/b"));
    CHECK_FALSE(is_valid_container_id("a b"));
    CHECK_FALSE(is_valid_container_id("ä"));
}

TEST(ContainerState, OwnStartTimeMatches) {
    auto start = process_start_time(getpid());
    CHECK_TRUE(start.ok());
    CHECK_TRUE(*start > 0);
    CHECK_TRUE(process_matches(getpid(), *start));
    CHECK_FALSE(process_matches(getpid(), *start + 1));
}

TEST(ContainerState, ReusedPidReadsAsStopped) {
    StoredState s = sample_state();
    s.state.status = "running";
    s.state.pid = getpid();
    s.init_start_time = process_start_time(getpid()).value();
    STRCMP_EQUAL("running", effective_status(s).c_str());
    // Same pid, another start time: the pid now names a different process.
    s.init_start_time += 1;
    STRCMP_EQUAL("stopped", effective_status(s).c_str());
}

TEST(ContainerState, GoneOrZombieProcessReadsAsStopped) {
    StoredState s = sample_state();
    s.state.pid = reaped_pid();
    s.init_start_time = 1;
    STRCMP_EQUAL("stopped", effective_status(s).c_str());
    CHECK_EQUAL(ENOENT, process_start_time(s.state.pid).error().code);

    pid_t zombie = fork();
    if (zombie == 0) _exit(0);
    // Wait until it has exited without reaping it.
    siginfo_t info{};
    waitid(P_PID, id_t(zombie), &info, WEXITED | WNOWAIT);
    auto start = process_start_time(zombie);
    CHECK_FALSE(start.ok());
    int st;
    waitpid(zombie, &st, 0);
}

TEST(ContainerState, CreateCommitLoadRemove) {
    TempDir tmp("state");
    std::string root = tmp / "run/oci-pod";  // parents made too
    auto dir = StateDir::create(root, "pod1");
    CHECK_TRUE(dir.ok());
    struct stat st {};
    CHECK_EQUAL(0, stat((root + "/pod1").c_str(), &st));
    LONGS_EQUAL(0700, st.st_mode & 07777);
    CHECK_EQUAL(0, stat(root.c_str(), &st));
    LONGS_EQUAL(0700, st.st_mode & 07777);

    StoredState s = sample_state();
    s.state.id = "pod1";
    CHECK_TRUE(dir->commit(s).ok());
    auto loaded = dir->load();
    CHECK_TRUE(loaded.ok());
    STRCMP_EQUAL("pod1", loaded->state.id.c_str());
    // No temp file is left beside state.json.
    auto files = list_regular_files(dir->fd(), "state dir");
    CHECK_TRUE(files.ok());
    LONGS_EQUAL(1, files->size());
    STRCMP_EQUAL("state.json", (*files)[0].c_str());

    CHECK_TRUE(dir->remove().ok());
    CHECK_EQUAL(-1, stat((root + "/pod1").c_str(), &st));
}

TEST(ContainerState, DuplicateIdIsRefused) {
    TempDir tmp("state");
    auto first = StateDir::create(tmp.path(), "pod1");
    CHECK_TRUE(first.ok());
    auto second = StateDir::create(tmp.path(), "pod1");
    CHECK_FALSE(second.ok());
    LONGS_EQUAL(EEXIST, second.error().code);
    CHECK_TRUE(second.error().message.find("'pod1' already exists") != std::string::npos);
}

TEST(ContainerState, BadIdAndMissingContainerAreErrors) {
    TempDir tmp("state");
    auto bad = StateDir::create(tmp.path(), "../escape");
    CHECK_FALSE(bad.ok());
    LONGS_EQUAL(EINVAL, bad.error().code);
    auto missing = StateDir::open(tmp.path(), "nope");
    CHECK_FALSE(missing.ok());
    LONGS_EQUAL(ENOENT, missing.error().code);
    CHECK_TRUE(missing.error().message.find("'nope' does not exist") != std::string::npos);
}

TEST(ContainerState, OpenWaitsForTheLockHolder) {
    TempDir tmp("state");
    auto dir = StateDir::create(tmp.path(), "pod1");
    CHECK_TRUE(dir.ok());
    // A child trying to open it blocks while we hold the lock: it reports through a pipe only
    // after its open returned, which happens after we removed the directory.
    int p[2];
    CHECK_EQUAL(0, pipe(p));
    pid_t pid = fork();
    if (pid == 0) {
        // The child inherits the parent's fd of the locked directory, and with it the lock (flock
        // belongs to the open file description): keep only the pipe, or the parent's removal
        // would never release the lock this child then waits for.
        if (dup2(p[1], 3) < 0) _exit(1);
        close_fds_from(4);
        auto other = StateDir::open(tmp.path(), "pod1");
        char c = other.ok() ? 'o' : (other.error().code == ENOENT ? 'n' : 'e');
        (void)!write(3, &c, 1);
        _exit(0);
    }
    close(p[1]);
    // Give the child time to block on the lock is not needed for correctness: whether it opens
    // before or after the removal, it must not see a live container once we are done.
    CHECK_TRUE(dir->remove().ok());
    char c = 0;
    CHECK_EQUAL(1, read(p[0], &c, 1));
    close(p[0]);
    int st;
    waitpid(pid, &st, 0);
    CHECK_EQUAL('n', c);
}

TEST(ContainerState, Rfc3339Now) {
    std::string t = rfc3339_now();
    LONGS_EQUAL(30, t.size());
    CHECK_EQUAL('T', t[10]);
    CHECK_EQUAL('Z', t.back());
}
