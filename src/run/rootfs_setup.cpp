#include "run/rootfs_setup.hpp"
