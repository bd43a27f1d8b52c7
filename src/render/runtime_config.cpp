#include "render/runtime_config.hpp"
