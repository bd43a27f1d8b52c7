#include "oci/run_config.hpp"
