#include "run/transient_service.hpp"
