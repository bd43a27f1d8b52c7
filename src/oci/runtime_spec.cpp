#include "oci/runtime_spec.hpp"
