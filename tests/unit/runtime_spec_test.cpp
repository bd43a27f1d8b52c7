#include <fcntl.h>
#include <linux/capability.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <string>
#include <vector>

#include "base/unique_fd.hpp"
#include "c/json.hpp"
#include "oci/runtime_spec.hpp"
#include "render/runtime_config.hpp"
#include "temp_dir.hpp"

#include <CppUTest/TestHarness.h>

using namespace ocipod;
using ocipod::test::TempDir;

namespace {

// What `runc spec` (runc 1.1, Debian) prints, byte for byte.
constexpr const char* k_runc_spec = R"JSON(
{
	"ociVersion": "1.0.2-dev",
	"process": {
		"terminal": true,
		"user": {
			"uid": 0,
			"gid": 0
		},
		"args": [
			"sh"
		],
		"env": [
			"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
			"TERM=xterm"
		],
		"cwd": "/",
		"capabilities": {
			"bounding": [
				"CAP_AUDIT_WRITE",
				"CAP_KILL",
				"CAP_NET_BIND_SERVICE"
			],
			"effective": [
				"CAP_AUDIT_WRITE",
				"CAP_KILL",
				"CAP_NET_BIND_SERVICE"
			],
			"permitted": [
				"CAP_AUDIT_WRITE",
				"CAP_KILL",
				"CAP_NET_BIND_SERVICE"
			],
			"ambient": [
				"CAP_AUDIT_WRITE",
				"CAP_KILL",
				"CAP_NET_BIND_SERVICE"
			]
		},
		"rlimits": [
			{
				"type": "RLIMIT_NOFILE",
				"hard": 1024,
				"soft": 1024
			}
		],
		"noNewPrivileges": true
	},
	"root": {
		"path": "rootfs",
		"readonly": true
	},
	"hostname": "runc",
	"mounts": [
		{
			"destination": "/proc",
			"type": "proc",
			"source": "proc"
		},
		{
			"destination": "/dev",
			"type": "tmpfs",
			"source": "tmpfs",
			"options": [
				"nosuid",
				"strictatime",
				"mode=755",
				"size=65536k"
			]
		},
		{
			"destination": "/dev/pts",
			"type": "devpts",
			"source": "devpts",
			"options": [
				"nosuid",
				"noexec",
				"newinstance",
				"ptmxmode=0666",
				"mode=0620",
				"gid=5"
			]
		},
		{
			"destination": "/dev/shm",
			"type": "tmpfs",
			"source": "shm",
			"options": [
				"nosuid",
				"noexec",
				"nodev",
				"mode=1777",
				"size=65536k"
			]
		},
		{
			"destination": "/dev/mqueue",
			"type": "mqueue",
			"source": "mqueue",
			"options": [
				"nosuid",
				"noexec",
				"nodev"
			]
		},
		{
			"destination": "/sys",
			"type": "sysfs",
			"source": "sysfs",
			"options": [
				"nosuid",
				"noexec",
				"nodev",
				"ro"
			]
		},
		{
			"destination": "/sys/fs/cgroup",
			"type": "cgroup",
			"source": "cgroup",
			"options": [
				"nosuid",
				"noexec",
				"nodev",
				"relatime",
				"ro"
			]
		}
	],
	"linux": {
		"resources": {
			"devices": [
				{
					"allow": false,
					"access": "rwm"
				}
			]
		},
		"namespaces": [
			{
				"type": "pid"
			},
			{
				"type": "network"
			},
			{
				"type": "ipc"
			},
			{
				"type": "uts"
			},
			{
				"type": "mount"
			}
		],
		"maskedPaths": [
			"/proc/acpi",
			"/proc/asound",
			"/proc/kcore",
			"/proc/keys",
			"/proc/latency_stats",
			"/proc/timer_list",
			"/proc/timer_stats",
			"/proc/sched_debug",
			"/sys/firmware",
			"/proc/scsi"
		],
		"readonlyPaths": [
			"/proc/bus",
			"/proc/fs",
			"/proc/irq",
			"/proc/sys",
			"/proc/sysrq-trigger"
		]
	}
})JSON";

using Strings = std::vector<std::string>;

