// oci-pod logs: a pod run as oci-pod-NAME.service logs to the journal (the unit's stdout and
// stderr); a pod detached without systemd writes ROOT/pods/NAME/log through its monitor. -f keeps
// printing until the pod's runner lets go of its lock, then prints what is left.
#include <fcntl.h>
#include <poll.h>
#include <systemd/sd-journal.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

#include "base/log.hpp"
#include "cli/commands.hpp"
#include "cli/pod_runner.hpp"

namespace ocipod {

namespace {

int fail(const Error& e) {
    log_error("%s", e.message.c_str());
    return exit_failure;
}

// Print the journal entries from the current position on; false on a journal error.
bool print_entries(sd_journal* j) {
    for (;;) {
        int r = sd_journal_next(j);
        if (r < 0) return false;
        if (r == 0) return true;
        const void* data;
        size_t len;
        if (sd_journal_get_data(j, "MESSAGE", &data, &len) < 0) continue;
        const char* text = static_cast<const char*>(data) + strlen("MESSAGE=");
        size_t n = len - strlen("MESSAGE=");
        fwrite(text, 1, n, stdout);
        fputc('\n', stdout);
    }
}

Status journal_logs(const PodDirs& dirs, const std::string& name, const std::string& unit,
                    bool follow) {
    sd_journal* raw = nullptr;
    int r = sd_journal_open(&raw, SD_JOURNAL_LOCAL_ONLY);
    if (r < 0) return errno_error_code(-r, "opening the journal");
    std::unique_ptr<sd_journal, decltype(&sd_journal_close)> j(raw, sd_journal_close);
    std::string match = "_SYSTEMD_UNIT=" + unit;
    if ((r = sd_journal_add_match(j.get(), match.c_str(), 0)) < 0)
        return errno_error_code(-r, "reading the journal");
    sd_journal_seek_head(j.get());
    if (!print_entries(j.get())) return make_error(EIO, "reading the journal");
    while (follow) {
        fflush(stdout);
        bool ended = !pod_runner(dirs, name).running;
        r = sd_journal_wait(j.get(), 200000);
        if (r < 0) return errno_error_code(-r, "waiting for the journal");
        if (!print_entries(j.get())) return make_error(EIO, "reading the journal");
        if (ended) break;
    }
    return {};
}

// Copy what fd has from its current offset to stdout.
Status copy_available(int fd) {
    char buf[65536];
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) continue;
            return errno_error("reading the pod's log");
        }
        if (n == 0) return {};
        if (fwrite(buf, 1, static_cast<size_t>(n), stdout) != static_cast<size_t>(n))
            return errno_error("writing the output");
    }
}

Status file_logs(const PodDirs& dirs, const std::string& name, bool follow) {
    std::string path = dirs.log_file(name);
    UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
    if (!fd) {
        if (errno == ENOENT)
            return make_error(ENOENT,
                              "pod '%s' has no log: it ran in the foreground, its output went to "
                              "the terminal",
                              name.c_str());
        return errno_error("opening '%s'", path.c_str());
    }
    TRY(copy_available(fd.get()));
    while (follow) {
        fflush(stdout);
        bool ended = !pod_runner(dirs, name).running;
        TRY(copy_available(fd.get()));
        if (ended) break;
        poll(nullptr, 0, 100);
    }
    return {};
}

}  // namespace

int cmd_logs(const GlobalOptions& global, const PodArgs& args) {
    PodDirs dirs(global.root);
    auto record = read_pod(dirs, args.name);
    if (!record) return fail(record.error());
    Status s = record->unit.empty() ? file_logs(dirs, args.name, args.follow)
                                    : journal_logs(dirs, args.name, record->unit, args.follow);
    if (!s) return fail(s.error());
    return 0;
}

}  // namespace ocipod
