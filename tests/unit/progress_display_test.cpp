// Project and STL headers first: CppUTest redefines `new` for leak detection.
#include <cstdio>
#include <cstdlib>

#include "cli/progress_display.hpp"

#include <CppUTest/TestHarness.h>

using namespace ocipod;

namespace {

class FakeNotifier : public Notifier {
public:
    void send(const std::string& state) override { sent.push_back(state); }
    int count(const char* prefix) const {
        int n = 0;
        for (const auto& s : sent) n += s.rfind(prefix, 0) == 0;
        return n;
    }
    std::vector<std::string> sent;
};

Descriptor blob(const char* content, int64_t size) {
    Descriptor d;
    d.media_type = "application/vnd.oci.image.layer.v1.tar+gzip";
    d.digest = Digest::of(HashAlg::sha256, content);
    d.size = size;
    return d;
}

std::string label(const Descriptor& d) {
    return "sha256:" + d.digest.short_hex();
}

// The line printed for a finished blob.
std::string copied(const Descriptor& d, const std::string& what) {
    return "Copying blob " + label(d) + " " + what + "\n";
}

size_t occurrences(const std::string& s, const std::string& part) {
    size_t n = 0;
    for (size_t pos = s.find(part); pos != std::string::npos; pos = s.find(part, pos + 1)) ++n;
    return n;
}

}  // namespace

TEST_GROUP(ProgressDisplay) {
    char* buf = nullptr;
    size_t len = 0;
    FILE* out = nullptr;
    int64_t clock_us = 1'000'000;

    void setup() override {
        out = open_memstream(&buf, &len);
    }
    void teardown() override {
        if (out) fclose(out);
        free(buf);
    }
    std::string written() {
        fflush(out);
        return std::string(buf, len);
    }
    ProgressDisplay::Options options(ProgressDisplay::Mode mode) {
        ProgressDisplay::Options o;
        o.mode = mode;
        o.out = out;
        o.width = 100;
        o.image = "docker.io/library/busybox:latest";
        o.clock = [this] { return clock_us; };
        return o;
    }
};

TEST(ProgressDisplay, LinesModePrintsOneLinePerFinishedBlob) {
    ProgressDisplay d(options(ProgressDisplay::Mode::lines));
    Descriptor a = blob("a", 12'345'678), b = blob("b", 1000);
    d.blob_started(a, 0);
    for (int64_t done = 0; done < a.size; done += 1'000'000) {
        clock_us += 50'000;
        d.blob_progress(a, done);
    }
    STRCMP_EQUAL("", written().c_str());  // nothing until a blob is done
    d.blob_finished(a, false);
    d.blob_finished(b, true);
    clock_us += 1'050'000;
    d.finish(true);
    std::string expected = copied(a, "12.3 MB done") + copied(b, "already present") +
                           "Fetched 1 blob (12.3 MB) in 1.7 s, 1 already present\n";
    STRCMP_EQUAL(expected.c_str(), written().c_str());
}

TEST(ProgressDisplay, SummarySaysWhenNothingWasFetched) {
    ProgressDisplay d(options(ProgressDisplay::Mode::lines));
    Descriptor a = blob("a", 10), b = blob("b", 20);
    d.blob_finished(a, true);
    d.blob_finished(b, true);
    d.finish(true);
    std::string expected = copied(a, "already present") + copied(b, "already present") +
                           "Nothing fetched: 2 blobs were already present\n";
    STRCMP_EQUAL(expected.c_str(), written().c_str());
}

TEST(ProgressDisplay, LinesModeShowsRetriesAsWarnings) {
    ProgressDisplay d(options(ProgressDisplay::Mode::lines));
    Descriptor a = blob("a", 100);
    d.blob_started(a, 0);
    d.blob_retrying(a, "retrying in 2 s: HTTP 503\x1b[2J");
    d.blob_started(a, 40);
    d.blob_finished(a, false);
    d.finish(false);  // no summary after a failure
    std::string expected =
        "warning: blob " + label(a) + ": retrying in 2 s: HTTP 503?[2J\n" + copied(a, "100 B done");
    STRCMP_EQUAL(expected.c_str(), written().c_str());
}

TEST(ProgressDisplay, WarnHookTakesRetries) {
    std::vector<std::string> warnings;
    auto o = options(ProgressDisplay::Mode::lines);
    o.warn = [&](const std::string& m) { warnings.push_back(m); };
    ProgressDisplay d(std::move(o));
    Descriptor a = blob("a", 100);
    d.blob_retrying(a, "connection reset");
    LONGS_EQUAL(1, warnings.size());
    STRCMP_EQUAL(("blob " + label(a) + ": connection reset").c_str(), warnings[0].c_str());
    STRCMP_EQUAL("", written().c_str());
}

