#include "run/stub_init.hpp"
