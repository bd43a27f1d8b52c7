// oci-pod: the command users type. Everything is in cli_main (shared with
// oci-pod-fetch).
#include "cli/commands.hpp"

int main(int argc, char** argv) {
    return ocipod::cli_main(argc, argv, ocipod::Program::oci_pod);
}
