#include "run/exe_seal.hpp"
