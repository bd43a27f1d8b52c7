// oci-pod pod validate|create|list: the pod files oci-pod@NAME.service runs (cli/pod_file.hpp).
#include <fcntl.h>
#include <sys/stat.h>

#include <cstdio>

#include "base/fs.hpp"
#include "base/log.hpp"
#include "c/json.hpp"
#include "cli/commands.hpp"
#include "cli/pod_file.hpp"
#include "cli/table.hpp"
#include "run/machine_registration.hpp"
#include "run/transient_service.hpp"

namespace ocipod {

namespace {

int fail(const Error& e) {
    log_error("%s", e.message.c_str());
    return exit_failure;
}

// The service's ActiveState, "inactive" for a unit systemd has not loaded, "-" without systemd.
std::string service_state(const std::string& name) {
    if (detect_systemd_placement() == SystemdPlacement::none) return "-";
    auto state = unit_active_state("oci-pod@" + name + ".service");
    if (!state) return state.error().code == ENOENT ? "inactive" : "unknown";
    return *state;
}

}  // namespace

int cmd_pod_validate(const PodFileArgs& args) {
    auto pod = args.target.find('/') != std::string::npos
                   ? load_pod_file_at(args.target)
                   : load_pod_file(args.target, pod_file_dirs());
    if (!pod) return fail(pod.error());
    printf("%s: valid (image %s", pod->path.c_str(), pod->run.render.pull.source.c_str());
    if (!pod->dropins.empty())
        printf(", %zu drop-in%s", pod->dropins.size(), pod->dropins.size() == 1 ? "" : "s");
    printf(")\n");
    return 0;
}

int cmd_pod_create(const PodFileArgs& args) {
    const std::string& name = args.run.name;
    if (!is_valid_machine_name(name))
        return fail(make_error(EINVAL, "'%s' is not a valid pod name (a machine name)",
                               printable(name).c_str()));
    auto text = pod_file_text(args.run);
    if (!text) return fail(text.error());
    std::vector<std::string> dirs = pod_file_dirs();
    for (const std::string& d : dirs) {
        struct stat st;
        std::string existing = d + "/" + name + ".pod";
        if (lstat(existing.c_str(), &st) == 0)
            return fail(make_error(EEXIST, "pod file '%s' exists already", existing.c_str()));
    }
    // Checked the way the service will read it before it becomes visible.
    const std::string& dir = dirs.front();
    std::string path = dir + "/" + name + ".pod";
    auto assignments = parse_unit_text(*text, path);
    if (!assignments) return fail(assignments.error());
    if (auto run = pod_run_args(name, path, *assignments); !run) return fail(run.error());
    if (Status s = make_dirs(dir, 0755); !s) return fail(s.error());
    auto fd = open_dir(AT_FDCWD, dir, false);
    if (!fd) return fail(fd.error());
    if (Status s = write_file_atomic(fd->get(), name + ".pod", *text, 0644); !s)
        return fail(s.error().wrap(strf("writing '%s'", path.c_str())));
    printf("%s\n", path.c_str());
    return 0;
}

int cmd_pod_list(const PodFileArgs& args) {
    std::vector<std::string> dirs = pod_file_dirs();
    JsonPtr array(json_array());
    Table table({"NAME", "IMAGE", "SERVICE", "FILE"});
    int status = 0;
    for (const std::string& name : list_pod_files(dirs)) {
        auto pod = load_pod_file(name, dirs);
        std::string state = service_state(name);
        std::string image = pod ? pod->run.render.pull.source : "";
        std::string file = find_pod_file(name, dirs);
        if (!pod) {
            // Listed all the same, so a broken file is seen rather than missing.
            log_error("%s", pod.error().message.c_str());
            status = exit_failure;
        }
        if (args.json) {
            JsonPtr o(json_object());
            json_object_set_new(o.get(), "name", json_string(name.c_str()));
            json_object_set_new(o.get(), "image", json_string(image.c_str()));
            json_object_set_new(o.get(), "file", json_string(file.c_str()));
            json_object_set_new(o.get(), "service", json_string(state.c_str()));
            json_object_set_new(o.get(), "valid", json_boolean(pod.ok()));
            json_array_append_new(array.get(), o.release());
        } else {
            table.add_row({name, pod ? image : "(invalid)", state, file});
        }
    }
    if (args.json)
        printf("%s\n", json_dump(array.get(), true).c_str());
    else
        fputs(table.render().c_str(), stdout);
    return status;
}

}  // namespace ocipod
