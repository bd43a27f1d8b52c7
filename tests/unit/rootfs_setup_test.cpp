// prepare_rootfs / open_pod_console / enter_rootfs, run for real: each case builds a tiny rootfs
// (busybox and a few directories) in a scratch bundle, and a forked child in a new mount (and
// cgroup) namespace builds the pod's root from a spec made in code, pivots into it and reports
// what it sees over a pipe. The hostile cases come from THREATS §2.3 and §2.5: a symlink in the
// image must neither redirect a mount out of the root nor get anything created on the host, and
// a fake /dev/null must not turn a mask into a window on a procfs file. Root only.
#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <functional>
#include <string>
#include <vector>

#include "base/fs.hpp"
#include "forked_child.hpp"
#include "run/rootfs_setup.hpp"
#include "temp_dir.hpp"

// Last: CppUTest redefines new, which the standard headers above must not see.
#include <CppUTest/TestHarness.h>

using namespace ocipod;
using ocipod::test::ChildResult;
using ocipod::test::run_in_child;
using ocipod::test::TempDir;

namespace {

bool skip_unless_root() {
    return test::skip_unless_root("rootfs setup (mounts, mknod, pivot_root)");
}

SpecMount spec_mount(const char* dest, const char* type, const char* source,
                     std::vector<std::string> options) {
    SpecMount m;
    m.destination = dest;
    m.type = type;
    m.source = source;
    m.options = std::move(options);
    return m;
}

// The mounts oci-pod-render writes (render/runtime_defaults.cpp) without the cgroup one.
RuntimeSpec pod_spec() {
    RuntimeSpec spec;
    spec.root_path = "rootfs";
    spec.mounts = {
        spec_mount("/proc", "proc", "proc", {"nosuid", "noexec", "nodev"}),
        spec_mount("/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"}),
        spec_mount("/dev/pts", "devpts", "devpts",
                   {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}),
        spec_mount("/dev/shm", "tmpfs", "shm",
                   {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}),
        spec_mount("/dev/mqueue", "mqueue", "mqueue", {"nosuid", "noexec", "nodev"}),
        spec_mount("/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev", "ro"}),
    };
    spec.linux_config.masked_paths = {"/proc/kcore",     "/proc/keys",    "/proc/timer_list",
                                      "/proc/acpi",      "/sys/firmware", "/etc/secret",
                                      "/etc/secret.txt", "/no/such/path"};
    spec.linux_config.readonly_paths = {
        "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger", "/no/such/dir"};
    return spec;
}

void must(bool ok, const char* what) {
    if (!ok) FAIL(what);
}

void write_text(const std::string& path, const std::string& text) {
    int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    must(fd >= 0, "creating a fixture file");
    must(write_all(fd, text).ok(), "writing a fixture file");
    close(fd);
}

// bundle/rootfs with bin/busybox, the usual directories, and /etc/secret{,.txt} to be masked.
void make_rootfs(const TempDir& bundle) {
    std::string root = bundle / "rootfs";
    for (const char* d : {"", "/bin", "/proc", "/sys", "/dev", "/tmp", "/etc", "/etc/secret"})
        must(mkdir((root + d).c_str(), 0755) == 0, "creating a rootfs directory");
    auto busybox = read_file_capped(AT_FDCWD, "/bin/busybox", 16 << 20);
    must(busybox.ok(), "reading /bin/busybox (busybox-static)");
    write_text(root + "/bin/busybox", *busybox);
    must(chmod((root + "/bin/busybox").c_str(), 0755) == 0, "chmod");
    write_text(root + "/etc/secret/key", "secret");
    write_text(root + "/etc/secret.txt", "secret");
}

std::string file_text(const std::string& path) {
    auto r = read_file_capped(AT_FDCWD, path, 1 << 20);
    return r ? *r : "";
}

// The mount points of this process's mount namespace, one per line.
std::string mount_points() {
    std::string out;
    for (const std::string& line : split(file_text("/proc/self/mountinfo"), '\n')) {
        std::vector<std::string> f = split(line, ' ');
        if (f.size() > 5) out += f[4] + "\n";
    }
    return out;
}