// The node at "a.b[2].c" in doc ("" is doc itself); missing object members on the way are made.
json_t* resolve(json_t* v, const std::string& path) {
    size_t pos = 0;
    while (v && pos < path.size()) {
        size_t end = std::min(path.find_first_of(".[", pos), path.size());
        if (end > pos) {
            std::string key = path.substr(pos, end - pos);
            json_t* next = json_object_get(v, key.c_str());
            if (!next) {
                next = json_object();
                json_object_set_new(v, key.c_str(), next);
            }
            v = next;
        }
        if (end < path.size() && path[end] == '[') {
            v = json_array_get(v, std::strtoul(path.c_str() + end + 1, nullptr, 10));
            end = path.find(']', end) + 1;
        }
        pos = end < path.size() && path[end] == '.' ? end + 1 : end;
    }
    return v;
}

// doc_text with each path set to a JSON value (or removed when the value is nullptr). A path
// ends in a key ("a.b") or an index ("a.b[1]").
std::string edit(std::string doc_text,
                 std::initializer_list<std::pair<const char*, const char*>> edits) {
    JsonPtr doc = json_parse(doc_text, "test").take();
    for (const auto& [path_c, value] : edits) {
        std::string path = path_c;
        json_t* v = nullptr;
        if (value) {
            json_error_t err;
            v = json_loads(value, JSON_DECODE_ANY, &err);
            CHECK_TEXT(v != nullptr, value);
        }
        if (path.back() == ']') {
            size_t open = path.rfind('[');
            json_t* arr = resolve(doc.get(), path.substr(0, open));
            size_t i = std::strtoul(path.c_str() + open + 1, nullptr, 10);
            CHECK_TEXT(json_is_array(arr) && i < json_array_size(arr), path_c);
            if (v)
                json_array_set_new(arr, i, v);
            else
                json_array_remove(arr, i);
            continue;
        }
        size_t dot = path.rfind('.');
        json_t* parent = resolve(doc.get(), dot == std::string::npos ? "" : path.substr(0, dot));
        std::string key = dot == std::string::npos ? path : path.substr(dot + 1);
        CHECK_TEXT(json_is_object(parent), path_c);
        if (v)
            json_object_set_new(parent, key.c_str(), v);
        else
            json_object_del(parent, key.c_str());
    }
    return json_dump(doc.get());
}

std::string with(const char* path, const char* value) {
    return edit(k_runc_spec, {{path, value}});
}

RuntimeSpec parses(const std::string& json) {
    auto r = parse_runtime_spec(json);
    CHECK_TEXT(r.ok(), r.ok() ? "" : r.error().message.c_str());
    return r.ok() ? std::move(r).take() : RuntimeSpec{};
}

Error refused(const std::string& json) {
    auto r = parse_runtime_spec(json);
    CHECK_TEXT(!r.ok(), json.c_str());
    return r.ok() ? Error{} : r.error();
}

void expect_message(const std::string& json, const std::string& message) {
    Error e = refused(json);
    STRCMP_EQUAL(message.c_str(), e.message.c_str());
}

// An error whose message names the path.
void expect_names(const std::string& json, const std::string& path) {
    Error e = refused(json);
    CHECK_TEXT(e.message.starts_with("config.json: "), e.message.c_str());
    CHECK_TEXT(e.message.find("'" + path) != std::string::npos, e.message.c_str());
}

void expect_unknown(const std::string& json, const std::string& path) {
    Error e = refused(json);
    LONGS_EQUAL(EBADMSG, e.code);
    STRCMP_EQUAL(("config.json: unknown field '" + path + "', refusing").c_str(),
                 e.message.c_str());
}

void expect_unsupported(const std::string& json, const std::string& path) {
    Error e = refused(json);
    LONGS_EQUAL(EOPNOTSUPP, e.code);
    STRCMP_CONTAINS(("'" + path + "'").c_str(), e.message.c_str());
    STRCMP_CONTAINS("is not supported, refusing", e.message.c_str());
}

}  // namespace

TEST_GROUP(RuntimeSpec){};

