// The cgroup file system as the runner uses it: which cgroups this process is in
// (/proc/self/cgroup, cgroups(7)), and writing one control file of a cgroup directory.
#pragma once

#include <string>
#include <vector>

#include "base/result.hpp"

namespace ocipod {

// One line of /proc/self/cgroup, "ID:CONTROLLERS:PATH": controllers are "" on the cgroup v2 line
// ("0::/x"), "name=systemd" for systemd's named hierarchy, "cpu,cpuacct" for co-mounted ones.
struct CgroupMembership {
    std::string controllers;
    std::string path;  // relative to the cgroup namespace's root
};

// EPROTO for a line not of that form.
Result<std::vector<CgroupMembership>> read_own_cgroups();

// Write text to the control file name ("cgroup.procs", "devices.allow") of the cgroup directory
// dir_fd, in one write(2): the kernel takes a control file's value per write.
Status write_cgroup_file(int dir_fd, const char* name, const std::string& text);

}  // namespace ocipod