bool has_line(const std::string& text, const std::string& line) {
    for (const std::string& l : split(text, '\n'))
        if (l == line) return true;
    return false;
}

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

// What the child saw from enter_rootfs's after_pivot step.
std::string after_pivot_seen;

// What the pod sees of itself, one "key value" line each.
std::string observe_pod() {
    std::string out = after_pivot_seen;
    for (const std::string& line : split(file_text("/proc/self/mountinfo"), '\n')) {
        std::vector<std::string> f = split(line, ' ');
        size_t dash = 6;
        while (dash < f.size() && f[dash] != "-") dash++;
        if (dash + 1 < f.size()) out += "mount " + f[4] + " " + f[dash + 1] + " " + f[5] + "\n";
    }
    for (const char* name : {"null", "zero", "full", "random", "urandom", "tty", "console"}) {
        struct stat st;
        std::string path = std::string("/dev/") + name;
        if (lstat(path.c_str(), &st) < 0) continue;
        out += strf("dev %s %c %u:%u %o\n", name, S_ISCHR(st.st_mode) ? 'c' : '?',
                    major(st.st_rdev), minor(st.st_rdev), st.st_mode & 07777);
    }
    for (const char* name : {"fd", "stdin", "stdout", "stderr", "ptmx", "core"}) {
        char target[256];
        ssize_t n = readlink((std::string("/dev/") + name).c_str(), target, sizeof target - 1);
        if (n > 0) out += strf("link %s %.*s\n", name, static_cast<int>(n), target);
    }
    int fd = open("/proc/sys/kernel/core_pattern", O_WRONLY | O_CLOEXEC);
    out += strf("core_pattern_write %d\n", fd < 0 ? errno : 0);
    if (fd >= 0) close(fd);
    struct stat st;
    if (lstat("/proc/keys", &st) == 0)
        out += strf("keys %c %u:%u\n", S_ISCHR(st.st_mode) ? 'c' : 'f', major(st.st_rdev),
                    minor(st.st_rdev));
    int entries = -1;
    if (DIR* d = opendir("/etc/secret")) {
        entries = 0;
        while (struct dirent* e = readdir(d))
            if (std::string(e->d_name) != "." && std::string(e->d_name) != "..") entries++;
        closedir(d);
    }
    out += strf("secret_dir %d\n", entries);
    out += strf("secret_file %zu\n", file_text("/etc/secret.txt").size());
    out += strf("busybox %s\n", access("/bin/busybox", X_OK) == 0 ? "yes" : "no");
    int tmp = open("/tmp/written", O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
    out += strf("tmp_write %d\n", tmp < 0 ? errno : 0);
    if (tmp >= 0) close(tmp);
    return out;
}

struct PodRun {
    bool ok = false;
    std::string text;  // the observations, or the error message
};

// Fork a child in new mount and cgroup namespaces that builds the pod's root and enters it,
// then reports observe() (or "error: MESSAGE") back.
PodRun run_pod(const TempDir& bundle, const RuntimeSpec& spec, bool console = false,
               const std::function<std::string()>& observe = observe_pod) {
    ChildResult child = run_in_child([&]() -> std::string {
        if (unshare(CLONE_NEWNS | CLONE_NEWCGROUP) < 0)
            return "error: " + errno_error("unshare").message;
        auto rootfs = prepare_rootfs(spec, bundle.path());
        if (!rootfs) return "error: " + rootfs.error().message;
        if (console) {
            auto c = open_pod_console(*rootfs);
            if (!c) return "error: " + c.error().message;
        }
        // Between pivot_root and the read-only paths, /proc/sys is still writable (sysctls).
        auto entered = enter_rootfs(spec, *rootfs, [&]() -> Status {
            int fd = open("/proc/sys/kernel/core_pattern", O_WRONLY | O_CLOEXEC);
            after_pivot_seen = strf("after_pivot %d busybox %d\n", fd < 0 ? errno : 0,
                                    access("/bin/busybox", F_OK));
            if (fd >= 0) close(fd);
            return {};
        });
        if (!entered) return "error: " + entered.error().message;
        return observe();
    });
    PodRun run;
    run.text = std::move(child.report);
    run.ok = WIFEXITED(child.status) && WEXITSTATUS(child.status) == 0 &&
             !starts_with(run.text, "error: ");
    return run;
}

void check_host_untouched(const TempDir& bundle, const std::string& host_mounts_before) {
    std::string after = mount_points();
    CHECK_FALSE(contains(after, bundle.path()));
    CHECK_EQUAL(host_mounts_before, after);
}

}  // namespace

