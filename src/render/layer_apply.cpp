#include "render/layer_apply.hpp"
