#include "c/bus.hpp"
