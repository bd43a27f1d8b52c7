// A scratch directory for one test: made with mkdtemp under /tmp, removed with everything in it
// when the object goes. Shared by the store, image and configuration fixtures.
#pragma once

#include <fcntl.h>
#include <stdlib.h>

#include <string>

#include "base/fs.hpp"

namespace ocipod::test {

class TempDir {
public:
    // tag names the tests in the directory name, so a leftover says whose it is.
    explicit TempDir(const std::string& tag = "store") {
        std::string tmpl = "/tmp/oci-pod-" + tag + "-test-XXXXXX";
        if (mkdtemp(tmpl.data())) path_ = tmpl;
    }
    ~TempDir() {
        if (!path_.empty()) (void)remove_tree(AT_FDCWD, path_);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    const std::string& path() const { return path_; }
    std::string operator/(const std::string& rel) const { return path_ + "/" + rel; }

private:
    std::string path_;
};

}  // namespace ocipod::test
