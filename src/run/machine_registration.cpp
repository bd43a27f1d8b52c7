#include "run/machine_registration.hpp"
