// Libraries that only some commands need are loaded on their first use instead of at every
// start: libcurl (registries, with GnuTLS) and libarchive (layer tars) bring some forty shared
// objects with them, and mapping and relocating those cost every `oci-pod run`, `ps` or `stop`
// about 10 ms before main(), a third of a pod's start. Each wrapper in src/c lists the
// functions it uses (an X-macro of X(prefix, name)) and gets them as a table of pointers with
// the library's own declared types, so every call is type-checked against its header.
#pragma once

#include <cstddef>

namespace ocipod {

// dlopen(soname) once (RTLD_NOW | RTLD_LOCAL) and resolve names[i] into slots[i]. A library or
// function that cannot be loaded ends the process with one line naming it and what it is for,
// and exit status 1: that is a broken installation (the packages depend on these libraries),
// found before the first call into the library, so nothing is half-done.
void load_library_functions(const char* soname, const char* used_for, const char* const* names,
                            void** slots, size_t count);

}  // namespace ocipod

// Helpers for a wrapper's X-macro list: a table member, its symbol name, and its assignment.
#define OCIPOD_LIB_MEMBER(name) decltype(&::name) name;
#define OCIPOD_LIB_SYMBOL(name) #name,
#define OCIPOD_LIB_ASSIGN(name) \
    table.name = reinterpret_cast<decltype(table.name)>(slots[next_slot++]);

// The body of a `const Table& getter()`: loads the library on the first call (thread-safe, as
// any function-local static) and returns the same table after that.
#define OCIPOD_LIB_LOAD(Table, LIST, soname, used_for)                           \
    static const Table loaded = [] {                                             \
        static const char* const names[] = {LIST(OCIPOD_LIB_SYMBOL)};            \
        constexpr size_t count = sizeof names / sizeof names[0];                 \
        void* slots[count];                                                      \
        ::ocipod::load_library_functions(soname, used_for, names, slots, count); \
        Table table{};                                                           \
        size_t next_slot = 0;                                                    \
        LIST(OCIPOD_LIB_ASSIGN)                                                  \
        return table;                                                            \
    }();                                                                         \
    return loaded
