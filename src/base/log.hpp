// Logging for executables. Library code returns errors and does not log; the helpers and the CLI
// log once, at the top. Under systemd ($JOURNAL_STREAM names our stderr) lines carry the sd-daemon
// priority prefix so the journal records the level; otherwise they go to stderr as
// "oci-pod: message".
#pragma once

namespace ocipod {

enum class LogLevel { error = 3, warning = 4, notice = 5, info = 6, debug = 7 };

void log_init(const char* program_name);
void log_set_max_level(LogLevel level);
void log_message(LogLevel level, const char* fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_error(...) ::ocipod::log_message(::ocipod::LogLevel::error, __VA_ARGS__)
#define log_warning(...) ::ocipod::log_message(::ocipod::LogLevel::warning, __VA_ARGS__)
#define log_notice(...) ::ocipod::log_message(::ocipod::LogLevel::notice, __VA_ARGS__)
#define log_info(...) ::ocipod::log_message(::ocipod::LogLevel::info, __VA_ARGS__)
#define log_debug(...) ::ocipod::log_message(::ocipod::LogLevel::debug, __VA_ARGS__)

}  // namespace ocipod
