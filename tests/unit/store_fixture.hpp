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
