#include "run/unit_properties.hpp"
