#include <CppUTest/TestHarness.h>

#include "cli/table.hpp"
#include "cli/time_text.hpp"

using namespace ocipod;

TEST_GROUP(Table){};

TEST(Table, AlignsColumnsWithoutTrailingBlanks) {
    Table t({"REPOSITORY", "TAG", "SIZE"});
    t.add_row({"docker.io/library/busybox", "latest", "2.15 MB"});
    t.add_row({"quay.io/x", "<none>", ""});
    LONGS_EQUAL(2, t.rows());
    STRCMP_EQUAL(
        "REPOSITORY                  TAG      SIZE\n"
        "docker.io/library/busybox   latest   2.15 MB\n"
        "quay.io/x                   <none>\n",
        t.render().c_str());
}

TEST(Table, HeaderOnlyAndShortRows) {
    Table t({"A", "B"});
    STRCMP_EQUAL("A   B\n", t.render().c_str());
    t.add_row({"x"});
    t.add_row({"1", "2", "3"});
    STRCMP_EQUAL("A   B\nx\n1   2\n", t.render().c_str());
}

TEST(Table, CountsCharactersNotBytes) {
    LONGS_EQUAL(5, display_width("h\xc3\xa9llo"));
    Table t({"N", "V"});
    t.add_row({"\xc3\xa9\xc3\xa9", "1"});
    STRCMP_EQUAL("N    V\n\xc3\xa9\xc3\xa9   1\n", t.render().c_str());
}

TEST_GROUP(TimeText){};

TEST(TimeText, ParsesRfc3339) {
    auto t = parse_rfc3339("2024-05-01T12:00:00Z");
    CHECK(t.has_value());
    LONGS_EQUAL(1714564800, *t);
    LONGS_EQUAL(1714564800, *parse_rfc3339("2024-05-01T12:00:00.123456789Z"));
    LONGS_EQUAL(1714564800, *parse_rfc3339("2024-05-01T14:30:00+02:30"));
    LONGS_EQUAL(1714564800, *parse_rfc3339("2024-05-01T11:00:00-01:00"));
    const char* bad[] = {"",
                         "2024-05-01",
                         "2024-05-01T12:00:00",
                         "2024-13-01T00:00:00Z",
                         "2024-05-01T12:00:00Zjunk",
                         "2024-05-01T12:00:00.Z",
                         "24-05-01T12:00:00Z",
                         "2024-05-01T25:00:00Z"};
    for (const char* s : bad) CHECK_TEXT(!parse_rfc3339(s), s);
}

TEST(TimeText, RelativeAges) {
    const int64_t now = 1'800'000'000;
    STRCMP_EQUAL("Less than a second ago", relative_time(now, now).c_str());
    STRCMP_EQUAL("1 second ago", relative_time(now - 1, now).c_str());
    STRCMP_EQUAL("45 seconds ago", relative_time(now - 45, now).c_str());
    STRCMP_EQUAL("About a minute ago", relative_time(now - 90, now).c_str());
    STRCMP_EQUAL("12 minutes ago", relative_time(now - 12 * 60, now).c_str());
    STRCMP_EQUAL("About an hour ago", relative_time(now - 3600, now).c_str());
    STRCMP_EQUAL("5 hours ago", relative_time(now - 5 * 3600, now).c_str());
    STRCMP_EQUAL("3 days ago", relative_time(now - 3 * 86400, now).c_str());
    STRCMP_EQUAL("3 weeks ago", relative_time(now - 21 * 86400, now).c_str());
    STRCMP_EQUAL("4 months ago", relative_time(now - 125 * 86400, now).c_str());
    STRCMP_EQUAL("3 years ago", relative_time(now - 3 * 366 * 86400, now).c_str());
    STRCMP_EQUAL("2027-01-15 08:00 UTC", relative_time(1'800'000'000 + 0, 1'700'000'000).c_str());
}
