#include "base/log.hpp"

#include <sys/stat.h>

#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "base/strings.hpp"

namespace ocipod {

namespace {
const char* program = "oci-pod";
LogLevel max_level = LogLevel::info;
bool to_journal = false;

// $JOURNAL_STREAM is "DEV:INO" of the stream systemd connected; it only counts if that is still
// our stderr (a child may have redirected it).
bool stderr_is_journal() {
    const char* js = getenv("JOURNAL_STREAM");
    if (!js) return false;
    struct stat st;
    if (fstat(2, &st) < 0) return false;
    unsigned long long dev = 0, ino = 0;
    if (sscanf(js, "%llu:%llu", &dev, &ino) != 2) return false;
    return dev == static_cast<unsigned long long>(st.st_dev) &&
           ino == static_cast<unsigned long long>(st.st_ino);
}
}  // namespace

void log_init(const char* program_name) {
    program = program_name;
    to_journal = stderr_is_journal();
    if (const char* lvl = getenv("OCI_POD_LOG_LEVEL")) {
        std::string v = lvl;
        if (v == "debug")
            max_level = LogLevel::debug;
        else if (v == "info")
            max_level = LogLevel::info;
        else if (v == "warning")
            max_level = LogLevel::warning;
        else if (v == "error")
            max_level = LogLevel::error;
    }
}

void log_set_max_level(LogLevel level) {
    max_level = level;
}

void log_message(LogLevel level, const char* fmt, ...) {
    if (static_cast<int>(level) > static_cast<int>(max_level)) return;
    va_list ap;
    va_start(ap, fmt);
    std::string msg = vstrf(fmt, ap);
    va_end(ap);
    if (to_journal)
        fprintf(stderr, "<%d>%s\n", static_cast<int>(level), msg.c_str());
    else
        fprintf(stderr, "%s: %s\n", program, msg.c_str());
}

}  // namespace ocipod
