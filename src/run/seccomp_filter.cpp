#include "run/seccomp_filter.hpp"