TEST(RuntimeSpec, RuncSpecParses) {
    RuntimeSpec s = parses(k_runc_spec);
    STRCMP_EQUAL("1.0.2-dev", s.oci_version.c_str());
    STRCMP_EQUAL("rootfs", s.root_path.c_str());
    CHECK(s.root_readonly);
    STRCMP_EQUAL("runc", s.hostname.c_str());
    CHECK(s.domainname.empty());

    const SpecProcess& p = s.process;
    CHECK(p.terminal);
    LONGS_EQUAL(0, p.user.uid);
    LONGS_EQUAL(0, p.user.gid);
    CHECK(!p.user.umask);
    CHECK(p.args == Strings{"sh"});
    CHECK(p.env == (Strings{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                            "TERM=xterm"}));
    STRCMP_EQUAL("/", p.cwd.c_str());
    CHECK(p.capabilities.has_value());
    const std::vector<int> three{CAP_AUDIT_WRITE, CAP_KILL, CAP_NET_BIND_SERVICE};
    CHECK(p.capabilities->bounding == three);
    CHECK(p.capabilities->effective == three);
    CHECK(p.capabilities->permitted == three);
    CHECK(p.capabilities->ambient == three);
    CHECK(p.capabilities->inheritable.empty());
    LONGS_EQUAL(1, p.rlimits.size());
    LONGS_EQUAL(RLIMIT_NOFILE, p.rlimits[0].resource);
    LONGS_EQUAL(1024, p.rlimits[0].soft);
    LONGS_EQUAL(1024, p.rlimits[0].hard);
    CHECK(p.no_new_privileges);
    CHECK(!p.oom_score_adj);

    LONGS_EQUAL(7, s.mounts.size());
    STRCMP_EQUAL("/dev/pts", s.mounts[2].destination.c_str());
    STRCMP_EQUAL("devpts", s.mounts[2].type.c_str());
    STRCMP_EQUAL("devpts", s.mounts[2].source.c_str());
    CHECK(s.mounts[2].options ==
          (Strings{"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}));
    STRCMP_EQUAL("/sys/fs/cgroup", s.mounts[6].destination.c_str());
    CHECK(s.mounts[0].options.empty());

    const SpecLinux& l = s.linux_config;
    LONGS_EQUAL(5, l.namespaces.size());
    const char* ns[] = {"pid", "network", "ipc", "uts", "mount"};
    for (size_t i = 0; i < 5; ++i) {
        STRCMP_EQUAL(ns[i], l.namespaces[i].type.c_str());
        CHECK(l.namespaces[i].path.empty());
    }
    CHECK(l.resources.has_value());
    LONGS_EQUAL(1, l.resources->devices.size());
    CHECK(!l.resources->devices[0].allow);
    LONGS_EQUAL('a', l.resources->devices[0].type);
    STRCMP_EQUAL("rwm", l.resources->devices[0].access.c_str());
    CHECK(!l.resources->devices[0].major);
    CHECK(!l.resources->memory_limit);
    LONGS_EQUAL(10, l.masked_paths.size());
    STRCMP_EQUAL("/proc/scsi", l.masked_paths.back().c_str());
    CHECK(l.readonly_paths ==
          (Strings{"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"}));
    CHECK(!l.seccomp);
    CHECK(l.devices.empty());
    CHECK(s.hooks.prestart.empty());
}

TEST(RuntimeSpec, FullConfigParses) {
    std::string json = edit(
        k_runc_spec,
        {{"domainname", R"("example.org")"},
         {"process.user", R"({"uid": 1000, "gid": 100, "umask": 18, "additionalGids": [10, 29]})"},
         {"process.oomScoreAdj", "-500"},
         {"process.capabilities.inheritable", R"(["CAP_CHECKPOINT_RESTORE"])"},
         {"process.rlimits",
          R"([{"type": "RLIMIT_NOFILE", "soft": 1024, "hard": 4096},
              {"type": "RLIMIT_CORE", "soft": 0, "hard": 0}])"},
         {"process.selinuxLabel", R"("")"},
         {"annotations", R"({"org.example.key": "v"})"},
         {"hooks", R"({"prestart": [{"path": "/usr/bin/hook", "args": ["hook", "pre"],
                                     "env": ["A=1"], "timeout": 5}],
                       "poststop": [{"path": "/bin/true"}]})"},
         {"linux.devices", R"([{"path": "/dev/fuse", "type": "c", "major": 10, "minor": 229,
                                "fileMode": 438, "uid": 0, "gid": 0},
                               {"path": "/dev/fifo", "type": "p"}])"},
         {"linux.resources",
          R"({"devices": [{"allow": false, "access": "rwm"},
                          {"allow": true, "type": "c", "major": 10, "minor": 229, "access": "rw"}],
              "memory": {"limit": 67108864, "swap": -1},
              "cpu": {"shares": 512, "quota": 50000, "period": 100000},
              "pids": {"limit": 64}, "blockIO": {"weight": 300}})"},
         {"linux.namespaces[1].path", R"("/run/netns/test")"},
         {"linux.cgroupsPath", R"("/oci-pod/test")"},
         {"linux.sysctl", R"({"net.ipv4.ip_forward": "1"})"},
         {"linux.rootfsPropagation", R"("rslave")"},
         {"linux.uidMappings", "[]"},
         {"linux.seccomp",
          R"({"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1,
              "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"],
              "flags": ["SECCOMP_FILTER_FLAG_LOG"],
              "syscalls": [{"names": ["read", "write"], "action": "SCMP_ACT_ALLOW"},
                           {"names": ["personality"], "action": "SCMP_ACT_ALLOW",
                            "args": [{"index": 0, "value": 8, "op": "SCMP_CMP_EQ"},
                                     {"index": 1, "value": 255, "valueTwo": 8,
                                      "op": "SCMP_CMP_MASKED_EQ"}]},
                           {"names": ["ptrace"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38}]})"}});
    RuntimeSpec s = parses(json);
    STRCMP_EQUAL("example.org", s.domainname.c_str());
    LONGS_EQUAL(1000, s.process.user.uid);
    LONGS_EQUAL(100, s.process.user.gid);
    LONGS_EQUAL(022, s.process.user.umask.value_or(0));
    CHECK(s.process.user.additional_gids == (std::vector<uint32_t>{10, 29}));
    LONGS_EQUAL(-500, s.process.oom_score_adj.value_or(0));
    CHECK(s.process.capabilities->inheritable == std::vector<int>{40});
    LONGS_EQUAL(2, s.process.rlimits.size());
    LONGS_EQUAL(4096, s.process.rlimits[0].hard);
    LONGS_EQUAL(RLIMIT_CORE, s.process.rlimits[1].resource);
    STRCMP_EQUAL("v", s.annotations.at("org.example.key").c_str());

    LONGS_EQUAL(1, s.hooks.prestart.size());
    STRCMP_EQUAL("/usr/bin/hook", s.hooks.prestart[0].path.c_str());
    CHECK(s.hooks.prestart[0].args == (Strings{"hook", "pre"}));
    CHECK(s.hooks.prestart[0].env == Strings{"A=1"});
    LONGS_EQUAL(5, s.hooks.prestart[0].timeout.value_or(0));
    LONGS_EQUAL(1, s.hooks.poststop.size());
    CHECK(!s.hooks.poststop[0].timeout);
    CHECK(s.hooks.create_runtime.empty());

    const SpecLinux& l = s.linux_config;
    LONGS_EQUAL(2, l.devices.size());
    STRCMP_EQUAL("/dev/fuse", l.devices[0].path.c_str());
    LONGS_EQUAL('c', l.devices[0].type);
    LONGS_EQUAL(10, l.devices[0].major);
    LONGS_EQUAL(229, l.devices[0].minor);
    LONGS_EQUAL(0666, l.devices[0].file_mode.value_or(0));
    LONGS_EQUAL('p', l.devices[1].type);
    CHECK(!l.devices[1].uid);

    const SpecResources& r = *l.resources;
    LONGS_EQUAL(2, r.devices.size());
    CHECK(r.devices[1].allow);
    LONGS_EQUAL('c', r.devices[1].type);
    LONGS_EQUAL(10, r.devices[1].major.value_or(-2));
    STRCMP_EQUAL("rw", r.devices[1].access.c_str());
    LONGS_EQUAL(67108864, r.memory_limit.value_or(0));
    LONGS_EQUAL(-1, r.memory_swap.value_or(0));
    LONGS_EQUAL(512, r.cpu_shares.value_or(0));
    LONGS_EQUAL(50000, r.cpu_quota.value_or(0));
    LONGS_EQUAL(100000, r.cpu_period.value_or(0));
    LONGS_EQUAL(64, r.pids_limit.value_or(0));
    LONGS_EQUAL(300, r.blkio_weight.value_or(0));

    STRCMP_EQUAL("/run/netns/test", l.namespaces[1].path.c_str());
    STRCMP_EQUAL("/oci-pod/test", l.cgroups_path.c_str());
    STRCMP_EQUAL("1", l.sysctl.at("net.ipv4.ip_forward").c_str());
    STRCMP_EQUAL("rslave", l.rootfs_propagation.c_str());

    CHECK(l.seccomp.has_value());
    const SpecSeccomp& sc = *l.seccomp;
    STRCMP_EQUAL("SCMP_ACT_ERRNO", sc.default_action.c_str());
    LONGS_EQUAL(1, sc.default_errno_ret.value_or(0));
    CHECK(sc.architectures == (Strings{"SCMP_ARCH_X86_64", "SCMP_ARCH_X86"}));
    CHECK(sc.flags == Strings{"SECCOMP_FILTER_FLAG_LOG"});
    LONGS_EQUAL(3, sc.syscalls.size());
    CHECK(sc.syscalls[0].names == (Strings{"read", "write"}));
    CHECK(!sc.syscalls[0].errno_ret);
    LONGS_EQUAL(2, sc.syscalls[1].args.size());
    LONGS_EQUAL(1, sc.syscalls[1].args[1].index);
    LONGS_EQUAL(255, sc.syscalls[1].args[1].value);
    LONGS_EQUAL(8, sc.syscalls[1].args[1].value_two);
    STRCMP_EQUAL("SCMP_CMP_MASKED_EQ", sc.syscalls[1].args[1].op.c_str());
    LONGS_EQUAL(38, sc.syscalls[2].errno_ret.value_or(0));
}