TEST_GROUP(RootfsSetup){};

TEST(RootfsSetup, DefaultSpecBuildsThePod) {
    if (skip_unless_root()) return;
    TempDir bundle("rootfs-setup");
    make_rootfs(bundle);
    std::string host_mounts = mount_points();
    PodRun pod = run_pod(bundle, pod_spec());
    CHECK_TRUE_TEXT(pod.ok, pod.text.c_str());
    const std::string& t = pod.text;
    CHECK_TRUE(has_line(t, "busybox yes"));
    CHECK_TRUE(has_line(t, "after_pivot 0 busybox 0"));
    CHECK_TRUE(contains(t, "mount /proc proc rw,nosuid,nodev,noexec"));
    CHECK_TRUE(contains(t, "mount /dev tmpfs rw,nosuid\n"));
    CHECK_TRUE(contains(t, "mount /dev/pts devpts rw,nosuid,noexec"));
    CHECK_TRUE(contains(t, "mount /dev/shm tmpfs rw,nosuid,nodev,noexec"));
    CHECK_TRUE(contains(t, "mount /dev/mqueue mqueue rw,nosuid,nodev,noexec"));
    CHECK_TRUE(contains(t, "mount /sys sysfs ro,nosuid,nodev,noexec"));
    CHECK_TRUE(contains(t, "mount /proc/sys proc ro,"));
    CHECK_TRUE(contains(t, "mount /proc/keys "));
    CHECK_FALSE(contains(t, "/no/such"));
    // No host mount is visible in the pod.
    CHECK_FALSE(contains(t, "mount /sys/fs/cgroup/memory"));
    CHECK_FALSE(contains(t, bundle.path()));
    for (const char* dev : {"null c 1:3 666", "zero c 1:5 666", "full c 1:7 666",
                            "random c 1:8 666", "urandom c 1:9 666", "tty c 5:0 666"})
        CHECK_TRUE_TEXT(has_line(t, std::string("dev ") + dev), dev);
    CHECK_TRUE(has_line(t, "link fd /proc/self/fd"));
    CHECK_TRUE(has_line(t, "link stdin /proc/self/fd/0"));
    CHECK_TRUE(has_line(t, "link stderr /proc/self/fd/2"));
    CHECK_TRUE(has_line(t, "link ptmx pts/ptmx"));
    CHECK_TRUE(has_line(t, strf("core_pattern_write %d", EROFS)));
    CHECK_TRUE(has_line(t, "keys c 1:3"));
    CHECK_TRUE(has_line(t, "secret_dir 0"));
    CHECK_TRUE(has_line(t, "secret_file 0"));
    CHECK_TRUE(has_line(t, "tmp_write 0"));
    check_host_untouched(bundle, host_mounts);
    // The masked files are still there under the masks.
    CHECK_EQUAL(std::string("secret"), file_text(bundle / "rootfs/etc/secret.txt"));
}

