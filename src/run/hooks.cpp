#include "run/hooks.hpp"
