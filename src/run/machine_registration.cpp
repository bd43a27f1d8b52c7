#include "run/machine_registration.hpp"

#include <fcntl.h>
#include <linux/magic.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <thread>

#include "base/fs.hpp"
#include "base/unique_fd.hpp"
#include "c/bus.hpp"
#include "run/cgroup_files.hpp"

namespace ocipod {

namespace {

constexpr const char* k_machine_interface = "org.freedesktop.machine1.Machine";
constexpr const char* k_service_name = "oci-pod";  // the "service" field machinectl shows

// This process' cgroup paths from /proc/self/cgroup: the cgroup v2 ("0::") line and the
// name=systemd line of a legacy or hybrid hierarchy (the one systemd tracks units with there).
struct OwnCgroups {
    std::string unified, named;
};

OwnCgroups own_cgroups() {
    OwnCgroups out;
    auto lines = read_own_cgroups();
    if (!lines) return out;
    for (const CgroupMembership& m : *lines) {
        if (m.controllers.empty()) out.unified = m.path;
        if (m.controllers == "name=systemd") out.named = m.path;
    }
    return out;
}

// The path systemd knows this process by: name=systemd where it exists (on a hybrid host the
// "0::" line may just read "/"), else the unified one.
std::string own_unit_cgroup() {
    auto cg = own_cgroups();
    return cg.named.empty() ? cg.unified : cg.named;
}

bool is_cgroup2(const char* path) {
    struct statfs st {};
    return statfs(path, &st) == 0 && st.f_type == CGROUP2_SUPER_MAGIC;
}

// Write `pid` to DIR/payload/cgroup.procs under one hierarchy, creating payload/ first.
Status move_into_payload(const std::string& hierarchy, const std::string& cgroup, pid_t pid) {
    if (cgroup.empty() || cgroup == "/")
        return make_error(ENOENT, "no cgroup in '%s'", hierarchy.c_str());
    std::string dir = hierarchy + cgroup + "/payload";
    if (mkdir(dir.c_str(), 0755) < 0 && errno != EEXIST)
        return errno_error("creating '%s'", dir.c_str());
    UniqueFd dir_fd = TRY(open_dir(AT_FDCWD, dir, false));
    return write_cgroup_file(dir_fd.get(), "cgroup.procs", std::to_string(pid))
        .wrap(strf("moving PID %d into '%s'", int(pid), dir.c_str()));
}

// DESIGN.md §6: inside a unit, the pod's processes go to a payload/ sub-cgroup, allowed only
// when the unit delegates its subtree (Delegate=yes); otherwise the leader stays where it is.
void move_leader_to_payload(sd_bus* bus, const std::string& unit, pid_t leader) {
    auto call =
        bus_method_call(bus, k_systemd_service, k_systemd_path, k_systemd_manager, "GetUnit");
    if (!call || sd_bus_message_append(call->get(), "s", unit.c_str()) < 0) return;
    auto reply = bus_call(bus, call->get());
    if (!reply) return;
    auto path = bus_read_string(reply->get(), 'o');
    if (!path) return;
    auto delegated = bus_get_bool_property(bus, k_systemd_service, path->c_str(),
                                           "org.freedesktop.systemd1.Service", "Delegate");
    if (!delegated || !*delegated) return;

    // Best effort by design: a read-only or foreign cgroup tree leaves the leader in the unit.
    auto cg = own_cgroups();
    if (is_cgroup2("/sys/fs/cgroup")) {
        (void)move_into_payload("/sys/fs/cgroup", cg.unified, leader);
        return;
    }
    if (!cg.named.empty()) (void)move_into_payload("/sys/fs/cgroup/systemd", cg.named, leader);
    if (is_cgroup2("/sys/fs/cgroup/unified"))
        (void)move_into_payload("/sys/fs/cgroup/unified", cg.unified, leader);
}

std::string last_component(const std::string& path) {
    auto slash = path.rfind('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

// systemd's unit_name_escape(): letters, digits, ':', '_' and '.' (not leading) stay, '/'
// becomes '-', every other byte \xNN. machined names a machine's scope "machine-" + this +
// ".scope".
std::string unit_name_escape(std::string_view name) {
    std::string out;
    for (size_t i = 0; i < name.size(); ++i) {
        unsigned char c = static_cast<unsigned char>(name[i]);
        bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == ':' || c == '_' || (c == '.' && i > 0);
        if (keep)
            out += char(c);
        else if (c == '/')
            out += '-';
        else
            out += strf("\\x%02x", c);
    }
    return out;
}

Result<BusMessage> create_or_register(sd_bus* bus, const MachineRequest& request,
                                      SystemdPlacement placement) {
    bool scope = placement == SystemdPlacement::scope;
    auto call = TRY(bus_method_call(bus, k_machined_service, k_machined_path, k_machined_manager,
                                    scope ? "CreateMachine" : "RegisterMachine"));
    // An empty id: machined(5) takes "an empty array" when no UUID identifies the machine.
    int r = sd_bus_message_append(call.get(), "s", request.name.c_str());
    if (r >= 0) r = sd_bus_message_append_array(call.get(), 'y', nullptr, 0);
    if (r >= 0)
        r = sd_bus_message_append(call.get(), "ssus", k_service_name, "container",
                                  uint32_t(request.leader), request.root_directory.c_str());
    if (r < 0) return bus_errno(r, "preparing the machine registration");
    if (scope) {
        std::vector<UnitProperty> properties;
        if (!request.description.empty())
            properties.push_back({"Description", request.description});
        properties.insert(properties.end(), request.properties.begin(), request.properties.end());
        TRY(bus_append_properties(call.get(), properties));
    }
    return bus_call(bus, call.get());
}

Result<std::string> machine_path(sd_bus* bus, const std::string& name) {
    auto call = TRY(bus_method_call(bus, k_machined_service, k_machined_path, k_machined_manager,
                                    "GetMachine"));
    int r = sd_bus_message_append(call.get(), "s", name.c_str());
    if (r < 0) return bus_errno(r, "preparing GetMachine");
    auto reply = TRY(bus_call(bus, call.get()));
    return bus_read_string(reply.get(), 'o');
}

Status call_on_machine(sd_bus* bus, const char* member, const std::string& name) {
    auto call =
        TRY(bus_method_call(bus, k_machined_service, k_machined_path, k_machined_manager, member));
    int r = sd_bus_message_append(call.get(), "s", name.c_str());
    if (r < 0) return bus_errno(r, strf("preparing %s", member));
    TRY(bus_call(bus, call.get()));
    return {};
}

// A machine of this name exists. If its leader is gone (a pod that died without unregistering,
// its scope kept alive by a leftover process), terminate it and wait until machined drops it;
// a live one is refused.
Status clear_stale_machine(sd_bus* bus, const std::string& name) {
    auto path = machine_path(bus, name);
    if (!path) return path.error().code == ENOENT ? Status{} : Status{std::move(path).error()};
    auto leader =
        bus_get_u32_property(bus, k_machined_service, path->c_str(), k_machine_interface, "Leader");
    if (!leader)
        return leader.error().code == ENOENT ? Status{} : Status{std::move(leader).error()};
    if (*leader != 0 && (kill(pid_t(*leader), 0) == 0 || errno != ESRCH))
        return make_error(EEXIST,
                          "a machine named '%s' is already running (leader PID %u), refusing.",
                          name.c_str(), *leader);
    auto terminated = call_on_machine(bus, "TerminateMachine", name);
    if (!terminated && terminated.error().code != ENOENT)
        return std::move(terminated)
            .error()
            .wrap(strf("removing the stale machine '%s'", name.c_str()));
    // machined keeps the machine until its scope has stopped; the scope's own stop timeout
    // bounds that, this loop only bounds a machined that never answers as expected.
    for (int i = 0; i < 1200; i++) {
        auto still = machine_path(bus, name);
        if (!still) {
            if (still.error().code == ENOENT) return {};
            return std::move(still).error();
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return make_error(EBUSY, "the stale machine '%s' did not go away after TerminateMachine",
                      name.c_str());
}

}  // namespace

SystemdPlacement detect_systemd_placement() {
    if (sd_booted() <= 0) return SystemdPlacement::none;
    const char* invocation = getenv("INVOCATION_ID");
    if (invocation && *invocation && ends_with(own_unit_cgroup(), ".service"))
        return SystemdPlacement::unit;
    return SystemdPlacement::scope;
}

std::string own_unit() {
    return last_component(own_unit_cgroup());
}

bool is_valid_machine_name(const std::string& name) {
    // systemd's hostname_is_valid(): letters, digits, '-' and '.', labels neither starting nor
    // ending with '-', no empty label, no trailing dot, at most HOST_NAME_MAX (64) characters.
    if (name.empty() || name.size() > 64) return false;
    bool label_start = true;
    char prev = 0;
    for (char ch : name) {
        bool alnum =
            (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
        if (ch == '.') {
            if (label_start || prev == '-') return false;
            label_start = true;
        } else if (ch == '-') {
            if (label_start) return false;
            label_start = false;
        } else if (alnum) {
            label_start = false;
        } else {
            return false;
        }
        prev = ch;
    }
    return prev != '.' && prev != '-';
}

Result<MachineRegistration> register_machine(const MachineRequest& request,
                                             SystemdPlacement placement) {
    MachineRegistration reg{request.name, "", false};
    if (placement == SystemdPlacement::none) return reg;
    if (!is_valid_machine_name(request.name))
        return make_error(EINVAL,
                          "'%s' is not a valid machine name (letters, digits, '-' and '.', "
                          "at most 64 characters), refusing.",
                          printable(request.name, 80).c_str());
    if (request.leader <= 0)
        return make_error(EINVAL, "registering machine '%s': no leader PID", request.name.c_str());
    if (!request.root_directory.empty() && request.root_directory[0] != '/')
        return make_error(EINVAL, "registering machine '%s': root directory '%s' is not absolute",
                          request.name.c_str(), request.root_directory.c_str());
    std::string context = strf("registering machine '%s'", request.name.c_str());
    auto bus = TRY_WRAP(bus_open_system(), context);

    std::string own_unit;
    if (placement == SystemdPlacement::unit) {
        own_unit = ocipod::own_unit();
        move_leader_to_payload(bus.get(), own_unit, request.leader);
    }

    auto reply = create_or_register(bus.get(), request, placement);
    if (!reply && reply.error().code == EEXIST) {
        TRY_WRAP(clear_stale_machine(bus.get(), request.name), context);
        reply = create_or_register(bus.get(), request, placement);
    }
    if (!reply) return std::move(reply).error().wrap(context);
    reg.registered = true;
    // The unit as machined names it, known without asking it again.
    reg.unit = placement == SystemdPlacement::scope
                   ? "machine-" + unit_name_escape(request.name) + ".scope"
                   : own_unit;
    return reg;
}

Status unregister_machine(MachineRegistration& registration) {
    if (!registration.registered) return {};
    std::string context = strf("unregistering machine '%s'", registration.name.c_str());
    auto bus = TRY_WRAP(bus_open_system(), context);
    auto done = call_on_machine(bus.get(), "UnregisterMachine", registration.name);
    if (!done && done.error().code != ENOENT) return std::move(done).error().wrap(context);
    registration.registered = false;
    return {};
}

}  // namespace ocipod
