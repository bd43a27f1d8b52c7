// oci-pod gc and oci-pod-gc: the collector (cli/garbage_collector.hpp) and its report.
#include <cstdio>
#include <map>

#include "base/log.hpp"
#include "c/json.hpp"
#include "cli/commands.hpp"
#include "cli/garbage_collector.hpp"

namespace ocipod {

namespace {

std::string summary(const GcReport& report, bool dry_run) {
    std::map<std::string, size_t> counts;
    for (const GcItem& item : report.removed) ++counts[item.kind];
    std::string parts;
    for (const char* kind : {"pod", "lease", "blob", "layer", "ingest", "leftover"}) {
        size_t n = counts[kind];
        if (!parts.empty()) parts += ", ";
        parts += strf("%zu %s%s", n, kind, n == 1 ? "" : "s");
    }
    return strf("%s %s: %s", dry_run ? "Would free" : "Freed", human_size(report.bytes).c_str(),
                parts.c_str());
}

}  // namespace

int cmd_gc(const GlobalOptions& global, const GcArgs& args) {
    GcOptions options;
    options.dry_run = args.dry_run;
    options.grace_sec = args.grace_sec;
    auto report = collect_garbage(global.root, options);
    if (!report) {
        log_error("%s", report.error().wrap("collecting garbage").message.c_str());
        return exit_failure;
    }
    if (args.json) {
        JsonPtr o(json_object());
        json_object_set_new(o.get(), "dryRun", json_boolean(args.dry_run));
        JsonPtr removed(json_array());
        for (const GcItem& item : report->removed) {
            JsonPtr i(json_object());
            json_object_set_new(i.get(), "kind", json_string(item.kind.c_str()));
            json_object_set_new(i.get(), "name", json_string(item.name.c_str()));
            json_object_set_new(i.get(), "bytes", json_integer(json_int_t(item.bytes)));
            json_array_append_new(removed.get(), i.release());
        }
        json_object_set_new(o.get(), "removed", removed.release());
        json_object_set_new(o.get(), "objects", json_integer(json_int_t(report->removed.size())));
        json_object_set_new(o.get(), "bytes", json_integer(json_int_t(report->bytes)));
        json_object_set_new(o.get(), "warnings",
                            json_from_string_array(report->warnings).release());
        printf("%s\n", json_dump(o.get(), true).c_str());
    } else {
        for (const GcItem& item : report->removed)
            printf("%s %s %s\n", args.dry_run ? "would remove" : "removed", item.kind.c_str(),
                   item.name.c_str());
        printf("%s\n", summary(*report, args.dry_run).c_str());
    }
    for (const std::string& w : report->warnings) log_warning("%s", w.c_str());
    return 0;
}

}  // namespace ocipod
