#include "run/privileges.hpp"
