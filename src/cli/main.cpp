#include "base/log.hpp"

int main() {
    ocipod::log_init("oci-pod");
    return 0;
}
