#include "render/user_db.hpp"
