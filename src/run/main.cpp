// oci-pod-runner: oci-pod's OCI runtime (create/start/state/kill/delete/run on a bundle).
#include "run/runner_cli.hpp"
#include "run/runtime.hpp"

int main(int argc, char** argv) {
    ocipod::maybe_run_pod_init(argc, argv);
    return ocipod::runner_main(argc, argv);
}