TEST(RuntimeSpec, RenderedConfigParses) {
    TempDir tmp{"runtime-spec"};
    CHECK(mkdir((tmp / "rootfs").c_str(), 0755) == 0);
    UniqueFd root(open((tmp / "rootfs").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    CHECK(root.get() >= 0);
    ImageRunConfig image;
    image.cmd = {"/bin/sh", "-c", "true"};
    image.env = {"A=1"};
    image.working_dir = "/srv";
    image.labels = {{"org.example.label", "x"}};
    RuntimeConfigOptions options;
    options.hostname = "pod";
    options.terminal = true;
    auto json = make_runtime_config(image, root.get(), options);
    CHECK_TEXT(json.ok(), json.ok() ? "" : json.error().message.c_str());
    if (!json.ok()) return;
    RuntimeSpec s = parses(*json);
    STRCMP_EQUAL(runtime_spec_version, s.oci_version.c_str());
    STRCMP_EQUAL("rootfs", s.root_path.c_str());
    CHECK(s.process.args == (Strings{"/bin/sh", "-c", "true"}));
    STRCMP_EQUAL("/srv", s.process.cwd.c_str());
    CHECK(s.process.terminal);
    STRCMP_EQUAL("pod", s.hostname.c_str());
    CHECK(s.process.no_new_privileges);
    LONGS_EQUAL(14, s.process.capabilities->bounding.size());
    LONGS_EQUAL(6, s.linux_config.namespaces.size());
    STRCMP_EQUAL("x", s.annotations.at("org.example.label").c_str());
    CHECK(!s.linux_config.masked_paths.empty());
}

TEST(RuntimeSpec, UnknownKeysAtEveryDepth) {
    expect_unknown(with("extra", "1"), "extra");
    expect_unknown(with("root.size", "1"), "root.size");
    expect_unknown(with("process.foo", "true"), "process.foo");
    expect_unknown(with("process.user.name", R"("x")"), "process.user.name");
    expect_unknown(with("process.capabilities.all", "[]"), "process.capabilities.all");
    expect_unknown(with("process.rlimits[0].kind", "1"), "process.rlimits[0].kind");
    expect_unknown(with("mounts[3].flags", "[]"), "mounts[3].flags");
    expect_unknown(with("linux.foo", "{}"), "linux.foo");
    expect_unknown(with("linux.namespaces[2].name", R"("x")"), "linux.namespaces[2].name");
    expect_unknown(with("linux.resources.devices[0].kind", R"("c")"),
                   "linux.resources.devices[0].kind");
    expect_unknown(with("linux.resources.memory", R"({"limit": 1, "max": 2})"),
                   "linux.resources.memory.max");
    expect_unknown(with("hooks", R"({"prestart": [{"path": "/h", "when": 1}]})"),
                   "hooks.prestart[0].when");
    expect_unknown(with("hooks", R"({"onExit": []})"), "hooks.onExit");
    expect_unknown(with("linux.seccomp",
                        R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["x"],
                 "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 1,
                 "op": "SCMP_CMP_EQ", "mask": 1}]}]})"),
                   "linux.seccomp.syscalls[0].args[0].mask");
}

