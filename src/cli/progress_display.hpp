// The ProgressSink the CLI hands to the fetcher. Three ways to show a pull:
//   tty    one line per transfer with a bar, bytes done/total and rate, redrawn in place (ANSI
//          cursor moves) at most 10 times a second; finished blobs become fixed lines above
//          the redrawn block, so the block never outgrows the screen; a summary at the end.
//   lines  (stderr is not a terminal: logs, the journal) one line per blob when it is finished,
//          retries as warnings, a summary at the end.
//   quiet  (-q) nothing.
// Independently of the mode, a Notifier (set under systemd) gets "STATUS=Pulling IMAGE: X of Y"
// at most once a second and "EXTEND_TIMEOUT_USEC=" at most every 5 s, so a long first pull under
// a unit with TimeoutStartSec= keeps its start job alive for as long as bytes keep arriving.
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "cli/notify.hpp"
#include "fetch/progress.hpp"

namespace ocipod {

class ProgressDisplay final : public ProgressSink {
public:
    enum class Mode { tty, lines, quiet };

    struct Options {
        Mode mode = Mode::lines;
        FILE* out = stderr;
        int width = 80;                // tty: terminal columns; lines are cut to fit
        std::string image;             // named in STATUS=
        Notifier* notifier = nullptr;  // null: no sd_notify messages
        // Monotonic time in microseconds (tests drive it); default CLOCK_MONOTONIC.
        std::function<int64_t()> clock;
        // Where retry warnings go; default: written to out as "warning: ...".
        std::function<void(const std::string&)> warn;
    };

    // How far ahead each EXTEND_TIMEOUT_USEC= reaches, and the minimum spacing of the messages.
    static constexpr int64_t extend_timeout_usec = 30'000'000;
    static constexpr int64_t extend_interval_usec = 5'000'000;
    static constexpr int64_t status_interval_usec = 1'000'000;
    static constexpr int64_t redraw_interval_usec = 100'000;

    explicit ProgressDisplay(Options options);

    // tty when fd is a terminal, lines otherwise, quiet when asked.
    static Mode mode_for(int fd, bool quiet);
    // Columns of the terminal on fd, or 80.
    static int terminal_width(int fd);

    void blob_started(const Descriptor& blob, int64_t resumed_from) override;
    void blob_progress(const Descriptor& blob, int64_t done) override;
    void blob_finished(const Descriptor& blob, bool already_present) override;
    void blob_retrying(const Descriptor& blob, const char* why) override;

    // The pull is over: final redraw, and on success the summary line and a last STATUS=.
    void finish(bool success);

private:
    enum class State { active, fetched, present };
    struct Blob {
        std::string digest;  // full "alg:hex", the key
        std::string label;   // "sha256:" + 12 hex digits
        int64_t size = 0;
        int64_t done = 0;
        int64_t resumed_from = 0;
        int64_t started_us = 0;
        State state = State::active;
        bool fixed = false;  // tty: printed above the redrawn block for good
    };

    int64_t now() const;
    Blob& blob_for(const Descriptor& d);
    std::string active_line(const Blob& b, int64_t now_us) const;
    static std::string finished_line(const Blob& b);
    std::string fit(std::string line) const;
    void redraw(bool force);
    void notify();
    void emit(const std::string& text);

    Options opt_;
    std::mutex mu_;
    std::vector<Blob> blobs_;
    std::vector<std::string> pending_notes_;  // tty: warnings to print above the block
    int64_t start_us_ = 0;
    int64_t last_draw_us_ = -1;
    int64_t last_status_us_ = -1;
    int64_t last_extend_us_ = -1;
    int drawn_lines_ = 0;  // tty: lines of the block now on screen, cursor just below it
};

}  // namespace ocipod
