// The commands of `oci-pod`, and the entry point both executables share. Each command logs its
// own errors (once, with log_error) and returns the process exit status: 0 success, 1 failure,
// 2 a command line that could not be parsed.
#pragma once

#include "cli/options.hpp"
#include "fetch/puller.hpp"
#include "render/render.hpp"

namespace ocipod {

inline constexpr int exit_failure = 1;
inline constexpr int exit_usage = 2;

int cmd_pull(const GlobalOptions& global, const PullArgs& args);
int cmd_images(const GlobalOptions& global, const ImagesArgs& args);
int cmd_inspect(const GlobalOptions& global, const InspectArgs& args);
int cmd_rmi(const GlobalOptions& global, const RmiArgs& args);
int cmd_store_verify(const GlobalOptions& global);
int cmd_render(const GlobalOptions& global, const RenderArgs& args);
int cmd_unrender(const GlobalOptions& global, const UnrenderArgs& args);
int cmd_run(const GlobalOptions& global, const RunArgs& args);
int cmd_ps(const GlobalOptions& global, const PsArgs& args);
int cmd_status(const GlobalOptions& global, const PodArgs& args);
int cmd_stop(const GlobalOptions& global, const PodArgs& args);
int cmd_kill(const GlobalOptions& global, const PodArgs& args);
int cmd_rm(const GlobalOptions& global, const PodArgs& args);
int cmd_enter(const GlobalOptions& global, const PodArgs& args);
int cmd_logs(const GlobalOptions& global, const PodArgs& args);
int cmd_run_pod(const GlobalOptions& global, const PodArgs& args);
int cmd_pod_validate(const PodFileArgs& args);
int cmd_pod_create(const PodFileArgs& args);
int cmd_pod_list(const PodFileArgs& args);
int cmd_gc(const GlobalOptions& global, const GcArgs& args);

// render's and run's image: the stored ref IMAGE names, pulled first as args.pull_policy says.
Result<RefEntry> find_or_pull(Store& store, const RenderArgs& args);
// render's and run's options for render_bundle (-e NAME completed from this environment).
RenderOptions render_options(const RenderArgs& args);
// -e as given: "K=V" kept, "K" alone completed from this process's environment or dropped.
std::vector<std::string> resolve_env(const std::vector<std::string>& given);

// The pull behind `pull` and render's pull-if-missing: args.source into store, with the progress
// display on stderr (none with args.quiet). Does not log; the caller reports the error.
Result<PullResult> pull_with_progress(Store& store, const PullArgs& args);

// main() of oci-pod (Program::oci_pod), oci-pod-fetch (Program::fetch) and oci-pod-render
// (Program::render).
int cli_main(int argc, char** argv, Program program);

}  // namespace ocipod