TEST(RootfsSetup, ReadOnlyRootLeavesDevWritable) {
    if (skip_unless_root()) return;
    TempDir bundle("rootfs-setup");
    make_rootfs(bundle);
    RuntimeSpec spec = pod_spec();
    spec.root_readonly = true;
    PodRun pod = run_pod(bundle, spec, false, [] {
        std::string out = observe_pod();
        int fd = open("/dev/shm/x", O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
        out += strf("shm_write %d\n", fd < 0 ? errno : 0);
        if (fd >= 0) close(fd);
        return out;
    });
    CHECK_TRUE_TEXT(pod.ok, pod.text.c_str());
    CHECK_TRUE(has_line(pod.text, strf("tmp_write %d", EROFS)));
    CHECK_TRUE(has_line(pod.text, "shm_write 0"));
    CHECK_TRUE(contains(pod.text, "mount / ext4 ro,") || contains(pod.text, "mount / "));
    CHECK_FALSE(contains(pod.text, "mount / ext4 rw,"));
}

TEST(RootfsSetup, SymlinkToHostRootCannotRedirectAMount) {
    if (skip_unless_root()) return;
    TempDir bundle("rootfs-setup");
    make_rootfs(bundle);
    must(symlink("/", (bundle / "rootfs/mnt").c_str()) == 0, "symlink");
    std::string name = "oci-pod-escape-" + std::to_string(getpid());
    RuntimeSpec spec = pod_spec();
    spec.mounts.push_back(spec_mount(("/mnt/" + name).c_str(), "tmpfs", "tmpfs", {"size=1m"}));
    std::string host_mounts = mount_points();
    PodRun pod = run_pod(bundle, spec);
    CHECK_TRUE_TEXT(pod.ok, pod.text.c_str());
    // Resolved in the root: the tmpfs is at /NAME of the pod, made inside the rootfs.
    CHECK_TRUE(contains(pod.text, "mount /" + name + " tmpfs "));
    struct stat st;
    CHECK_EQUAL(0, stat((bundle / "rootfs/" + name).c_str(), &st));
    CHECK_EQUAL(-1, lstat(("/" + name).c_str(), &st));
    check_host_untouched(bundle, host_mounts);
}

TEST(RootfsSetup, ProcAsSymlinkRefuses) {
    if (skip_unless_root()) return;
    TempDir bundle("rootfs-setup");
    make_rootfs(bundle);
    must(rmdir((bundle / "rootfs/proc").c_str()) == 0, "rmdir");
    must(symlink("/bad-proc", (bundle / "rootfs/proc").c_str()) == 0, "symlink");
    PodRun pod = run_pod(bundle, pod_spec());
    CHECK_FALSE(pod.ok);
    STRCMP_CONTAINS("mounting 'proc' on '/proc'", pod.text.c_str());
    STRCMP_CONTAINS("'/proc' in the rootfs is a symlink, refusing", pod.text.c_str());
}

TEST(RootfsSetup, DestinationInProcRefused) {
    if (skip_unless_root()) return;
    TempDir bundle("rootfs-setup");
    make_rootfs(bundle);
    RuntimeSpec spec = pod_spec();
    spec.mounts.push_back(spec_mount("/proc/sys", "tmpfs", "tmpfs", {}));
    PodRun pod = run_pod(bundle, spec);
    CHECK_FALSE(pod.ok);
    STRCMP_CONTAINS("mounting 'tmpfs' on '/proc/sys'", pod.text.c_str());
    STRCMP_CONTAINS("refusing", pod.text.c_str());

    // Through an image symlink into /proc, the same.
    must(symlink("/proc/sys", (bundle / "rootfs/ps").c_str()) == 0, "symlink");
    spec = pod_spec();
    spec.mounts.push_back(spec_mount("/ps/kernel", "tmpfs", "tmpfs", {}));
    pod = run_pod(bundle, spec);
    CHECK_FALSE(pod.ok);
    STRCMP_CONTAINS("a mount destination in '/proc', refusing", pod.text.c_str());

    // A file bound over one of lxcfs's files is allowed.
    write_text(bundle / "meminfo", "MemTotal: 1 kB\n");
    spec = pod_spec();
    spec.mounts.push_back(spec_mount("/proc/meminfo", "bind", "meminfo", {"bind", "ro"}));
    pod = run_pod(bundle, spec, false, [] { return file_text("/proc/meminfo"); });
    CHECK_TRUE_TEXT(pod.ok, pod.text.c_str());
    CHECK_EQUAL(std::string("MemTotal: 1 kB\n"), pod.text);
}

TEST(RootfsSetup, DevSymlinkToHostDirGetsNothing) {
    if (skip_unless_root()) return;
    TempDir bundle("rootfs-setup");
    TempDir host("rootfs-setup-hostdev");
    make_rootfs(bundle);
    must(rmdir((bundle / "rootfs/dev").c_str()) == 0, "rmdir");
    must(symlink(host.path().c_str(), (bundle / "rootfs/dev").c_str()) == 0, "symlink");
    for (bool spec_has_dev : {true, false}) {
        RuntimeSpec spec = pod_spec();
        if (!spec_has_dev) spec.mounts.erase(spec.mounts.begin() + 1);
        PodRun pod = run_pod(bundle, spec);
        CHECK_FALSE(pod.ok);
        STRCMP_CONTAINS("'/dev' in the rootfs is a symlink, refusing", pod.text.c_str());
        auto names = list_regular_files(open_dir(AT_FDCWD, host.path(), false)->get(), "host");
        CHECK_TRUE(names.ok());
        CHECK_EQUAL(0u, names->size());
        DIR* d = opendir(host.path().c_str());
        int entries = 0;
        while (struct dirent* e = readdir(d))
            if (std::string(e->d_name) != "." && std::string(e->d_name) != "..") entries++;
        closedir(d);
        CHECK_EQUAL(0, entries);
    }
}

TEST(RootfsSetup, FakeDevNullCannotUnmask) {
    if (skip_unless_root()) return;
    TempDir bundle("rootfs-setup");
    make_rootfs(bundle);
    std::string core_pattern = file_text("/proc/sys/kernel/core_pattern");
    // In the image: hidden by the fresh tmpfs /dev.
    must(symlink("/proc/sys/kernel/core_pattern", (bundle / "rootfs/dev/null").c_str()) == 0,
         "symlink");
    RuntimeSpec spec = pod_spec();
    spec.linux_config.readonly_paths.clear();
    PodRun pod = run_pod(bundle, spec);
    CHECK_TRUE_TEXT(pod.ok, pod.text.c_str());
    CHECK_TRUE(has_line(pod.text, "dev null c 1:3 666"));
    CHECK_TRUE_TEXT(has_line(pod.text, "keys c 1:3"), pod.text.c_str());

    // A /dev the spec binds from the bundle, fake null included: the masks must refuse it.
    std::string devdir = bundle / "devdir";
    must(mkdir(devdir.c_str(), 0755) == 0, "mkdir");
    must(symlink("/proc/sys/kernel/core_pattern", (devdir + "/null").c_str()) == 0, "symlink");
    spec.mounts[1] = spec_mount("/dev", "bind", "devdir", {"rbind"});
    pod = run_pod(bundle, spec);
    CHECK_FALSE_TEXT(pod.ok, pod.text.c_str());
    STRCMP_CONTAINS("masking paths", pod.text.c_str());
    STRCMP_CONTAINS("'/dev/null' in the rootfs", pod.text.c_str());
    CHECK_EQUAL(core_pattern, file_text("/proc/sys/kernel/core_pattern"));
}

TEST(RootfsSetup, BindOfAFileCreatesAFileTarget) {
    if (skip_unless_root()) return;
    TempDir bundle("rootfs-setup");
    make_rootfs(bundle);
    write_text(bundle / "hostfile", "hello");
    must(mkdir((bundle / "hostdir").c_str(), 0755) == 0, "mkdir");
    write_text(bundle / "hostdir/inner", "inner");
    RuntimeSpec spec = pod_spec();
    spec.mounts.push_back(spec_mount("/etc/new/file.txt", "bind", "hostfile", {"bind", "ro"}));
    spec.mounts.push_back(
        spec_mount("/srv/data", "", (bundle / "hostdir").c_str(), {"rbind", "nosuid", "rprivate"}));
    PodRun pod = run_pod(bundle, spec, false, [] {
        std::string out = file_text("/etc/new/file.txt") + "|" + file_text("/srv/data/inner");
        int fd = open("/etc/new/file.txt", O_WRONLY | O_CLOEXEC);
        out += strf("|%d", fd < 0 ? errno : 0);
        if (fd >= 0) close(fd);
        return out;
    });
    CHECK_TRUE_TEXT(pod.ok, pod.text.c_str());
    CHECK_EQUAL(strf("hello|inner|%d", EROFS), pod.text);
    struct stat st;
    CHECK_EQUAL(0, lstat((bundle / "rootfs/etc/new/file.txt").c_str(), &st));
    CHECK_TRUE(S_ISREG(st.st_mode));
    CHECK_EQUAL(0, st.st_size);
    CHECK_EQUAL(0, lstat((bundle / "rootfs/srv/data").c_str(), &st));
    CHECK_TRUE(S_ISDIR(st.st_mode));
}

TEST(RootfsSetup, UnknownOptionsRefusedNamingTheDestination) {
    if (skip_unless_root()) return;
    TempDir bundle("rootfs-setup");
    make_rootfs(bundle);
    RuntimeSpec spec = pod_spec();
    spec.mounts.push_back(spec_mount("/mnt", "bind", "/tmp", {"rbind", "frobnicate"}));
    PodRun pod = run_pod(bundle, spec);
    CHECK_FALSE(pod.ok);
    STRCMP_CONTAINS("mounting 'bind' on '/mnt': unknown option 'frobnicate'", pod.text.c_str());

    spec = pod_spec();
    spec.mounts.push_back(spec_mount("/tmp", "tmpfs", "tmpfs", {"size=1m", "frobnicate=2"}));
    pod = run_pod(bundle, spec);
    CHECK_FALSE(pod.ok);
    STRCMP_CONTAINS("mounting 'tmpfs' on '/tmp': option 'frobnicate=2'", pod.text.c_str());
}

TEST(RootfsSetup, DevicesAndConsole) {
    if (skip_unless_root()) return;
    TempDir bundle("rootfs-setup");
    make_rootfs(bundle);
    RuntimeSpec spec = pod_spec();
    SpecDevice fuse;
    fuse.path = "/dev/misc/fuse";
    fuse.major = 10;
    fuse.minor = 229;
    fuse.file_mode = 0600;
    fuse.uid = 7;
    fuse.gid = 8;
    spec.linux_config.devices.push_back(fuse);
    PodRun pod = run_pod(bundle, spec, true, [] {
        std::string out = observe_pod();
        struct stat st;
        if (lstat("/dev/misc/fuse", &st) == 0)
            out += strf("fuse %u:%u %o %u:%u\n", major(st.st_rdev), minor(st.st_rdev),
                        st.st_mode & 07777, st.st_uid, st.st_gid);
        return out;
    });
    CHECK_TRUE_TEXT(pod.ok, pod.text.c_str());
    CHECK_TRUE(has_line(pod.text, "fuse 10:229 600 7:8"));
    CHECK_TRUE(contains(pod.text, "dev console c 136:"));
    CHECK_TRUE(contains(pod.text, "mount /dev/console devpts "));

    spec.linux_config.devices[0].path = "/etc/fuse";
    pod = run_pod(bundle, spec);
    CHECK_FALSE(pod.ok);
    STRCMP_CONTAINS("creating device '/etc/fuse': the device path is not under '/dev'",
                    pod.text.c_str());
}

TEST(RootfsSetup, CgroupMountIsReadOnlyAndPrivate) {
    if (skip_unless_root()) return;
    TempDir bundle("rootfs-setup");
    make_rootfs(bundle);
    RuntimeSpec spec = pod_spec();
    spec.mounts.push_back(spec_mount("/sys/fs/cgroup", "cgroup", "cgroup",
                                     {"nosuid", "noexec", "nodev", "relatime", "ro"}));
    PodRun pod = run_pod(bundle, spec, false, [] {
        std::string out = observe_pod();
        out += strf("mkdir %d\n", mkdir("/sys/fs/cgroup/x", 0755) < 0 ? errno : 0);
        out += "self " + file_text("/proc/self/cgroup");
        return out;
    });
    CHECK_TRUE_TEXT(pod.ok, pod.text.c_str());
    CHECK_TRUE(contains(pod.text, "mount /sys/fs/cgroup tmpfs ro,nosuid,nodev,noexec"));
    CHECK_TRUE(contains(pod.text, "mount /sys/fs/cgroup/memory cgroup ro,"));
    CHECK_TRUE(contains(pod.text, "mount /sys/fs/cgroup/systemd cgroup ro,"));
    CHECK_TRUE(has_line(pod.text, strf("mkdir %d", EROFS)));
}

TEST(RootfsSetup, OverlayWithBundleRelativeDirs) {
    if (skip_unless_root()) return;
    TempDir bundle("rootfs-setup");
    make_rootfs(bundle);
    for (const char* d : {"lower", "upper", "work"})
        must(mkdir((bundle / d).c_str(), 0755) == 0, "mkdir");
    write_text(bundle / "lower/a", "from lower");
    RuntimeSpec spec = pod_spec();
    spec.mounts.push_back(spec_mount("/var/ovl", "overlay", "overlay",
                                     {"lowerdir=lower", "upperdir=upper", "workdir=work"}));
    PodRun pod = run_pod(bundle, spec, false, [] {
        int fd = open("/var/ovl/b", O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
        if (fd >= 0) close(fd);
        return file_text("/var/ovl/a") + strf("|%d", fd < 0 ? errno : 0);
    });
    CHECK_TRUE_TEXT(pod.ok, pod.text.c_str());
    CHECK_EQUAL(std::string("from lower|0"), pod.text);
    struct stat st;
    CHECK_EQUAL(0, lstat((bundle / "upper/b").c_str(), &st));
}

TEST(RootfsSetup, WithoutDevMountsAFreshDevAndPts) {
    if (skip_unless_root()) return;
    TempDir bundle("rootfs-setup");
    make_rootfs(bundle);
    // Whatever the image has in /dev stays hidden.
    write_text(bundle / "rootfs/dev/ptmx", "not a device");
    RuntimeSpec spec = pod_spec();
    spec.mounts.erase(spec.mounts.begin() + 1, spec.mounts.begin() + 3);  // /dev, /dev/pts
    PodRun pod = run_pod(bundle, spec, true);
    CHECK_TRUE_TEXT(pod.ok, pod.text.c_str());
    CHECK_TRUE(contains(pod.text, "mount /dev tmpfs rw,nosuid\n"));
    CHECK_TRUE(contains(pod.text, "mount /dev/pts devpts rw,nosuid,noexec"));
    CHECK_TRUE(has_line(pod.text, "link ptmx pts/ptmx"));
    CHECK_TRUE(has_line(pod.text, "dev null c 1:3 666"));
    CHECK_TRUE(contains(pod.text, "dev console c 136:"));
}

TEST(RootfsSetup, RootfsPropagation) {
    if (skip_unless_root()) return;
    TempDir bundle("rootfs-setup");
    make_rootfs(bundle);
    std::string host_mounts = mount_points();
    RuntimeSpec spec = pod_spec();
    spec.linux_config.rootfs_propagation = "rshared";
    PodRun pod = run_pod(bundle, spec, false, [] {
        for (const std::string& line : split(file_text("/proc/self/mountinfo"), '\n'))
            if (split(line, ' ').size() > 6 && split(line, ' ')[4] == "/") return line;
        return std::string("no root");
    });
    CHECK_TRUE_TEXT(pod.ok, pod.text.c_str());
    STRCMP_CONTAINS(" shared:", pod.text.c_str());
    check_host_untouched(bundle, host_mounts);

    spec.linux_config.rootfs_propagation = "sideways";
    pod = run_pod(bundle, spec);
    CHECK_FALSE(pod.ok);
    STRCMP_CONTAINS("linux.rootfsPropagation: unknown propagation 'sideways'", pod.text.c_str());
}