TEST(RuntimeSpec, UnsupportedFieldsAreNamed) {
    expect_unsupported(with("process.apparmorProfile", R"("docker-default")"),
                       "process.apparmorProfile");
    expect_unsupported(with("process.selinuxLabel", R"("system_u:system_r:container_t:s0")"),
                       "process.selinuxLabel");
    expect_unsupported(with("process.ioPriority", R"({"class": "IOPRIO_CLASS_BE", "priority": 4})"),
                       "process.ioPriority");
    expect_unsupported(with("process.consoleSize", R"({"height": 24, "width": 80})"),
                       "process.consoleSize");
    expect_unsupported(with("process.user.username", R"("x")"), "process.user.username");
    expect_unsupported(with("linux.intelRdt", R"({"closID": "x"})"), "linux.intelRdt");
    expect_unsupported(with("linux.personality", R"({"domain": "LINUX32"})"), "linux.personality");
    expect_unsupported(with("linux.uidMappings", R"([{"containerID": 0, "hostID": 1, "size": 1}])"),
                       "linux.uidMappings");
    expect_unsupported(with("linux.gidMappings", R"([{"containerID": 0, "hostID": 1, "size": 1}])"),
                       "linux.gidMappings");
    expect_unsupported(with("linux.mountLabel", R"("system_u:object_r:x:s0")"), "linux.mountLabel");
    expect_unsupported(with("linux.namespaces[0].type", R"("user")"), "linux.namespaces[0].type");
    expect_unsupported(with("linux.namespaces[0].type", R"("time")"), "linux.namespaces[0].type");
    expect_unsupported(
        with("linux.resources.hugepageLimits", R"([{"pageSize": "2MB", "limit": 1}])"),
        "linux.resources.hugepageLimits");
    expect_unsupported(with("linux.resources.network", R"({"classID": 1})"),
                       "linux.resources.network");
    expect_unsupported(with("linux.resources.rdma", R"({"mlx5_1": {"hcaHandles": 3}})"),
                       "linux.resources.rdma");
    expect_unsupported(with("linux.resources.unified", R"({"memory.high": "1"})"),
                       "linux.resources.unified");
    expect_unsupported(with("linux.resources.memory", R"({"swappiness": 0})"),
                       "linux.resources.memory.swappiness");
    expect_unsupported(with("linux.resources.cpu", R"({"cpus": "0-1"})"),
                       "linux.resources.cpu.cpus");
    expect_unsupported(with("linux.seccomp", R"({"defaultAction": "SCMP_ACT_ALLOW",
                                                 "listenerPath": "/run/l.sock"})"),
                       "linux.seccomp.listenerPath");
    expect_unsupported(
        with("mounts[0].uidMappings", R"([{"containerID": 0, "hostID": 1, "size": 1}])"),
        "mounts[0].uidMappings");
    expect_unsupported(with("solaris", R"({"milestone": "x"})"), "solaris");
    expect_unsupported(with("windows", R"({"layerFolders": ["x"]})"), "windows");
    expect_unsupported(with("vm", R"({"kernel": {"path": "/k"}})"), "vm");
    expect_message(with("linux.intelRdt", R"({"closID": "x"})"),
                   "config.json: 'linux.intelRdt' is not supported, refusing");
    // Empty placeholders ask for nothing.
    parses(with("linux.gidMappings", "[]"));
    parses(with("process.apparmorProfile", R"("")"));
    parses(with("linux.resources.unified", "{}"));
}

