// CppUTest runner for every TEST_GROUP in tests/unit. Memory-leak detection is on (CppUTest's
// default) so each test also proves it frees what it allocates.
#include <CppUTest/CommandLineTestRunner.h>

int main(int argc, char** argv) {
    return CommandLineTestRunner::RunAllTests(argc, argv);
}
