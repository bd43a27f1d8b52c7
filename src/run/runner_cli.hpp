// oci-pod-runner's command line: the OCI runtime command-line interface (create, start, state,
// kill, delete) plus run, over runtime.hpp. Errors are one line "oci-pod-runner: ..." on stderr.
#pragma once

namespace ocipod {

int runner_main(int argc, char** argv);

}  // namespace ocipod
