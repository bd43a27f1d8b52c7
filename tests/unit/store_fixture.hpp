// Helpers for the store tests: the groups' common setup (a fresh directory per test, with or
// without a store open in it), deterministic content, forked children and small OCI documents.
#pragma once

#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <functional>
#include <string>
#include <vector>

#include "base/fs.hpp"
#include "oci/descriptor.hpp"
#include "oci/digest.hpp"
#include "oci/media_types.hpp"
#include "store/store.hpp"
#include "temp_dir.hpp"

// Only the test and assertion macros: the leak-detecting `new` of TestHarness.h must not meet
// the standard headers of the files that include this one.
#include <CppUTest/Utest.h>
#include <CppUTest/UtestMacros.h>

namespace ocipod::test {

// n bytes that differ with the seed and do not repeat within a chunk.
inline std::string pattern_bytes(size_t n, unsigned seed) {
    std::string s(n, '\0');
    uint32_t x = seed * 2654435761u + 12345u;
    for (size_t i = 0; i < n; ++i) {
        x = x * 1103515245u + 12345u;
        s[i] = static_cast<char>(x >> 16);
    }
    return s;
}

inline Digest sha256_of(std::string_view data) {
    return Digest::of(HashAlg::sha256, data);
}

inline Descriptor descriptor_of(std::string_view media_type, std::string_view data) {
    Descriptor d;
    d.media_type = std::string(media_type);
    d.digest = sha256_of(data);
    d.size = static_cast<int64_t>(data.size());
    return d;
}

inline std::string descriptor_json(const Descriptor& d) {
    return strf(R"({"mediaType":"%s","digest":"%s","size":%lld})", d.media_type.c_str(),
                d.digest.str().c_str(), static_cast<long long>(d.size));
}

inline std::string manifest_json(const Descriptor& config, const std::vector<Descriptor>& layers) {
    std::string s =
        R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",)";
    s += R"("config":)" + descriptor_json(config) + R"(,"layers":[)";
    for (size_t i = 0; i < layers.size(); ++i) s += (i ? "," : "") + descriptor_json(layers[i]);
    return s + "]}";
}

inline std::string index_json_doc(const std::vector<Descriptor>& manifests) {
    std::string s = R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json",)";
    s += R"("manifests":[)";
    for (size_t i = 0; i < manifests.size(); ++i)
        s += (i ? "," : "") + descriptor_json(manifests[i]);
    return s + "]}";
}

// Run fn in a forked child that exits with its return value; returns the wait status.
inline int run_child(const std::function<int()>& fn) {
    pid_t pid = fork();
    if (pid == 0) _exit(fn());
    int status = -1;
    if (pid > 0) waitpid(pid, &status, 0);
    return status;
}

inline std::vector<std::string> dir_entries(const std::string& path) {
    std::vector<std::string> out;
    if (DIR* d = opendir(path.c_str())) {
        while (struct dirent* de = readdir(d)) {
            std::string n = de->d_name;
            if (n != "." && n != "..") out.push_back(n);
        }
        closedir(d);
    }
    return out;
}

inline bool path_exists(const std::string& path) {
    struct stat st;
    return lstat(path.c_str(), &st) == 0;
}

inline std::string read_path(const std::string& path) {
    auto r = read_file_capped(AT_FDCWD, path, 64 << 20);
    return r ? *r : std::string("<unreadable>");
}

inline void write_path(const std::string& path, std::string_view data, mode_t mode = 0644) {
    int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    CHECK_TEXT(fd >= 0, path.c_str());
    CHECK_TEXT(write_all(fd, data).ok(), path.c_str());
    close(fd);
}

// The pid of a process that has exited (and been reaped): no one can own its temp files.
inline pid_t dead_pid() {
    pid_t pid = fork();
    if (pid == 0) _exit(0);
    waitpid(pid, nullptr, 0);
    return pid;
}

inline int exit_code(int status) {
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// Two processes meeting on one per-object lock (an ingest, a layer). `first` runs in a child:
// it takes the lock, then calls hold(), which returns once the parent has seen a second child,
// running `second`, stay blocked for a while. Both return their exit status.
struct LockRace {
    int first = -1;
    int second = -1;
    bool second_waited = false;  // the second child had not exited while the first held the lock
};

inline LockRace race_for_lock(const std::function<int(const std::function<void()>& hold)>& first,
                              const std::function<int()>& second) {
    int ready[2], go[2];
    LockRace r;
    if (pipe2(ready, O_CLOEXEC) != 0 || pipe2(go, O_CLOEXEC) != 0) return r;
    pid_t a = fork();
    if (a == 0) {
        _exit(first([&] {
            char c;
            (void)!write(ready[1], "r", 1);
            (void)!read(go[0], &c, 1);
        }));
    }
    // With our copy of the write end closed, a first child that dies before hold() ends the read.
    close(ready[1]);
    char c = 0;
    bool held = read(ready[0], &c, 1) == 1;
    pid_t b = held ? fork() : -1;
    if (b == 0) _exit(second());
    if (b > 0) {
        usleep(300 * 1000);
        r.second_waited = waitpid(b, nullptr, WNOHANG) == 0;
    }
    (void)!write(go[1], "g", 1);
    int sa = 0, sb = 0;
    waitpid(a, &sa, 0);
    if (b > 0) waitpid(b, &sb, 0);
    for (int fd : {ready[0], go[0], go[1]}) close(fd);
    r.first = exit_code(sa);
    r.second = b > 0 ? exit_code(sb) : -1;
    return r;
}

// Base of a store test group (TEST_GROUP_BASE): a fresh directory per test and ROOT, the path of
// a store not created yet.
struct StoreDirTest : Utest {
    TempDir* dir = nullptr;
    std::string root;
    void setup() override {
        dir = new TempDir();
        root = *dir / "root";
    }
    void teardown() override { delete dir; }
    std::string blob_path(const Digest& d) const {
        return root + "/store/blobs/" + d.alg_name() + "/" + d.hex();
    }
};

// The same with the store created and open at ROOT.
struct OpenStoreTest : StoreDirTest {
    Store* store = nullptr;
    void setup() override {
        StoreDirTest::setup();
        auto s = Store::open(root, true);
        CHECK(s.ok());
        store = new Store(s.take());
    }
    void teardown() override {
        delete store;
        StoreDirTest::teardown();
    }
};

}  // namespace ocipod::test