TEST(RuntimeSpec, WrongTypesNameThePath) {
    expect_message(with("process.args", R"("sh")"), "config.json: 'process.args' is not an array");
    expect_message(with("process.user.uid", R"("0")"),
                   "config.json: 'process.user.uid' is not an integer");
    expect_message(with("root.readonly", R"("yes")"),
                   "config.json: 'root.readonly' is not a boolean");
    expect_message(with("process.env[1]", "5"), "config.json: 'process.env[1]' is not a string");
    expect_names(with("process.terminal", "1"), "process.terminal");
    expect_names(with("mounts", "{}"), "mounts");
    expect_names(with("mounts[2].options", R"("ro")"), "mounts[2].options");
    expect_names(with("linux.namespaces[0]", R"("pid")"), "linux.namespaces[0]");
    expect_names(with("linux.resources.memory", R"({"limit": "64M"})"),
                 "linux.resources.memory.limit");
    expect_names(with("linux.sysctl", R"({"kernel.shmmax": 1})"), "linux.sysctl.kernel.shmmax");
    expect_names(with("annotations", R"({"a": true})"), "annotations.a");
    expect_names(with("hostname", "7"), "hostname");
    expect_names(with("process.user.additionalGids", R"([1, "x"])"),
                 "process.user.additionalGids[1]");
    expect_names(with("linux.resources.devices[0].allow", R"("no")"),
                 "linux.resources.devices[0].allow");
    expect_names(with("process.capabilities.bounding[0]", "21"),
                 "process.capabilities.bounding[0]");
}

