#include "c/bus.hpp"

#include <cstring>
#include <utility>

namespace ocipod {

namespace {

// The systemd and machined error names src/run decides on (org.freedesktop.systemd1(5),
// org.freedesktop.machine1(5)); libsystemd maps only the generic D-Bus names itself.
struct NamedError {
    const char* name;
    int code;
};
constexpr NamedError k_named_errors[] = {
    {"org.freedesktop.systemd1.NoSuchUnit", ENOENT},
    {"org.freedesktop.systemd1.LoadFailed", ENOENT},
    {"org.freedesktop.systemd1.NoSuchJob", ENOENT},
    {"org.freedesktop.systemd1.UnitExists", EEXIST},
    {"org.freedesktop.systemd1.UnitMasked", EPERM},
    {"org.freedesktop.machine1.NoSuchMachine", ENOENT},
    {"org.freedesktop.machine1.MachineExists", EEXIST},
    {"org.freedesktop.DBus.Error.AccessDenied", EACCES},
};

// A (uint64, string, bool or device list) value as one "v".
struct VariantAppender {
    sd_bus_message* m;

    int operator()(uint64_t v) const { return sd_bus_message_append(m, "v", "t", v); }
    int operator()(const std::string& v) const {
        return sd_bus_message_append(m, "v", "s", v.c_str());
    }
    int operator()(bool v) const { return sd_bus_message_append(m, "v", "b", int(v)); }
    int operator()(const UnitProperty::DeviceList& list) const {
        int r = sd_bus_message_open_container(m, 'v', "a(ss)");
        if (r < 0) return r;
        r = sd_bus_message_open_container(m, 'a', "(ss)");
        if (r < 0) return r;
        for (const auto& [device, access] : list) {
            r = sd_bus_message_append(m, "(ss)", device.c_str(), access.c_str());
            if (r < 0) return r;
        }
        r = sd_bus_message_close_container(m);
        if (r < 0) return r;
        return sd_bus_message_close_container(m);
    }
};

// sd_bus_error is a C struct with a free function; it must be released on every path.
struct ScopedBusError {
    sd_bus_error e = SD_BUS_ERROR_NULL;
    ScopedBusError() = default;
    ScopedBusError(const ScopedBusError&) = delete;
    ScopedBusError& operator=(const ScopedBusError&) = delete;
    ~ScopedBusError() { sd_bus_error_free(&e); }
};

// sd_bus_get_property leaves the reply positioned inside the variant, at the value.
Result<BusMessage> get_property(sd_bus* bus, const char* destination, const char* path,
                                const char* interface, const char* name, const char* type) {
    ScopedBusError error;
    sd_bus_message* raw = nullptr;
    int r = sd_bus_get_property(bus, destination, path, interface, name, &error.e, &raw, type);
    BusMessage reply(raw);
    if (r < 0) return bus_error(r, &error.e, strf("reading %s.%s of '%s'", interface, name, path));
    return reply;
}

template <class T>
Result<T> read_property(sd_bus* bus, const char* destination, const char* path,
                        const char* interface, const char* name, const char* type) {
    auto reply = TRY(get_property(bus, destination, path, interface, name, type));
    T value{};
    int r = sd_bus_message_read_basic(reply.get(), type[0], &value);
    if (r <= 0) return bus_errno(r, strf("reading %s.%s of '%s'", interface, name, path));
    return value;
}

}  // namespace

Result<Bus> bus_open_system() {
    sd_bus* raw = nullptr;
    int r = sd_bus_default_system(&raw);
    if (r < 0) return bus_errno(r, "connecting to the system bus");
    // sd-bus forgets its default connection when the last reference goes: one is kept here for
    // the life of the thread, so the next caller finds the connection open.
    static thread_local Bus kept;
    if (!kept) kept.reset(sd_bus_ref(raw));
    return Bus(raw);
}

Error bus_error(int r, const sd_bus_error* error, std::string_view what) {
    if (!error || !sd_bus_error_is_set(error)) return bus_errno(r, what);
    int code = 0;
    for (const auto& named : k_named_errors)
        if (sd_bus_error_has_name(error, named.name)) code = named.code;
    if (code == 0) code = sd_bus_error_get_errno(error);
    if (code <= 0) code = r < 0 ? -r : EIO;
    return Error{code, strf("%.*s: %s: %s", int(what.size()), what.data(), error->name,
                            error->message ? error->message : "(no message)")};
}

Error bus_errno(int r, std::string_view what) {
    int code = r < 0 ? -r : EIO;
    return Error{code, strf("%.*s: %s", int(what.size()), what.data(), strerror(code))};
}

Result<BusMessage> bus_method_call(sd_bus* bus, const char* destination, const char* path,
                                   const char* interface, const char* member) {
    sd_bus_message* raw = nullptr;
    int r = sd_bus_message_new_method_call(bus, &raw, destination, path, interface, member);
    if (r < 0) return bus_errno(r, strf("preparing %s.%s", interface, member));
    return BusMessage(raw);
}

Result<BusMessage> bus_call(sd_bus* bus, sd_bus_message* request) {
    ScopedBusError error;
    sd_bus_message* raw = nullptr;
    int r = sd_bus_call(bus, request, 0, &error.e, &raw);
    BusMessage reply(raw);
    if (r < 0) {
        const char* interface = sd_bus_message_get_interface(request);
        const char* member = sd_bus_message_get_member(request);
        return bus_error(r, &error.e,
                         strf("calling %s.%s", interface ? interface : "?", member ? member : "?"));
    }
    return reply;
}

Status bus_append_property_entries(sd_bus_message* m, const std::vector<UnitProperty>& properties) {
    for (const auto& p : properties) {
        int r = sd_bus_message_open_container(m, 'r', "sv");
        if (r >= 0) r = sd_bus_message_append_basic(m, 's', p.name.c_str());
        if (r >= 0) r = std::visit(VariantAppender{m}, p.value);
        if (r >= 0) r = sd_bus_message_close_container(m);
        if (r < 0) return bus_errno(r, strf("appending unit property '%s'", p.name.c_str()));
    }
    return {};
}

Status bus_append_properties(sd_bus_message* m, const std::vector<UnitProperty>& properties) {
    int r = sd_bus_message_open_container(m, 'a', "(sv)");
    if (r < 0) return bus_errno(r, "appending unit properties");
    TRY(bus_append_property_entries(m, properties));
    r = sd_bus_message_close_container(m);
    if (r < 0) return bus_errno(r, "appending unit properties");
    return {};
}

Status bus_append_strv(sd_bus_message* m, const std::vector<std::string>& strings) {
    int r = sd_bus_message_open_container(m, 'a', "s");
    for (size_t i = 0; r >= 0 && i < strings.size(); i++)
        r = sd_bus_message_append_basic(m, 's', strings[i].c_str());
    if (r >= 0) r = sd_bus_message_close_container(m);
    if (r < 0) return bus_errno(r, "appending a string array");
    return {};
}

Result<std::string> bus_read_string(sd_bus_message* m, char type) {
    const char* s = nullptr;
    int r = sd_bus_message_read_basic(m, type, &s);
    if (r < 0) return bus_errno(r, "reading a reply");
    if (r == 0 || !s) return make_error(EPROTO, "reading a reply: the argument is missing");
    return std::string(s);
}

Result<std::string> bus_get_string_property(sd_bus* bus, const char* destination, const char* path,
                                            const char* interface, const char* name) {
    auto reply = TRY(get_property(bus, destination, path, interface, name, "s"));
    return TRY_WRAP(bus_read_string(reply.get(), 's'),
                    strf("reading %s.%s of '%s'", interface, name, path));
}

Result<uint32_t> bus_get_u32_property(sd_bus* bus, const char* destination, const char* path,
                                      const char* interface, const char* name) {
    return read_property<uint32_t>(bus, destination, path, interface, name, "u");
}

Result<bool> bus_get_bool_property(sd_bus* bus, const char* destination, const char* path,
                                   const char* interface, const char* name) {
    int v = TRY(read_property<int>(bus, destination, path, interface, name, "b"));
    return v != 0;
}

Result<JobWaiter> JobWaiter::create(sd_bus* bus) {
    JobWaiter w;
    w.bus_ = bus;
    w.finished_ = std::make_unique<std::map<std::string, std::string>>();
    sd_bus_slot* slot = nullptr;
    int r = sd_bus_match_signal(bus, &slot, k_systemd_service, k_systemd_path, k_systemd_manager,
                                "JobRemoved", on_job_removed, w.finished_.get());
    if (r < 0) return bus_errno(r, "subscribing to systemd's JobRemoved signal");
    w.match_.reset(slot);
    // Subscribe asks systemd to send its job signals to this connection at all times (it sends
    // JobRemoved to the job's requester anyway; this is the documented way).
    auto call = TRY(
        bus_method_call(bus, k_systemd_service, k_systemd_path, k_systemd_manager, "Subscribe"));
    ScopedBusError error;
    sd_bus_message* raw = nullptr;
    r = sd_bus_call(bus, call.get(), 0, &error.e, &raw);
    BusMessage reply(raw);
    if (r < 0 && !sd_bus_error_has_name(&error.e, "org.freedesktop.systemd1.AlreadySubscribed"))
        return bus_error(r, &error.e, "calling org.freedesktop.systemd1.Manager.Subscribe");
    return w;
}

int JobWaiter::on_job_removed(sd_bus_message* m, void* userdata, sd_bus_error*) {
    uint32_t id = 0;
    const char *path = nullptr, *unit = nullptr, *result = nullptr;
    if (sd_bus_message_read(m, "uoss", &id, &path, &unit, &result) < 0) return 0;
    static_cast<std::map<std::string, std::string>*>(userdata)->insert_or_assign(path, result);
    return 0;
}

Result<std::string> JobWaiter::wait(const std::string& job_path) {
    for (;;) {
        auto it = finished_->find(job_path);
        if (it != finished_->end()) return it->second;
        int r = sd_bus_process(bus_, nullptr);
        if (r < 0) return bus_errno(r, strf("waiting for job '%s'", job_path.c_str()));
        if (r > 0) continue;
        r = sd_bus_wait(bus_, UINT64_MAX);
        if (r < 0 && r != -EINTR)
            return bus_errno(r, strf("waiting for job '%s'", job_path.c_str()));
    }
}

}  // namespace ocipod
