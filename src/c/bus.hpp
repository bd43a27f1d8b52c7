// sd-bus, owned and checked: every sd_bus, message and slot in a CPtr, every failed call an Error
// whose message carries the D-Bus error name ("org.freedesktop.machine1.NoSuchMachine: ..."), so
// users see what systemd said. The error names src/run branches on are mapped to errno codes
// (NoSuchUnit/NoSuchMachine -> ENOENT, UnitExists/MachineExists -> EEXIST) because libsystemd
// itself only knows the generic org.freedesktop.DBus.Error names. Only src/run uses this.
#pragma once

#include <systemd/sd-bus.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "base/unique_fd.hpp"
#include "run/unit_properties.hpp"

namespace ocipod {

// A reference to the process's system bus connection (bus_open_system).
using Bus = CPtr<sd_bus, sd_bus_unref>;
using BusMessage = CPtr<sd_bus_message, sd_bus_message_unref>;
using BusSlot = CPtr<sd_bus_slot, sd_bus_slot_unref>;

// The well-known destinations and paths src/run talks to.
inline constexpr const char* k_systemd_service = "org.freedesktop.systemd1";
inline constexpr const char* k_systemd_path = "/org/freedesktop/systemd1";
inline constexpr const char* k_systemd_manager = "org.freedesktop.systemd1.Manager";
inline constexpr const char* k_machined_service = "org.freedesktop.machine1";
inline constexpr const char* k_machined_path = "/org/freedesktop/machine1";
inline constexpr const char* k_machined_manager = "org.freedesktop.machine1.Manager";

// The system bus ($DBUS_SYSTEM_BUS_ADDRESS or /run/dbus/system_bus_socket): sd-bus's default
// connection of this thread, opened on first use and kept until exit, so a pod's registration,
// its unregistration and a unit's start share one connection instead of authenticating anew.
// Every call on it is synchronous, so nothing is left unsent when the process ends.
Result<Bus> bus_open_system();

// A failed sd-bus call: code from the error name (or -r), message "what: NAME: text".
Error bus_error(int r, const sd_bus_error* error, std::string_view what);
// A failed sd_bus_message_append/read and similar local calls: "what: strerror(-r)".
Error bus_errno(int r, std::string_view what);

// A method call message, ready for appending arguments.
Result<BusMessage> bus_method_call(sd_bus* bus, const char* destination, const char* path,
                                   const char* interface, const char* member);

// Send and wait for the reply (sd-bus' default timeout, 25 s). Errors are named after
// "interface.member" of the request.
Result<BusMessage> bus_call(sd_bus* bus, sd_bus_message* request);

// Append the a(sv) property array of StartTransientUnit/CreateMachine: "t", "s", "b" and the
// DeviceAllow "a(ss)" values of UnitProperty.
Status bus_append_properties(sd_bus_message* m, const std::vector<UnitProperty>& properties);
// The same entries into an "a(sv)" container the caller opened (to mix in other value types).
Status bus_append_property_entries(sd_bus_message* m, const std::vector<UnitProperty>& properties);

// Append an "as" from strings.
Status bus_append_strv(sd_bus_message* m, const std::vector<std::string>& strings);

// Read one "o" or "s" argument (the next in the message).
Result<std::string> bus_read_string(sd_bus_message* m, char type);

// A property of an object: "s" (or "o"), "u", "b" and "t" values.
Result<std::string> bus_get_string_property(sd_bus* bus, const char* destination, const char* path,
                                            const char* interface, const char* name);
Result<uint32_t> bus_get_u32_property(sd_bus* bus, const char* destination, const char* path,
                                      const char* interface, const char* name);
Result<bool> bus_get_bool_property(sd_bus* bus, const char* destination, const char* path,
                                   const char* interface, const char* name);

// Waits for systemd jobs: construct it (it adds the JobRemoved match and calls Subscribe) BEFORE
// the call that enqueues the job, so no JobRemoved signal can be missed; then wait(job_path).
class JobWaiter {
public:
    static Result<JobWaiter> create(sd_bus* bus);

    // Process the bus until JobRemoved names this job; its result ("done", "failed", "canceled",
    // "timeout", "dependency", "skipped", ...). The bus going away is an error.
    Result<std::string> wait(const std::string& job_path);

    JobWaiter(JobWaiter&&) = default;
    JobWaiter& operator=(JobWaiter&&) = default;

private:
    JobWaiter() = default;
    static int on_job_removed(sd_bus_message* m, void* userdata, sd_bus_error* error);

    sd_bus* bus_ = nullptr;
    // Heap-held, so the match's userdata pointer survives moves of the waiter.
    std::unique_ptr<std::map<std::string, std::string>> finished_;
    BusSlot match_;
};

}  // namespace ocipod
