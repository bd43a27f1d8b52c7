#include "run/transient_service.hpp"

#include <cstring>

#include "c/bus.hpp"

namespace ocipod {

namespace {

constexpr const char* k_unit_interface = "org.freedesktop.systemd1.Unit";
constexpr const char* k_service_interface = "org.freedesktop.systemd1.Service";

// "oci-pod-web.service" -> "web": the journal identifier users filter on (journalctl -t web).
std::string syslog_identifier(const std::string& unit) {
    std::string name = unit;
    if (ends_with(name, ".service")) name.resize(name.size() - strlen(".service"));
    if (starts_with(name, "oci-pod-") && name.size() > strlen("oci-pod-"))
        name = name.substr(strlen("oci-pod-"));
    return name;
}

// GetUnit: the object path of a loaded unit; ENOENT (NoSuchUnit) when it is not loaded.
Result<std::string> loaded_unit_path(sd_bus* bus, const std::string& unit) {
    auto call =
        TRY(bus_method_call(bus, k_systemd_service, k_systemd_path, k_systemd_manager, "GetUnit"));
    int r = sd_bus_message_append(call.get(), "s", unit.c_str());
    if (r < 0) return bus_errno(r, "preparing GetUnit");
    auto reply = bus_call(bus, call.get());
    if (!reply && reply.error().code == ENOENT)
        return make_error(ENOENT, "unit '%s' is not loaded", unit.c_str());
    if (!reply) return std::move(reply).error();
    return bus_read_string(reply->get(), 'o');
}

// ExecStart= as a(sasb): one command, its argv, and "do not ignore failure".
Status append_exec_start(sd_bus_message* m, const std::vector<std::string>& argv) {
    int r = sd_bus_message_open_container(m, 'r', "sv");
    if (r >= 0) r = sd_bus_message_append_basic(m, 's', "ExecStart");
    if (r >= 0) r = sd_bus_message_open_container(m, 'v', "a(sasb)");
    if (r >= 0) r = sd_bus_message_open_container(m, 'a', "(sasb)");
    if (r >= 0) r = sd_bus_message_open_container(m, 'r', "sasb");
    if (r >= 0) r = sd_bus_message_append_basic(m, 's', argv[0].c_str());
    if (r < 0) return bus_errno(r, "appending ExecStart");
    TRY(bus_append_strv(m, argv));
    r = sd_bus_message_append(m, "b", 0);
    for (int i = 0; r >= 0 && i < 4; i++) r = sd_bus_message_close_container(m);
    if (r < 0) return bus_errno(r, "appending ExecStart");
    return {};
}

Status append_environment(sd_bus_message* m, const std::vector<std::string>& environment) {
    int r = sd_bus_message_open_container(m, 'r', "sv");
    if (r >= 0) r = sd_bus_message_append_basic(m, 's', "Environment");
    if (r >= 0) r = sd_bus_message_open_container(m, 'v', "as");
    if (r < 0) return bus_errno(r, "appending Environment");
    TRY(bus_append_strv(m, environment));
    r = sd_bus_message_close_container(m);
    if (r >= 0) r = sd_bus_message_close_container(m);
    if (r < 0) return bus_errno(r, "appending Environment");
    return {};
}

// What systemd knows about a unit whose start failed ("the unit is failed/failed, service result
// 'exit-code'"), or where to look when the unit is gone already (CollectMode=inactive-or-failed).
std::string failure_detail(sd_bus* bus, const std::string& unit) {
    auto path = loaded_unit_path(bus, unit);
    if (!path) return strf("; see 'journalctl -u %s'", unit.c_str());
    auto active = bus_get_string_property(bus, k_systemd_service, path->c_str(), k_unit_interface,
                                          "ActiveState");
    auto sub = bus_get_string_property(bus, k_systemd_service, path->c_str(), k_unit_interface,
                                       "SubState");
    auto result = bus_get_string_property(bus, k_systemd_service, path->c_str(),
                                          k_service_interface, "Result");
    std::string out;
    if (active && sub) out = "; the unit is " + *active + "/" + *sub;
    if (result && !result->empty() && *result != "success")
        out += ", service result '" + *result + "'";
    return out;
}

Status check_job_result(sd_bus* bus, const std::string& result, const char* verb,
                        const std::string& unit) {
    if (result == "done") return {};
    return make_error(EIO, "%s '%s' failed: job result '%s'%s", verb, unit.c_str(), result.c_str(),
                      failure_detail(bus, unit).c_str());
}

}  // namespace

Status start_transient_service(const TransientService& service) {
    std::string context = strf("starting '%s'", service.unit.c_str());
    if (!ends_with(service.unit, ".service"))
        return make_error(EINVAL, "%s: not a .service unit name", context.c_str());
    if (service.argv.empty() || service.argv[0].empty() || service.argv[0][0] != '/')
        return make_error(EINVAL, "%s: the command must be an absolute path", context.c_str());
    if (service.stop_timeout_sec < 0)
        return make_error(EINVAL, "%s: negative stop timeout", context.c_str());

    auto bus = TRY_WRAP(bus_open_system(), context);
    auto waiter = TRY_WRAP(JobWaiter::create(bus.get()), context);
    auto call = TRY_WRAP(bus_method_call(bus.get(), k_systemd_service, k_systemd_path,
                                         k_systemd_manager, "StartTransientUnit"),
                         context);
    sd_bus_message* m = call.get();
    int r = sd_bus_message_append(m, "ss", service.unit.c_str(), "fail");
    if (r >= 0) r = sd_bus_message_open_container(m, 'a', "(sv)");
    if (r < 0) return bus_errno(r, context);

    // Type=exec: the start job completes once the command was executed, so a missing binary is
    // a failed start and not a service that dies later. KillMode=mixed: SIGTERM to the runner
    // only (it forwards to the pod's init), SIGKILL to everything at the stop timeout.
    // Delegate=yes: the runner moves the pod into a payload/ sub-cgroup (DESIGN.md §6).
    std::vector<UnitProperty> fixed = {
        {"Type", std::string("exec")},
        {"KillMode", std::string("mixed")},
        {"Delegate", true},
        {"CollectMode", std::string("inactive-or-failed")},
        {"StandardOutput", std::string("journal")},
        {"StandardError", std::string("journal")},
        {"SyslogIdentifier", syslog_identifier(service.unit)},
        {"TimeoutStopUSec", uint64_t(service.stop_timeout_sec) * 1000000},
    };
    if (!service.description.empty())
        fixed.insert(fixed.begin(), {"Description", service.description});
    TRY_WRAP(bus_append_property_entries(m, fixed), context);
    TRY_WRAP(append_exec_start(m, service.argv), context);
    if (!service.environment.empty()) TRY_WRAP(append_environment(m, service.environment), context);
    TRY_WRAP(bus_append_property_entries(m, service.properties), context);
    r = sd_bus_message_close_container(m);
    // No auxiliary units.
    if (r >= 0) r = sd_bus_message_append(m, "a(sa(sv))", 0);
    if (r < 0) return bus_errno(r, context);

    auto reply = bus_call(bus.get(), m);
    if (!reply && reply.error().code == EEXIST)
        return make_error(EEXIST, "unit '%s' already exists, refusing.", service.unit.c_str());
    if (!reply) return std::move(reply).error().wrap(context);
    auto job = TRY_WRAP(bus_read_string(reply->get(), 'o'), context);
    auto result = TRY_WRAP(waiter.wait(job), context);
    return check_job_result(bus.get(), result, "starting", service.unit);
}

Status stop_unit(const std::string& unit) {
    std::string context = strf("stopping '%s'", unit.c_str());
    auto bus = TRY_WRAP(bus_open_system(), context);
    // StopUnit would load an unknown name just to stop it; only loaded units count here.
    TRY_WRAP(loaded_unit_path(bus.get(), unit), context);
    auto waiter = TRY_WRAP(JobWaiter::create(bus.get()), context);
    auto call = TRY_WRAP(bus_method_call(bus.get(), k_systemd_service, k_systemd_path,
                                         k_systemd_manager, "StopUnit"),
                         context);
    int r = sd_bus_message_append(call.get(), "ss", unit.c_str(), "replace");
    if (r < 0) return bus_errno(r, context);
    auto reply = TRY_WRAP(bus_call(bus.get(), call.get()), context);
    auto job = TRY_WRAP(bus_read_string(reply.get(), 'o'), context);
    auto result = TRY_WRAP(waiter.wait(job), context);
    return check_job_result(bus.get(), result, "stopping", unit);
}

Status set_unit_properties(const std::string& unit, const std::vector<UnitProperty>& properties) {
    std::string what = strf("setting the limits of '%s'", unit.c_str());
    auto bus = TRY_WRAP(bus_open_system(), what);
    auto call = TRY(bus_method_call(bus.get(), k_systemd_service, k_systemd_path, k_systemd_manager,
                                    "SetUnitProperties"));
    int r = sd_bus_message_append(call.get(), "sb", unit.c_str(), 1);
    if (r < 0) return bus_errno(r, what);
    TRY(bus_append_properties(call.get(), properties));
    TRY_WRAP(bus_call(bus.get(), call.get()), what);
    return {};
}

Result<std::string> unit_active_state(const std::string& unit) {
    auto bus = TRY_WRAP(bus_open_system(), strf("reading the state of '%s'", unit.c_str()));
    auto path = TRY(loaded_unit_path(bus.get(), unit));
    return TRY_WRAP(bus_get_string_property(bus.get(), k_systemd_service, path.c_str(),
                                            k_unit_interface, "ActiveState"),
                    strf("reading the state of '%s'", unit.c_str()));
}

}  // namespace ocipod
