// CppUTest runner for every TEST_GROUP in tests/unit. Memory-leak detection is on (CppUTest's
// default) so each test also proves it frees what it allocates. Its new/delete overloads are the
// thread-safe ones: the renderer's tests run worker threads, and the default overloads, which
// keep their bookkeeping without a lock, would now and then report a leak or a bad delete that
// is only two threads allocating at once.
#include <CppUTest/CommandLineTestRunner.h>
#include <CppUTest/MemoryLeakWarningPlugin.h>

int main(int argc, char** argv) {
    MemoryLeakWarningPlugin::turnOnThreadSafeNewDeleteOverloads();
    return CommandLineTestRunner::RunAllTests(argc, argv);
}
