// oci-pod-fetch: pull one image into the store. Takes exactly the options and arguments of
// `oci-pod pull`, which runs the same code.
#include "cli/commands.hpp"

int main(int argc, char** argv) {
    return ocipod::cli_main(argc, argv, ocipod::Program::fetch);
}