TEST(RuntimeSpec, BadValuesNameThePath) {
    expect_names(with("process.args", "[]"), "process.args");
    expect_names(with("process.cwd", R"("srv")"), "process.cwd");
    expect_names(with("process.env[0]", R"("NOEQUALS")"), "process.env[0]");
    expect_names(with("mounts[1].destination", R"("dev")"), "mounts[1].destination");
    expect_names(with("linux.namespaces[3].type", R"("net")"), "linux.namespaces[3].type");
    expect_names(with("linux.namespaces[3].type", R"("pid")"), "linux.namespaces[3].type");
    expect_names(with("linux.namespaces[0].path", R"("proc/1/ns/pid")"),
                 "linux.namespaces[0].path");
    expect_message(with("process.capabilities.effective[1]", R"("CAP_FLY")"),
                   "config.json: 'process.capabilities.effective[1]' names unknown capability "
                   "'CAP_FLY', refusing");
    expect_names(with("process.capabilities.ambient[0]", R"("cap_kill")"),
                 "process.capabilities.ambient[0]");
    expect_names(with("process.rlimits[0].type", R"("RLIMIT_FILES")"), "process.rlimits[0].type");
    expect_names(with("process.rlimits", R"([{"type": "RLIMIT_NOFILE", "soft": 1, "hard": 1},
                                             {"type": "RLIMIT_NOFILE", "soft": 2, "hard": 2}])"),
                 "process.rlimits[1].type");
    expect_names(with("process.rlimits[0].soft", "2048"), "process.rlimits[0]");
    expect_names(with("process.rlimits[0].hard", "-1"), "process.rlimits[0].hard");
    expect_names(with("process.user.uid", "-1"), "process.user.uid");
    expect_names(with("process.user.gid", "4294967296"), "process.user.gid");
    expect_names(with("process.oomScoreAdj", "1001"), "process.oomScoreAdj");
    expect_names(
        with("linux.devices", R"([{"path": "/dev/x", "type": "x", "major": 1, "minor": 1}])"),
        "linux.devices[0].type");
    expect_names(with("linux.devices", R"([{"path": "/dev/x", "type": "c", "minor": 1}])"),
                 "linux.devices[0].major");
    expect_names(
        with("linux.devices", R"([{"path": "dev/x", "type": "c", "major": 1, "minor": 1}])"),
        "linux.devices[0].path");
    expect_names(with("linux.resources.devices[0].type", R"("p")"),
                 "linux.resources.devices[0].type");
    expect_names(with("linux.resources.devices[0].access", R"("rwx")"),
                 "linux.resources.devices[0].access");
    expect_names(with("linux.resources.blockIO", R"({"weight": 5})"),
                 "linux.resources.blockIO.weight");
    expect_names(with("linux.resources.pids", "{}"), "linux.resources.pids.limit");
    expect_names(with("linux.rootfsPropagation", R"("recursive")"), "linux.rootfsPropagation");
    expect_names(with("linux.maskedPaths[0]", R"("proc/kcore")"), "linux.maskedPaths[0]");
    expect_names(with("linux.sysctl", R"({"../../etc": "1"})"), "linux.sysctl.../../etc");
    expect_names(with("hooks", R"({"poststart": [{"path": "hook"}]})"), "hooks.poststart[0].path");
    expect_names(with("hooks", R"({"poststart": [{"path": "/h", "timeout": 0}]})"),
                 "hooks.poststart[0].timeout");
    expect_names(with("root.path", nullptr), "root.path");
    expect_names(with("process", nullptr), "process");
    expect_names(with("annotations", R"({"": "x"})"), "annotations");
    expect_message(with("ociVersion", R"("2.0.0")"),
                   "config.json: ociVersion '2.0.0' is not supported (1.0.x or 1.1.x), refusing");
    LONGS_EQUAL(EOPNOTSUPP, refused(with("ociVersion", R"("1.2.0")")).code);
    LONGS_EQUAL(EOPNOTSUPP, refused(with("ociVersion", R"("1.10.0")")).code);
    parses(with("ociVersion", R"("1.1.0")"));
}

