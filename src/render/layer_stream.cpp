#include "render/layer_stream.hpp"
