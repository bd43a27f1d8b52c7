#include "run/runner_cli.hpp"

#include <cstdio>

namespace ocipod {
int runner_main(int, char**) {
    std::fputs("oci-pod-runner: not built yet\n", stderr);
    return 125;
}
}  // namespace ocipod
