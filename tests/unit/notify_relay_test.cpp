#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "run/notify_relay.hpp"
#include "temp_dir.hpp"

#include <CppUTest/TestHarness.h>

using namespace ocipod;
using ocipod::test::TempDir;

TEST_GROUP(NotifyRelay){};

TEST(NotifyRelay, OnlyTheServiceStatePasses) {
    STRCMP_EQUAL("READY=1\nSTATUS=up and running",
                 relayable_notify_fields("READY=1\nSTATUS=up and running").c_str());
    STRCMP_EQUAL("READY=1", relayable_notify_fields("MAINPID=1\nREADY=1\nFDSTORE=1").c_str());
    STRCMP_EQUAL("STOPPING=1\nEXTEND_TIMEOUT_USEC=5000000\nERRNO=2\nWATCHDOG=1",
                 relayable_notify_fields("STOPPING=1\nEXTEND_TIMEOUT_USEC=5000000\nERRNO=2\n"
                                         "WATCHDOG=1\nNOTIFYACCESS=all\nBARRIER=1")
                     .c_str());
    STRCMP_EQUAL("", relayable_notify_fields("READY=0\nREADY=1 \nready=1").c_str());
    STRCMP_EQUAL("", relayable_notify_fields("").c_str());
}

TEST(NotifyRelay, SocketIsBoundPrivateAndReplacesAStaleOne) {
    TempDir tmp("notify");
    std::string path = tmp / "notify";
    {
        auto first = bind_notify_socket(path);
        CHECK_TRUE(first.ok());
    }
    auto fd = bind_notify_socket(path);  // the first one's file is still there
    CHECK_TRUE(fd.ok());
    struct stat st;
    CHECK_EQUAL(0, lstat(path.c_str(), &st));
    CHECK_TRUE(S_ISSOCK(st.st_mode));
    LONGS_EQUAL(0600, st.st_mode & 0777);
    CHECK_FALSE(bind_notify_socket(tmp.path() + "/" + std::string(120, 'x')).ok());
}