TEST(ProgressDisplay, QuietWritesNothing) {
    ProgressDisplay d(options(ProgressDisplay::Mode::quiet));
    Descriptor a = blob("a", 100);
    d.blob_started(a, 0);
    d.blob_progress(a, 50);
    d.blob_retrying(a, "x");
    d.blob_finished(a, false);
    d.finish(true);
    STRCMP_EQUAL("", written().c_str());
}

TEST(ProgressDisplay, TtyRedrawsInPlaceAtMostTenTimesASecond) {
    ProgressDisplay d(options(ProgressDisplay::Mode::tty));
    Descriptor a = blob("a", 2'000'000), b = blob("b", 3'000'000);
    d.blob_started(a, 0);  // first draw: one line
    d.blob_started(b, 0);  // within 100 ms: not drawn
    for (int i = 1; i <= 9; ++i) {
        clock_us += 10'000;  // 90 ms in all
        d.blob_progress(a, i * 1000);
    }
    std::string early = written();
    LONGS_EQUAL(1, occurrences(early, "Copying blob"));
    CHECK(early.find("\x1b[") != std::string::npos);

    clock_us += 20'000;  // 110 ms after the first draw
    d.blob_progress(a, 1'000'000);
    std::string second = written().substr(early.size());
    // Up one line (the block had one line), then both transfers with bars.
    CHECK_TEXT(second.rfind("\r\x1b[1A", 0) == 0, second.c_str());
    LONGS_EQUAL(2, occurrences(second, "Copying blob"));
    // The bar: 100 columns less the head (33), brackets and room for the tail (26) = 38 cells;
    // a is at 50 %: 19 done.
    CHECK(second.find("[" + std::string(19, '=') + ">" + std::string(18, ' ') + "]") !=
          std::string::npos);
    CHECK(second.find("1.00 MB / 2.00 MB") != std::string::npos);
    CHECK(second.find("0 B / 3.00 MB") != std::string::npos);

    // Finishing is drawn at once: a fixed "done" line, and the block shrinks to one line.
    size_t mark = written().size();
    clock_us += 1'000;
    d.blob_finished(a, false);
    std::string third = written().substr(mark);
    CHECK_TEXT(third.rfind("\r\x1b[2A", 0) == 0, third.c_str());
    CHECK(third.find("Copying blob " + label(a) + " 2.00 MB done\x1b[K\n") != std::string::npos);
    CHECK(third.find("\x1b[J") != std::string::npos);

    mark = written().size();
    clock_us += 1'000;
    d.blob_finished(b, false);
    clock_us += 3'000'000;
    d.finish(true);
    std::string last = written().substr(mark);
    CHECK_TEXT(last.rfind("\r\x1b[1A", 0) == 0, last.c_str());
    CHECK(last.find("Fetched 2 blobs (5.00 MB) in 3.1 s\n") != std::string::npos);
    // Every line fits the terminal.
    for (const std::string& line : split(written(), '\n')) CHECK(line.size() < 100 + 16);
}

TEST(ProgressDisplay, TtyLinesAreCutToTheWidth) {
    auto o = options(ProgressDisplay::Mode::tty);
    o.width = 30;
    ProgressDisplay d(std::move(o));
    Descriptor a = blob("a", 1000);
    d.blob_started(a, 0);
    std::string s = written();
    // "\x1b[K\n" follows the visible text, which is at most width-1 columns.
    size_t end = s.find("\x1b[K");
    CHECK(end != std::string::npos);
    CHECK(end <= 29);
}

TEST(ProgressDisplay, NotifiesStatusAndExtendsTheStartTimeout) {
    FakeNotifier n;
    auto o = options(ProgressDisplay::Mode::quiet);
    o.notifier = &n;
    ProgressDisplay d(std::move(o));
    Descriptor a = blob("a", 10'000'000);
    d.blob_started(a, 0);
    LONGS_EQUAL(1, n.count("STATUS="));
    LONGS_EQUAL(1, n.count("EXTEND_TIMEOUT_USEC="));
    STRCMP_EQUAL("STATUS=Pulling docker.io/library/busybox:latest: 0 B of 10.0 MB",
                 n.sent[0].c_str());
    STRCMP_EQUAL("EXTEND_TIMEOUT_USEC=30000000", n.sent[1].c_str());
    // Ten seconds of progress reported every 100 ms.
    for (int i = 1; i <= 100; ++i) {
        clock_us += 100'000;
        d.blob_progress(a, i * 100'000);
    }
    LONGS_EQUAL(11, n.count("STATUS="));              // once a second
    LONGS_EQUAL(3, n.count("EXTEND_TIMEOUT_USEC="));  // every 5 s
    STRCMP_EQUAL("STATUS=Pulling docker.io/library/busybox:latest: 10.0 MB of 10.0 MB",
                 n.sent[n.sent.size() - 2].c_str());
    d.blob_finished(a, false);
    d.finish(true);
    STRCMP_EQUAL("STATUS=Pulled docker.io/library/busybox:latest", n.sent.back().c_str());
}
