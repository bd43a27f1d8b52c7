// OCI lifecycle hooks (runtime-spec config.md "POSIX-platform Hooks", runtime.md "Lifecycle"):
// each hook is run on the host with exactly its own args and env, the container's state JSON on
// stdin, and killed (SIGKILL) at its timeout. A failing prestart/createRuntime hook fails the
// create; a failing poststart/poststop hook is only a warning (the spec says so).
#pragma once

#include <string>
#include <vector>

#include "base/result.hpp"
#include "oci/runtime_spec.hpp"

namespace ocipod {

// Run hooks in order; stop at the first failure. phase names them in errors:
// "createRuntime hook '/usr/bin/x' exited with status 3".
Status run_hooks(const std::vector<SpecHook>& hooks, const std::string& state_json,
                 const char* phase);

}  // namespace ocipod
