// Helpers for the configuration tests (registries.conf, auth files, certs.d): a scratch directory
// (a TempDir) with files written into it, and environment variables set for one test only.
#pragma once

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <optional>
#include <string>
#include <vector>

#include "base/fs.hpp"
#include "temp_dir.hpp"

namespace ocipod::conftest {

// A TempDir that writes files and directories into itself.
class ScratchDir : public test::TempDir {
public:
    ScratchDir() : TempDir("conf") {}

    // Write rel (creating parent directories); returns the full path.
    std::string write(const std::string& rel, const std::string& content, mode_t mode = 0644) {
        size_t slash = rel.rfind('/');
        if (slash != std::string::npos) mkdirs(rel.substr(0, slash));
        std::string full = *this / rel;
        int fd = open(full.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
        if (fd >= 0) {
            (void)write_all(fd, content);
            fchmod(fd, mode);
            close(fd);
        }
        return full;
    }

    std::string mkdirs(const std::string& rel) {
        std::string cur = path();
        for (const std::string& part : split(rel, '/')) {
            if (part.empty()) continue;
            cur += "/" + part;
            mkdir(cur.c_str(), 0755);
        }
        return cur;
    }
};

// Sets (or with nullptr unsets) an environment variable until the end of the scope.
class ScopedEnv {
public:
    ScopedEnv(const char* name, const char* value) : name_(name) {
        if (const char* old = getenv(name)) old_ = old;
        if (value)
            setenv(name, value, 1);
        else
            unsetenv(name);
    }
    ScopedEnv(const char* name, const std::string& value) : ScopedEnv(name, value.c_str()) {}
    ~ScopedEnv() {
        if (old_)
            setenv(name_.c_str(), old_->c_str(), 1);
        else
            unsetenv(name_.c_str());
    }
    ScopedEnv(const ScopedEnv&) = delete;
    ScopedEnv& operator=(const ScopedEnv&) = delete;

private:
    std::string name_;
    std::optional<std::string> old_;
};

}  // namespace ocipod::conftest
