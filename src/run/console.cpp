#include "run/console.hpp"
