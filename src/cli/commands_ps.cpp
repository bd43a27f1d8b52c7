// oci-pod ps and oci-pod status: pods as their records, locks and the runtime's state show them.
// A pod counts as running only while its runner holds the pod's lock, so a runner that died
// leaves a pod that lists as exited, never as a ghost "running" one.
#include <cstdio>
#include <ctime>

#include "base/log.hpp"
#include "c/json.hpp"
#include "cli/commands.hpp"
#include "cli/pod_runner.hpp"
#include "cli/table.hpp"
#include "cli/time_text.hpp"

namespace ocipod {

namespace {

std::string without_ago(std::string s) {
    if (ends_with(s, " ago")) s.resize(s.size() - 4);
    return s;
}

std::string status_text(const PodView& v, int64_t now) {
    if (v.running) {
        std::string up = v.started ? "Up " + without_ago(relative_time(v.started, now)) : "Up";
        return v.state == "running" ? up : up + " (" + v.state + ")";
    }
    if (!v.exit) return "Created";
    std::string text = strf("Exited (%d)", v.exit->exit_code);
    if (auto t = parse_rfc3339(v.exit->finished_at)) text += " " + relative_time(*t, now);
    return text;
}

std::string created_text(const PodView& v, int64_t now) {
    auto t = parse_rfc3339(v.record.created);
    return t ? relative_time(*t, now) : "";
}

JsonPtr view_json(const PodView& v, const PodDirs& dirs, bool details) {
    JsonPtr o(json_object());
    json_object_set_new(o.get(), "name", json_string(v.record.name.c_str()));
    json_object_set_new(o.get(), "image", json_string(v.record.image.c_str()));
    json_object_set_new(o.get(), "imageDigest", json_string(v.record.image_digest.c_str()));
    json_object_set_new(o.get(), "state", json_string(v.state.c_str()));
    json_object_set_new(o.get(), "pid", json_integer(v.pid));
    json_object_set_new(o.get(), "created", json_string(v.record.created.c_str()));
    json_object_set_new(o.get(), "command", json_from_string_array(v.record.command).release());
    if (v.running && v.started) {
        json_object_set_new(o.get(), "startedAt",
                            json_string(rfc3339_utc(int64_t(v.started)).c_str()));
    }
    if (v.exit) {
        json_object_set_new(o.get(), "exitCode", json_integer(v.exit->exit_code));
        json_object_set_new(o.get(), "finishedAt", json_string(v.exit->finished_at.c_str()));
        if (!v.exit->signal.empty())
            json_object_set_new(o.get(), "signal", json_string(v.exit->signal.c_str()));
        if (!v.exit->error.empty())
            json_object_set_new(o.get(), "error", json_string(v.exit->error.c_str()));
    }
    if (details) {
        json_object_set_new(o.get(), "runnerPid", json_integer(v.runner_pid));
        json_object_set_new(o.get(), "machine", json_string(v.machine.c_str()));
        json_object_set_new(o.get(), "unit", json_string(v.unit.c_str()));
        json_object_set_new(o.get(), "bundle", json_string(dirs.bundle_dir(v.record.name).c_str()));
        json_object_set_new(o.get(), "remove", json_boolean(v.record.remove));
        json_object_set_new(o.get(), "detach", json_boolean(v.record.detach));
        json_object_set_new(o.get(), "stopTimeout", json_integer(v.record.stop_timeout_sec));
    }
    return o;
}

std::string join_words(const std::vector<std::string>& words) {
    std::string out;
    for (const auto& w : words) out += (out.empty() ? "" : " ") + printable(w, 80);
    return out;
}

}  // namespace

int cmd_ps(const GlobalOptions& global, const PsArgs& args) {
    PodDirs dirs(global.root);
    auto names = list_pods(dirs);
    if (!names) {
        log_error("%s", names.error().message.c_str());
        return exit_failure;
    }
    int64_t now = time(nullptr);
    std::vector<PodView> views;
    for (const std::string& name : *names) {
        auto v = view_pod(dirs, name);
        // A pod removed while listing, or one half-created: not listed.
        if (!v) continue;
        if (!args.all && !v->running) continue;
        views.push_back(std::move(*v));
    }
    if (args.json) {
        JsonPtr arr(json_array());
        for (const PodView& v : views)
            json_array_append_new(arr.get(), view_json(v, dirs, false).release());
        printf("%s\n", json_dump(arr.get(), true).c_str());
        return 0;
    }
    Table table({"NAME", "IMAGE", "STATE", "PID", "CREATED", "STATUS"});
    for (const PodView& v : views)
        table.add_row({v.record.name, v.record.image, v.state, v.pid ? strf("%d", v.pid) : "-",
                       created_text(v, now), status_text(v, now)});
    fputs(table.render().c_str(), stdout);
    return 0;
}

int cmd_status(const GlobalOptions& global, const PodArgs& args) {
    PodDirs dirs(global.root);
    auto v = view_pod(dirs, args.name);
    if (!v) {
        log_error("%s", v.error().message.c_str());
        return exit_failure;
    }
    if (args.json) {
        printf("%s\n", json_dump(view_json(*v, dirs, true).get(), true).c_str());
        return 0;
    }
    int64_t now = time(nullptr);
    auto line = [](const char* key, const std::string& value) {
        if (!value.empty()) printf("%-10s %s\n", key, value.c_str());
    };
    line("Name:", v->record.name);
    line("Image:", v->record.image +
                       (v->record.image_digest.empty() ? "" : " (" + v->record.image_digest + ")"));
    line("State:", v->state);
    line("Status:", status_text(*v, now));
    line("Created:", v->record.created);
    line("Command:", join_words(v->record.command));
    if (v->pid) line("PID:", strf("%d", v->pid));
    if (v->runner_pid) line("Runner:", strf("%d", v->runner_pid));
    line("Machine:", v->machine);
    line("Unit:", v->unit);
    line("Bundle:", dirs.bundle_dir(v->record.name));
    if (v->exit) {
        std::string code = strf("%d", v->exit->exit_code);
        if (!v->exit->signal.empty()) code += " (" + v->exit->signal + ")";
        line("Exit:", code);
        line("Finished:", v->exit->finished_at);
        line("Error:", v->exit->error);
    }
    return 0;
}

}  // namespace ocipod
