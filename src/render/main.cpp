// oci-pod-render: renders an image into a bundle; its arguments are those of `oci-pod render`.
#include "cli/commands.hpp"

int main(int argc, char** argv) {
    return ocipod::cli_main(argc, argv, ocipod::Program::render);
}
