#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

#include "base/fs.hpp"
#include "c/json.hpp"
#include "oci/runtime_spec.hpp"
#include "render/runtime_config.hpp"
#include "store_fixture.hpp"

#include <CppUTest/TestHarness.h>

using namespace ocipod;
using ocipod::test::TempDir;

namespace {

std::vector<std::string> strings(const json_t* arr) {
    std::vector<std::string> out;
    size_t i;
    const json_t* v;
    json_array_foreach(arr, i, v) out.emplace_back(json_string_value(v));
    return out;
}

const json_t* at(const json_t* v, std::initializer_list<const char*> path) {
    for (const char* k : path) v = json_object_get(v, k);
    return v;
}

std::string str_at(const json_t* v, std::initializer_list<const char*> path) {
    const json_t* s = at(v, path);
    return json_is_string(s) ? json_string_value(s) : "<not a string>";
}

using Strings = std::vector<std::string>;

}  // namespace

TEST_GROUP(RuntimeConfig) {
    TempDir tmp{"runtime-config"};
    UniqueFd root;
    ImageRunConfig image;
    RuntimeConfigOptions options;

    void setup() override {
        CHECK(mkdir((tmp / "rootfs").c_str(), 0755) == 0);
        CHECK(mkdir((tmp / "rootfs/etc").c_str(), 0755) == 0);
        root = UniqueFd(open((tmp / "rootfs").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        CHECK(root.get() >= 0);
        write("rootfs/etc/passwd",
              "root:x:0:0:root:/root:/bin/sh\n"
              "app:x:1000:1000::/home/app:/bin/sh\n");
        write("rootfs/etc/group", "wheel:x:10:app\naudio:x:29:app\n");
        image.cmd = {"/bin/sh"};
    }
    void teardown() override {
        root.reset();
    }

    void write(const std::string& rel, const std::string& data) {
        ocipod::test::write_path(tmp / rel, data);
    }

    JsonPtr make() {
        auto r = make_runtime_config(image, root.get(), options);
        CHECK_TEXT(r.ok(), r.ok() ? "" : r.error().message.c_str());
        if (!r.ok()) return JsonPtr(json_object());
        CHECK(!r->empty() && r->back() == '\n');
        auto doc = json_parse(*r, "config.json");
        CHECK(doc.ok());
        return doc.ok() ? std::move(doc).take() : JsonPtr(json_object());
    }
    Error fails() {
        auto r = make_runtime_config(image, root.get(), options);
        CHECK(!r.ok());
        return r.ok() ? Error{} : r.error();
    }
    Strings args() {
        return strings(at(make().get(), {"process", "args"}));
    }
};

TEST(RuntimeConfig, ArgsFromEntrypointAndCmd) {
    image.entrypoint = {"/entry", "-x"};
    image.cmd = {"a", "b"};
    CHECK(args() == (Strings{"/entry", "-x", "a", "b"}));

    options.cmd = Strings{"c"};
    CHECK(args() == (Strings{"/entry", "-x", "c"}));

    // A new entrypoint drops the image's Cmd unless a cmd is given too.
    options.cmd.reset();
    options.entrypoint = Strings{"/other"};
    CHECK(args() == (Strings{"/other"}));
    options.cmd = Strings{"d"};
    CHECK(args() == (Strings{"/other", "d"}));

    image.entrypoint.clear();
    options = {};
    CHECK(args() == (Strings{"a", "b"}));
}

TEST(RuntimeConfig, NoCommandIsAnError) {
    image.cmd.clear();
    STRCMP_EQUAL("image has no Entrypoint or Cmd; give a command", fails().message.c_str());
    image.cmd = {"sh"};
    options.entrypoint = Strings{};  // clears Entrypoint and the image's Cmd
    STRCMP_EQUAL("image has no Entrypoint or Cmd; give a command", fails().message.c_str());
    options = {};
    image.entrypoint = {""};
    image.cmd.clear();
    LONGS_EQUAL(EINVAL, fails().code);
}

TEST(RuntimeConfig, EnvMerge) {
    image.user = "app";
    image.env = {"A=1", "PATH=/img/bin", "B=2", "A=3"};
    options.env = {"B=override", "C=4"};
    JsonPtr doc = make();
    CHECK(strings(at(doc.get(), {"process", "env"})) ==
          (Strings{"HOME=/home/app", "A=3", "PATH=/img/bin", "B=override", "C=4"}));

    // Defaults fill only gaps, in a fixed order; TERM only with a terminal.
    image.env = {"X=1"};
    options.env = {};
    options.terminal = true;
    doc = make();
    CHECK(strings(at(doc.get(), {"process", "env"})) ==
          (Strings{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                   "HOME=/home/app", "TERM=xterm", "X=1"}));
    CHECK(json_is_true(at(doc.get(), {"process", "terminal"})));

    // The caller may set what the image did not; the defaults then stay out.
    options.env = {"HOME=/h", "TERM=vt100", "PATH=/p"};
    doc = make();
    CHECK(strings(at(doc.get(), {"process", "env"})) ==
          (Strings{"X=1", "HOME=/h", "TERM=vt100", "PATH=/p"}));

    options.env = {"NOEQUALS"};
    LONGS_EQUAL(EINVAL, fails().code);
    options.env = {"=v"};
    LONGS_EQUAL(EINVAL, fails().code);
}

TEST(RuntimeConfig, CwdIsACleanContainerPath) {
    const struct {
        const char* in;
        const char* out;
    } cases[] = {
        {"", "/"},
        {"/srv/app", "/srv/app"},
        {"app", "/app"},
        {"a//b/./c/", "/a/b/c"},
        {"/../../etc", "/etc"},
        {"../../../..", "/"},
        {"/srv/../../../host", "/host"},
        {"x/y/../z", "/x/z"},
    };
    for (const auto& c : cases) {
        image.working_dir = c.in;
        STRCMP_EQUAL_TEXT(c.out, str_at(make().get(), {"process", "cwd"}).c_str(), c.in);
    }
    image.working_dir = "/image";
    options.working_dir = "/caller/..//x";
    STRCMP_EQUAL("/x", str_at(make().get(), {"process", "cwd"}).c_str());
}

TEST(RuntimeConfig, User) {
    JsonPtr doc = make();
    const json_t* user = at(doc.get(), {"process", "user"});
    LONGS_EQUAL(0, json_integer_value(json_object_get(user, "uid")));
    LONGS_EQUAL(0, json_integer_value(json_object_get(user, "gid")));
    CHECK(json_object_get(user, "additionalGids") == nullptr);

    image.user = "app";
    doc = make();
    user = at(doc.get(), {"process", "user"});
    LONGS_EQUAL(1000, json_integer_value(json_object_get(user, "uid")));
    LONGS_EQUAL(1000, json_integer_value(json_object_get(user, "gid")));
    const json_t* gids = json_object_get(user, "additionalGids");
    LONGS_EQUAL(2, json_array_size(gids));
    LONGS_EQUAL(10, json_integer_value(json_array_get(gids, 0)));
    LONGS_EQUAL(29, json_integer_value(json_array_get(gids, 1)));

    options.user = "4294967294:7";
    doc = make();
    user = at(doc.get(), {"process", "user"});
    CHECK(json_integer_value(json_object_get(user, "uid")) == 4294967294LL);
    LONGS_EQUAL(7, json_integer_value(json_object_get(user, "gid")));

    options.user = "nobody";
    LONGS_EQUAL(ENOENT, fails().code);
    options.user = "4294967296:0";
    LONGS_EQUAL(ERANGE, fails().code);
}

TEST(RuntimeConfig, Annotations) {
    image.stop_signal = "SIGQUIT";
    image.exposed_ports = {"443/tcp", "53/udp", "80/tcp"};
    image.volumes = {"/data", "../../etc", "/var//lib/x/"};
    image.image_annotations["org.opencontainers.image.os"] = "linux";
    image.labels = {{"org.example.k", "v"}};
    JsonPtr doc = make();
    const json_t* a = json_object_get(doc.get(), "annotations");
    STRCMP_EQUAL("SIGQUIT", str_at(a, {"org.opencontainers.image.stopSignal"}).c_str());
    STRCMP_EQUAL("443/tcp,53/udp,80/tcp",
                 str_at(a, {"org.opencontainers.image.exposedPorts"}).c_str());
    STRCMP_EQUAL("/data,/etc,/var/lib/x", str_at(a, {"io.oci-pod.image.volumes"}).c_str());
    STRCMP_EQUAL("linux", str_at(a, {"org.opencontainers.image.os"}).c_str());
    STRCMP_EQUAL("v", str_at(a, {"org.example.k"}).c_str());
    CHECK(json_object_get(a, "io.oci-pod.image.droppedLabels") == nullptr);

    image = {};
    image.cmd = {"sh"};
    CHECK(json_object_get(make().get(), "annotations") == nullptr);
}

TEST(RuntimeConfig, LabelsTakePrecedenceButNeverUnsafeKeys) {
    // conversion.md "Annotations": on a conflict the value in Config.Labels MUST win.
    image.stop_signal = "SIGQUIT";
    image.exposed_ports = {"80/tcp"};
    image.image_annotations["org.opencontainers.image.os"] = "linux";
    image.labels = {{"org.opencontainers.image.stopSignal", "SIGINT"},
                    {"org.opencontainers.image.exposedPorts", "1/tcp"},
                    {"org.opencontainers.image.os", "plan9"},
                    // Keys runtimes act on, and our own, are not the image's to set.
                    {"run.oci.handler", "krun"},
                    {"org.systemd.property.Delegate", "yes"},
                    {"io.oci-pod.image.volumes", "/host"}};
    image.volumes = {"/data"};
    JsonPtr doc = make();
    const json_t* a = json_object_get(doc.get(), "annotations");
    STRCMP_EQUAL("SIGINT", str_at(a, {"org.opencontainers.image.stopSignal"}).c_str());
    STRCMP_EQUAL("1/tcp", str_at(a, {"org.opencontainers.image.exposedPorts"}).c_str());
    STRCMP_EQUAL("plan9", str_at(a, {"org.opencontainers.image.os"}).c_str());
    STRCMP_EQUAL("/data", str_at(a, {"io.oci-pod.image.volumes"}).c_str());
    CHECK(json_object_get(a, "run.oci.handler") == nullptr);
    CHECK(json_object_get(a, "org.systemd.property.Delegate") == nullptr);
    STRCMP_EQUAL("io.oci-pod.image.volumes,org.systemd.property.Delegate,run.oci.handler",
                 str_at(a, {"io.oci-pod.image.droppedLabels"}).c_str());
}

TEST(RuntimeConfig, StopSignalMustNameASignal) {
    for (const char* s : {"SIGTERM", "TERM", "15", "sigusr1", "SIGRTMIN+3", "RTMAX-2", "SIGIOT",
                          "KILL", "SIGWINCH", "64"}) {
        image.stop_signal = s;
        STRCMP_EQUAL_TEXT(
            s, str_at(make().get(), {"annotations", "org.opencontainers.image.stopSignal"}).c_str(),
            s);
    }
    for (const char* s : {"SIGFOO", "0", "65", "-9", "SIG", "SIGRTMIN+31", "TERM "}) {
        image.stop_signal = s;
        LONGS_EQUAL_TEXT(EINVAL, fails().code, s);
    }
    image.stop_signal = "";
    image.labels = {{"org.opencontainers.image.stopSignal", "NOPE"}};
    LONGS_EQUAL(EINVAL, fails().code);
}

TEST(RuntimeConfig, LinuxDefaults) {
    JsonPtr doc = make();
    STRCMP_EQUAL(runtime_spec_version, str_at(doc.get(), {"ociVersion"}).c_str());
    STRCMP_EQUAL("rootfs", str_at(doc.get(), {"root", "path"}).c_str());
    CHECK(json_is_false(at(doc.get(), {"root", "readonly"})));
    CHECK(json_object_get(doc.get(), "hostname") == nullptr);
    CHECK(json_is_true(at(doc.get(), {"process", "noNewPrivileges"})));
    CHECK(json_is_false(at(doc.get(), {"process", "terminal"})));

    const Strings caps{"CAP_CHOWN",   "CAP_DAC_OVERRIDE", "CAP_FSETID",           "CAP_FOWNER",
                       "CAP_MKNOD",   "CAP_NET_RAW",      "CAP_SETGID",           "CAP_SETUID",
                       "CAP_SETFCAP", "CAP_SETPCAP",      "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT",
                       "CAP_KILL",    "CAP_AUDIT_WRITE"};
    for (const char* set : {"bounding", "effective", "permitted"})
        CHECK_TEXT(strings(at(doc.get(), {"process", "capabilities", set})) == caps, set);
    for (const char* set : {"inheritable", "ambient"}) {
        const json_t* v = at(doc.get(), {"process", "capabilities", set});
        CHECK_TEXT(json_is_array(v) && json_array_size(v) == 0, set);
    }

    const json_t* rl = json_array_get(at(doc.get(), {"process", "rlimits"}), 0);
    STRCMP_EQUAL("RLIMIT_NOFILE", str_at(rl, {"type"}).c_str());
    LONGS_EQUAL(1024, json_integer_value(json_object_get(rl, "hard")));
    LONGS_EQUAL(1024, json_integer_value(json_object_get(rl, "soft")));

    Strings ns;
    size_t i;
    const json_t* v;
    json_array_foreach(at(doc.get(), {"linux", "namespaces"}), i, v)
        ns.push_back(str_at(v, {"type"}));
    CHECK(ns == (Strings{"pid", "network", "ipc", "uts", "mount", "cgroup"}));

    Strings masked = strings(at(doc.get(), {"linux", "maskedPaths"}));
    for (const char* p : {"/proc/kcore", "/proc/keys", "/proc/timer_list", "/proc/acpi",
                          "/sys/firmware", "/proc/scsi", "/sys/devices/virtual/powercap"})
        CHECK_TEXT(std::find(masked.begin(), masked.end(), p) != masked.end(), p);
    CHECK(strings(at(doc.get(), {"linux", "readonlyPaths"})) ==
          (Strings{"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"}));

    const json_t* dev = json_array_get(at(doc.get(), {"linux", "resources", "devices"}), 0);
    CHECK(json_is_false(json_object_get(dev, "allow")));
    STRCMP_EQUAL("rwm", str_at(dev, {"access"}).c_str());

    Strings dests;
    json_array_foreach(json_object_get(doc.get(), "mounts"), i, v) {
        dests.push_back(str_at(v, {"destination"}));
        if (dests.back() == "/sys") {
            Strings opts = strings(json_object_get(v, "options"));
            CHECK(std::find(opts.begin(), opts.end(), "ro") != opts.end());
        }
        if (dests.back() == "/dev") STRCMP_EQUAL("tmpfs", str_at(v, {"type"}).c_str());
    }
    CHECK(dests == (Strings{"/proc", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue", "/sys",
                            "/sys/fs/cgroup"}));
}

TEST(RuntimeConfig, OptionsAndFormat) {
    options.hostname = "pod1";
    options.readonly_rootfs = true;
    auto text = make_runtime_config(image, root.get(), options);
    CHECK(text.ok());
    // Indented by two, keys in the order written, one trailing newline.
    CHECK(text->rfind("{\n  \"ociVersion\": ", 0) == 0);
    CHECK(text->size() > 2 && (*text)[text->size() - 1] == '\n' &&
          (*text)[text->size() - 2] == '}');
    JsonPtr doc = make();
    STRCMP_EQUAL("pod1", str_at(doc.get(), {"hostname"}).c_str());
    CHECK(json_is_true(at(doc.get(), {"root", "readonly"})));
    const char* first = json_object_iter_key(json_object_iter(doc.get()));
    STRCMP_EQUAL("ociVersion", first);
}

TEST(RuntimeConfig, CallerStringsMustBeUtf8) {
    options.cmd = Strings{"/bin/echo", "caf\xe9"};
    LONGS_EQUAL(EINVAL, fails().code);
    options = {};
    options.hostname = "h\xff";
    LONGS_EQUAL(EINVAL, fails().code);
}

TEST(RuntimeConfig, PodResourcesLandInLinuxResources) {
    options.resources.memory_bytes = 64ll << 20;
    options.resources.cpu_millis = 1500;
    options.resources.pids_limit = 100;
    JsonPtr doc = make();
    const json_t* res = at(doc.get(), {"linux", "resources"});
    LONGS_EQUAL(64ll << 20, json_integer_value(at(res, {"memory", "limit"})));
    LONGS_EQUAL(150000, json_integer_value(at(res, {"cpu", "quota"})));
    LONGS_EQUAL(100000, json_integer_value(at(res, {"cpu", "period"})));
    LONGS_EQUAL(100, json_integer_value(at(res, {"pids", "limit"})));
    // The device rules stay.
    LONGS_EQUAL(1, json_array_size(json_object_get(res, "devices")));

    options.resources = {};
    JsonPtr none = make();
    res = at(none.get(), {"linux", "resources"});
    CHECK(json_object_get(res, "memory") == nullptr);
    CHECK(json_object_get(res, "cpu") == nullptr);
    CHECK(json_object_get(res, "pids") == nullptr);

    options.resources.memory_bytes = 0;
    LONGS_EQUAL(EINVAL, fails().code);
}

TEST(RuntimeConfig, ExtraMountsFollowTheDefaults) {
    options.mounts = {
        {.destination = "/data/../srv", .source = "/var/tmp/x", .tmpfs = false, .read_only = true},
        {.destination = "/scratch", .source = "", .tmpfs = true}};
    JsonPtr doc = make();
    const json_t* mounts = json_object_get(doc.get(), "mounts");
    size_t n = json_array_size(mounts);
    CHECK(n >= 3);
    const json_t* bind = json_array_get(mounts, n - 2);
    STRCMP_EQUAL("/srv", str_at(bind, {"destination"}).c_str());
    STRCMP_EQUAL("bind", str_at(bind, {"type"}).c_str());
    STRCMP_EQUAL("/var/tmp/x", str_at(bind, {"source"}).c_str());
    Strings opts = strings(json_object_get(bind, "options"));
    CHECK(std::find(opts.begin(), opts.end(), "rbind") != opts.end());
    CHECK(std::find(opts.begin(), opts.end(), "ro") != opts.end());
    const json_t* tmpfs = json_array_get(mounts, n - 1);
    STRCMP_EQUAL("/scratch", str_at(tmpfs, {"destination"}).c_str());
    STRCMP_EQUAL("tmpfs", str_at(tmpfs, {"type"}).c_str());
    opts = strings(json_object_get(tmpfs, "options"));
    CHECK(std::find(opts.begin(), opts.end(), "ro") == opts.end());

    options.mounts = {
        {.destination = "/x", .source = "relative", .tmpfs = false, .read_only = false}};
    LONGS_EQUAL(EINVAL, fails().code);
    options.mounts = {{.destination = "x", .source = "", .tmpfs = true}};
    LONGS_EQUAL(EINVAL, fails().code);
}

TEST(RuntimeConfig, CapAddAndDrop) {
    options.cap_drop = {"net_raw", "CAP_MKNOD"};
    options.cap_add = {"NET_ADMIN", "cap_sys_time", "CAP_CHOWN"};
    JsonPtr doc = make();
    for (const char* set : {"bounding", "effective", "permitted"}) {
        Strings caps = strings(at(doc.get(), {"process", "capabilities", set}));
        CHECK_TEXT(std::find(caps.begin(), caps.end(), "CAP_NET_RAW") == caps.end(), set);
        CHECK_TEXT(std::find(caps.begin(), caps.end(), "CAP_MKNOD") == caps.end(), set);
        CHECK_TEXT(std::find(caps.begin(), caps.end(), "CAP_NET_ADMIN") != caps.end(), set);
        CHECK_TEXT(std::find(caps.begin(), caps.end(), "CAP_SYS_TIME") != caps.end(), set);
        LONGS_EQUAL_TEXT(1, std::count(caps.begin(), caps.end(), "CAP_CHOWN"), set);
        LONGS_EQUAL_TEXT(14 - 2 + 2, caps.size(), set);
    }
    LONGS_EQUAL(0, json_array_size(at(doc.get(), {"process", "capabilities", "inheritable"})));
    LONGS_EQUAL(0, json_array_size(at(doc.get(), {"process", "capabilities", "ambient"})));

    options.cap_drop = {"ALL"};
    options.cap_add = {"kill"};
    JsonPtr only_kill = make();
    CHECK(Strings{"CAP_KILL"} ==
          strings(at(only_kill.get(), {"process", "capabilities", "bounding"})));

    options.cap_drop = {};
    options.cap_add = {"all"};
    JsonPtr all = make();
    CHECK(json_array_size(at(all.get(), {"process", "capabilities", "bounding"})) > 30);

    options.cap_add = {"CAP_NOPE"};
    LONGS_EQUAL(EINVAL, fails().code);
}

TEST(RuntimeConfig, HostNetworkDropsTheNetworkNamespace) {
    auto types = [](const json_t* doc) {
        Strings out;
        size_t i;
        const json_t* v;
        json_array_foreach(at(doc, {"linux", "namespaces"}), i, v)
            out.push_back(str_at(v, {"type"}));
        return out;
    };
    JsonPtr private_net = make();
    Strings with = types(private_net.get());
    CHECK(std::find(with.begin(), with.end(), "network") != with.end());
    options.host_network = true;
    JsonPtr host = make();
    Strings without = types(host.get());
    CHECK(std::find(without.begin(), without.end(), "network") == without.end());
    LONGS_EQUAL(with.size() - 1, without.size());
}

TEST(RuntimeConfig, StopSignalOptionReplacesTheImages) {
    image.stop_signal = "SIGQUIT";
    options.stop_signal = "SIGINT";
    STRCMP_EQUAL(
        "SIGINT",
        str_at(make().get(), {"annotations", "org.opencontainers.image.stopSignal"}).c_str());
    options.stop_signal = "NOTASIGNAL";
    LONGS_EQUAL(EINVAL, fails().code);
}

TEST(RuntimeConfig, SignalAndCapabilityNames) {
    LONGS_EQUAL(SIGTERM, signal_number("SIGTERM").value_or(-1));
    LONGS_EQUAL(SIGKILL, signal_number("kill").value_or(-1));
    LONGS_EQUAL(9, signal_number("9").value_or(-1));
    LONGS_EQUAL(SIGIO, signal_number("SIGIO").value_or(-1));
    LONGS_EQUAL(SIGIO, signal_number("poll").value_or(-1));
    LONGS_EQUAL(SIGABRT, signal_number("SIGIOT").value_or(-1));
    LONGS_EQUAL(SIGCHLD, signal_number("CLD").value_or(-1));
    LONGS_EQUAL(SIGRTMIN + 3, signal_number("SIGRTMIN+3").value_or(-1));
    LONGS_EQUAL(SIGRTMAX - 2, signal_number("RTMAX-2").value_or(-1));
    LONGS_EQUAL(SIGABRT, signal_number("IOT").value_or(-1));
    CHECK(!signal_number("0"));
    CHECK(!signal_number("SIGFOO"));
    CHECK(!signal_number(""));
    STRCMP_EQUAL("CAP_NET_ADMIN", capability_name("net_admin").value_or("").c_str());
    STRCMP_EQUAL("CAP_SYS_ADMIN", capability_name("CAP_SYS_ADMIN").value_or("").c_str());
    CHECK(!capability_name("net_nope"));
    CHECK(!capability_name(""));
}

namespace {

// The syscall names of linux.seccomp's rules whose action is ERRNO with this errno, sorted.
Strings refused_with(const json_t* doc, int errno_value) {
    Strings out;
    size_t i;
    const json_t* rule;
    json_array_foreach(at(doc, {"linux", "seccomp", "syscalls"}), i, rule) {
        if (json_integer_value(json_object_get(rule, "errnoRet")) != errno_value) continue;
        for (const auto& n : strings(json_object_get(rule, "names"))) out.push_back(n);
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

bool has(const Strings& v, const char* s) {
    return std::find(v.begin(), v.end(), s) != v.end();
}

}  // namespace

// The default filter: everything allowed but the keyring, io_uring, module and namespace calls;
// the runtime's strict parser takes it as it is.
TEST(RuntimeConfig, DefaultSeccompFilter) {
    JsonPtr doc = make();
    STRCMP_EQUAL("SCMP_ACT_ALLOW",
                 str_at(doc.get(), {"linux", "seccomp", "defaultAction"}).c_str());
    Strings eperm = refused_with(doc.get(), EPERM);
    for (const char* name : {"keyctl", "add_key", "io_uring_setup", "userfaultfd", "init_module",
                             "kexec_load", "open_by_handle_at", "unshare", "setns", "mount", "bpf"})
        CHECK_TEXT(has(eperm, name), name);
    CHECK(has(eperm, "clone"));  // with a namespace flag only (args)
    CHECK(refused_with(doc.get(), ENOSYS) == (Strings{"clone3"}));
    CHECK(!has(eperm, "ptrace") && !has(eperm, "personality"));
    auto spec = parse_runtime_spec(*make_runtime_config(image, root.get(), options));
    CHECK_TEXT(spec.ok(), spec.ok() ? "" : spec.error().message.c_str());
    CHECK(spec->linux_config.seccomp.has_value());
}

// CAP_SYS_ADMIN makes the pod its own mount and namespace manager: those calls are allowed then,
// the keyring and io_uring ones still not.
TEST(RuntimeConfig, SeccompFollowsCapSysAdmin) {
    options.cap_add = {"sys_admin"};
    JsonPtr doc = make();
    Strings eperm = refused_with(doc.get(), EPERM);
    CHECK(has(eperm, "keyctl") && has(eperm, "io_uring_setup"));
    CHECK(!has(eperm, "unshare") && !has(eperm, "mount") && !has(eperm, "clone"));
    CHECK(refused_with(doc.get(), ENOSYS).empty());
}

TEST(RuntimeConfig, SeccompUnconfinedHasNoFilter) {
    options.seccomp = false;
    JsonPtr doc = make();
    CHECK(at(doc.get(), {"linux", "seccomp"}) == nullptr);
}
