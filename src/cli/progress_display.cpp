#include "cli/progress_display.hpp"

#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>

#include "base/strings.hpp"

namespace ocipod {

namespace {

int64_t monotonic_usec() {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return int64_t(ts.tv_sec) * 1'000'000 + ts.tv_nsec / 1000;
}

std::string size_text(int64_t n) {
    return human_size(static_cast<uint64_t>(std::max<int64_t>(n, 0)));
}

// The bar: width cells between brackets, '=' for done, '>' at the front.
std::string bar(int64_t done, int64_t size, int width) {
    int filled = size > 0 ? static_cast<int>(std::min<int64_t>(done, size) * width / size) : width;
    std::string s = "[";
    for (int i = 0; i < width; ++i) s += i < filled ? '=' : (i == filled ? '>' : ' ');
    return s + "]";
}

}  // namespace

ProgressDisplay::ProgressDisplay(Options options) : opt_(std::move(options)) {
    if (!opt_.clock) opt_.clock = monotonic_usec;
    if (opt_.width < 20) opt_.width = 20;
    start_us_ = now();
}

ProgressDisplay::Mode ProgressDisplay::mode_for(int fd, bool quiet) {
    if (quiet) return Mode::quiet;
    return isatty(fd) ? Mode::tty : Mode::lines;
}

int ProgressDisplay::terminal_width(int fd) {
    struct winsize ws {};
    if (ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
    return 80;
}

int64_t ProgressDisplay::now() const {
    return opt_.clock();
}

ProgressDisplay::Blob& ProgressDisplay::blob_for(const Descriptor& d) {
    std::string key = d.digest.str();
    for (Blob& b : blobs_)
        if (b.digest == key) return b;
    Blob b;
    b.digest = key;
    b.label = std::string(d.digest.alg_name()) + ":" + d.digest.short_hex();
    b.size = d.size;
    b.started_us = now();
    blobs_.push_back(std::move(b));
    return blobs_.back();
}

void ProgressDisplay::blob_started(const Descriptor& blob, int64_t resumed_from) {
    std::lock_guard lock(mu_);
    Blob& b = blob_for(blob);
    b.state = State::active;
    b.resumed_from = std::max<int64_t>(resumed_from, 0);
    b.done = b.resumed_from;
    b.started_us = now();
    redraw(false);
    notify();
}

void ProgressDisplay::blob_progress(const Descriptor& blob, int64_t done) {
    std::lock_guard lock(mu_);
    Blob& b = blob_for(blob);
    b.done = done;
    redraw(false);
    notify();
}

void ProgressDisplay::blob_finished(const Descriptor& blob, bool already_present) {
    std::lock_guard lock(mu_);
    Blob& b = blob_for(blob);
    b.state = already_present ? State::present : State::fetched;
    b.done = b.size;
    if (opt_.mode == Mode::lines) emit(finished_line(b) + "\n");
    // A finished blob changes the layout of the block: draw it now rather than up to 100 ms on.
    redraw(true);
    notify();
}

void ProgressDisplay::blob_retrying(const Descriptor& blob, const char* why) {
    std::lock_guard lock(mu_);
    Blob& b = blob_for(blob);
    std::string msg = strf("blob %s: %s", b.label.c_str(), printable(why ? why : "").c_str());
    if (opt_.mode == Mode::tty) {
        // Printed above the redrawn block; a direct write would land inside it.
        pending_notes_.push_back("warning: " + msg);
        redraw(true);
    } else if (opt_.mode == Mode::lines) {
        if (opt_.warn)
            opt_.warn(msg);
        else
            emit("warning: " + msg + "\n");
    }
    notify();
}

void ProgressDisplay::finish(bool success) {
    std::lock_guard lock(mu_);
    redraw(true);
    if (opt_.mode == Mode::tty) {
        // Leave unfinished transfers on screen as they were; the cursor is already below them.
        drawn_lines_ = 0;
    }
    int fetched = 0, present = 0;
    int64_t bytes = 0;
    for (const Blob& b : blobs_) {
        if (b.state == State::fetched) {
            ++fetched;
            bytes += b.size - b.resumed_from;
        } else if (b.state == State::present) {
            ++present;
        }
    }
    if (!success) return;
    double secs = double(now() - start_us_) / 1e6;
    std::string summary;
    if (fetched == 0 && present > 0) {
        summary = strf("Nothing fetched: %d blob%s already present", present,
                       present == 1 ? " was" : "s were");
    } else {
        summary = strf("Fetched %d blob%s (%s) in %.1f s", fetched, fetched == 1 ? "" : "s",
                       size_text(bytes).c_str(), secs);
        if (present > 0) summary += strf(", %d already present", present);
    }
    if (opt_.mode != Mode::quiet) emit(summary + "\n");
    if (opt_.notifier && !opt_.image.empty())
        opt_.notifier->send(strf("STATUS=Pulled %s", opt_.image.c_str()));
}

std::string ProgressDisplay::finished_line(const Blob& b) {
    if (b.state == State::present) return "Copying blob " + b.label + " already present";
    return "Copying blob " + b.label + " " + size_text(b.size) + " done";
}

std::string ProgressDisplay::active_line(const Blob& b, int64_t now_us) const {
    std::string head = "Copying blob " + b.label + " ";
    std::string tail = " " + size_text(b.done) + " / " + size_text(b.size);
    int64_t elapsed = now_us - b.started_us;
    int64_t moved = b.done - b.resumed_from;
    if (elapsed >= 500'000 && moved > 0)
        tail += "  " + size_text(moved * 1'000'000 / elapsed) + "/s";
    // The bar's width depends only on the terminal, so bars of all lines stay aligned; the room
    // kept for the tail fits its longest form, " 999 kB / 999 MB  999 kB/s".
    constexpr int tail_room = 26;
    int width = std::clamp(opt_.width - 1 - static_cast<int>(head.size()) - 2 - tail_room, 10, 40);
    return head + bar(b.done, b.size, width) + tail;
}

std::string ProgressDisplay::fit(std::string line) const {
    // A line that wraps would break the cursor-up arithmetic of the next redraw.
    if (static_cast<int>(line.size()) > opt_.width - 1) line.resize(opt_.width - 1);
    return line;
}

void ProgressDisplay::redraw(bool force) {
    if (opt_.mode != Mode::tty) return;
    int64_t t = now();
    if (!force && last_draw_us_ >= 0 && t - last_draw_us_ < redraw_interval_usec) return;
    last_draw_us_ = t;
    std::string s;
    if (drawn_lines_ > 0) s += strf("\r\x1b[%dA", drawn_lines_);
    for (const std::string& note : pending_notes_) s += fit(note) + "\x1b[K\n";
    pending_notes_.clear();
    for (Blob& b : blobs_) {
        if (b.state != State::active && !b.fixed) {
            s += fit(finished_line(b)) + "\x1b[K\n";
            b.fixed = true;
        }
    }
    int lines = 0;
    for (const Blob& b : blobs_) {
        if (b.state != State::active) continue;
        s += fit(active_line(b, t)) + "\x1b[K\n";
        ++lines;
    }
    s += "\x1b[J";  // the block may have shrunk: clear what was below it
    drawn_lines_ = lines;
    emit(s);
}

void ProgressDisplay::notify() {
    if (!opt_.notifier) return;
    int64_t t = now();
    if (last_status_us_ < 0 || t - last_status_us_ >= status_interval_usec) {
        last_status_us_ = t;
        int64_t done = 0, total = 0;
        for (const Blob& b : blobs_) {
            done += std::min(b.done, b.size);
            total += b.size;
        }
        opt_.notifier->send(strf("STATUS=Pulling %s: %s of %s", opt_.image.c_str(),
                                 size_text(done).c_str(), size_text(total).c_str()));
    }
    if (last_extend_us_ < 0 || t - last_extend_us_ >= extend_interval_usec) {
        last_extend_us_ = t;
        opt_.notifier->send(
            strf("EXTEND_TIMEOUT_USEC=%lld", static_cast<long long>(extend_timeout_usec)));
    }
}

void ProgressDisplay::emit(const std::string& text) {
    if (opt_.mode == Mode::quiet || text.empty()) return;
    fwrite(text.data(), 1, text.size(), opt_.out);
    fflush(opt_.out);
}

}  // namespace ocipod
