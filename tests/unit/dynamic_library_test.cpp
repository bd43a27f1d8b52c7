// Libraries loaded on first use: the real tables resolve every listed function, and a missing
// library or function ends the process with status 1 instead of a call through a null pointer.
#include <unistd.h>

#include "c/archive.hpp"
#include "c/curl.hpp"
#include "c/dynamic_library.hpp"
#include "forked_child.hpp"

// Last: CppUTest redefines new, which the standard headers above must not see.
#include <CppUTest/TestHarness.h>

using namespace ocipod;
using ocipod::test::exit_code_in_child;

TEST_GROUP(DynamicLibrary){};

TEST(DynamicLibrary, CurlAndArchiveTablesResolveEveryFunction) {
    CHECK(libcurl().curl_easy_init != nullptr);
    CHECK(libcurl().curl_url_strerror != nullptr);
    CHECK(libarchive().archive_read_new != nullptr);
    CHECK(libarchive().archive_set_error != nullptr);
    // A call through the table reaches the library.
    STRCMP_EQUAL("No error", libcurl().curl_easy_strerror(CURLE_OK));
}

TEST(DynamicLibrary, AMissingLibraryEndsTheProcessWithStatus1) {
    int status = exit_code_in_child([] {
        close(2);  // the one error line is expected; keep the test output clean
        const char* names[] = {"f"};
        void* slots[1];
        load_library_functions("liboci-pod-no-such-library.so.0", "a test", names, slots, 1);
        return 0;
    });
    LONGS_EQUAL(1, status);
}

TEST(DynamicLibrary, AMissingFunctionEndsTheProcessWithStatus1) {
    int status = exit_code_in_child([] {
        close(2);
        const char* names[] = {"curl_easy_init", "curl_no_such_function"};
        void* slots[2];
        load_library_functions(CURL_SONAME, "a test", names, slots, 2);
        return 0;
    });
    LONGS_EQUAL(1, status);
}
