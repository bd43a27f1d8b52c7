// oci-pod pull / oci-pod-fetch: pull one image into the store with a progress display on stderr;
// the stored name and manifest digest (or, with -q, the digest alone) go to stdout for scripts.
// render pulls a missing image through the same pull_with_progress.
#include <unistd.h>

#include <cstdio>

#include "base/log.hpp"
#include "cli/commands.hpp"
#include "cli/progress_display.hpp"
#include "fetch/puller.hpp"

namespace ocipod {

Result<PullResult> pull_with_progress(Store& store, const PullArgs& args) {
    PullOptions options;
    options.platform = args.platform;
    options.tls_verify = args.tls_verify;
    options.credentials = args.credentials;

    SystemdNotifier notifier;
    ProgressDisplay::Options display_options;
    display_options.mode = ProgressDisplay::mode_for(STDERR_FILENO, args.quiet);
    display_options.out = stderr;
    display_options.width = ProgressDisplay::terminal_width(STDERR_FILENO);
    display_options.image = args.source;
    display_options.notifier = notifier.enabled() ? &notifier : nullptr;
    display_options.warn = [](const std::string& m) { log_warning("%s", m.c_str()); };
    ProgressDisplay display(std::move(display_options));

    auto result = pull_image(store, args.source, options, &display);
    display.finish(result.ok());
    return result;
}

int cmd_pull(const GlobalOptions& global, const PullArgs& args) {
    auto store = Store::open(global.root, true);
    if (!store) {
        log_error("%s", store.error().message.c_str());
        return exit_failure;
    }
    auto result = pull_with_progress(*store, args);
    if (!result) {
        log_error("%s", result.error().message.c_str());
        return exit_failure;
    }
    const std::string digest = result->manifest.digest.str();
    if (args.quiet)
        printf("%s\n", digest.c_str());
    else
        printf("%s %s\n", result->ref_name.c_str(), digest.c_str());
    return 0;
}

}  // namespace ocipod
