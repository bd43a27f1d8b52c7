// oci-pod-gc: the store's garbage collector, run by oci-pod-gc.service. Takes exactly the options
// of `oci-pod gc`, which runs the same code.
#include "cli/commands.hpp"

int main(int argc, char** argv) {
    return ocipod::cli_main(argc, argv, ocipod::Program::gc);
}
