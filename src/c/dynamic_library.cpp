#include "c/dynamic_library.hpp"

#include <dlfcn.h>

#include <cstdio>
#include <cstdlib>

#include "base/log.hpp"

namespace ocipod {

void load_library_functions(const char* soname, const char* used_for, const char* const* names,
                            void** slots, size_t count) {
    void* lib = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        log_error("cannot load %s (needed for %s): %s", soname, used_for, dlerror());
        exit(1);
    }
    for (size_t i = 0; i < count; ++i) {
        slots[i] = dlsym(lib, names[i]);
        if (!slots[i]) {
            log_error(
                "%s has no %s (needed for %s): is it older than the one oci-pod was built "
                "against?",
                soname, names[i], used_for);
            exit(1);
        }
    }
}

}  // namespace ocipod
