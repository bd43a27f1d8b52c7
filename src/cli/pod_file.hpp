// Pod files: what oci-pod@NAME.service runs. NAME.pod is found in the first directory of the
// search path that has it; the drop-ins NAME.pod.d/*.conf come from every directory (a name in an
// earlier directory hides the same name in later ones) and apply after it, ordered by file name.
// The syntax is systemd's (base/unit_syntax.hpp); the one section, [Pod], has keys that map onto
// `oci-pod run`'s options and are checked by the same code (apply_run_option), so a value the
// command line refuses is refused here too. Sections named X-... are ignored, as systemd does.
//
// As in systemd, an empty assignment ("Volume=") resets the key: a list key forgets what came
// before it, a single-value key returns to its default. An unknown section or key, a bad value or
// a missing Image= is an error naming FILE:LINE and the key; a pod file is never half-applied.
#pragma once

#include <string>
#include <vector>

#include "base/result.hpp"
#include "base/unit_syntax.hpp"
#include "cli/options.hpp"

namespace ocipod {

// The directories searched, highest priority first.
inline constexpr const char* builtin_pod_file_path =
    "/etc/oci-pod/pods:/run/oci-pod/pods:/usr/lib/oci-pod/pods";

struct PodFile {
    std::string name;
    std::string path;                  // NAME.pod as found
    std::vector<std::string> dropins;  // in the order they apply
    // What the files say, as run's options. run.name is NAME; run.remove is set: a service's pod
    // starts fresh each time.
    RunArgs run;
};

// $OCI_POD_PODS_PATH (colon-separated) when set and not empty, else builtin_pod_file_path.
std::vector<std::string> pod_file_dirs();

// The path of NAME.pod in the first of dirs that has it, "" when none has.
std::string find_pod_file(const std::string& name, const std::vector<std::string>& dirs);

// The pod file NAME.pod and its drop-ins, from dirs. ENOENT when no directory has NAME.pod.
Result<PodFile> load_pod_file(const std::string& name, const std::vector<std::string>& dirs);

// A pod file given by its path (pod validate FILE): NAME is its name without ".pod", its drop-ins
// PATH.d/*.conf.
Result<PodFile> load_pod_file_at(const std::string& path);

// The assignments of a pod file and its drop-ins (in order) as run's options.
Result<RunArgs> pod_run_args(const std::string& name, const std::string& main_file,
                             const std::vector<UnitAssignment>& assignments);

// The names of the pod files in dirs (NAME for each NAME.pod), sorted, each once.
std::vector<std::string> list_pod_files(const std::vector<std::string>& dirs);

// pod create: a pod file that loads back to args (args.name is not written: it is the file's
// name). Refused: what a pod file cannot say (a value with a line break, -e NAME without a value).
Result<std::string> pod_file_text(const RunArgs& args);

}  // namespace ocipod
