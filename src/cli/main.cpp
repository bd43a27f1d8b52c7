// oci-pod: the command users type. Everything is in cli_main (shared with
// oci-pod-fetch).
#include "cli/commands.hpp"
#include "run/runtime.hpp"

int main(int argc, char** argv) {
    // `oci-pod run` creates pods in-process: a pod's init re-executes this binary (sealed).
    ocipod::maybe_run_pod_init(argc, argv);
    return ocipod::cli_main(argc, argv, ocipod::Program::oci_pod);
}
