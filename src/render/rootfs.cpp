#include "render/rootfs.hpp"