TEST(RuntimeSpec, SeccompValues) {
    auto sc = [](const char* seccomp) { return with("linux.seccomp", seccomp); };
    expect_names(sc(R"({"syscalls": []})"), "linux.seccomp.defaultAction");
    expect_names(sc(R"({"defaultAction": "SCMP_ACT_DENY"})"), "linux.seccomp.defaultAction");
    expect_names(sc(R"({"defaultAction": "SCMP_ACT_NOTIFY"})"), "linux.seccomp.defaultAction");
    expect_names(sc(R"({"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["x86_64"]})"),
                 "linux.seccomp.architectures[0]");
    expect_names(sc(R"({"defaultAction": "SCMP_ACT_ALLOW", "flags": ["TSYNC"]})"),
                 "linux.seccomp.flags[0]");
    expect_names(sc(R"({"defaultAction": "SCMP_ACT_ALLOW",
                        "syscalls": [{"names": [], "action": "SCMP_ACT_ALLOW"}]})"),
                 "linux.seccomp.syscalls[0].names");
    expect_names(sc(R"({"defaultAction": "SCMP_ACT_ALLOW",
                        "syscalls": [{"names": ["a"], "action": "ALLOW"}]})"),
                 "linux.seccomp.syscalls[0].action");
    expect_names(sc(R"({"defaultAction": "SCMP_ACT_ALLOW",
                        "syscalls": [{"names": ["a"], "action": "SCMP_ACT_ALLOW",
                                      "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_XOR"}]}]})"),
                 "linux.seccomp.syscalls[0].args[0].op");
    expect_names(sc(R"({"defaultAction": "SCMP_ACT_ALLOW",
                        "syscalls": [{"names": ["a"], "action": "SCMP_ACT_ALLOW",
                                      "args": [{"index": 6, "value": 1, "op": "SCMP_CMP_EQ"}]}]})"),
                 "linux.seccomp.syscalls[0].args[0].index");
    expect_names(sc(R"({"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": -1})"),
                 "linux.seccomp.defaultErrnoRet");
}

TEST(RuntimeSpec, MalformedDocuments) {
    LONGS_EQUAL(EBADMSG, refused("{").code);
    LONGS_EQUAL(EBADMSG, refused("[]").code);
    // Two parsers must not disagree on which "args" counts.
    std::string dup = k_runc_spec;
    dup.replace(dup.find("\"ociVersion\""), 0, "\"hostname\": \"a\",");
    LONGS_EQUAL(EBADMSG, refused(dup).code);
}
