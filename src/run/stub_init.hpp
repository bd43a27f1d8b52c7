// The pod's PID 1 (DESIGN.md §6): a small init between the runtime and the application, so that
// the application is never PID 1 of its pid namespace (where the kernel drops signals it has no
// handler for, and where orphans would be left as zombies).
//   - forwards SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH and SIGCONT to the
//     application (the process group of the application when it is its own group leader);
//   - reaps every child; when the application exits, it exits too, and the kernel kills whatever
//     else is left in the pid namespace;
//   - exits with the application's status: its exit code, or 128+N when it died of signal N.
// Signals are handled synchronously with signalfd (no async-signal-safety traps); the loop blocks
// them before the application is forked so none is lost in between.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <functional>

namespace ocipod {

// Called in the process that is to become PID 1 (after fork/clone into the new pid namespace).
// start_app runs in the forked child and must exec the application or _exit; it is called with
// no signal blocked. Never returns.
[[noreturn]] void run_stub_init(const std::function<void()>& start_app);

// The signals the init handles. The runner blocks them in the init from its first instruction on
// (a blocked mask survives exec): one sent before the init's loop runs, while the pod is still
// being set up or waits for `start`, stays pending and reaches the application when it starts,
// instead of being dropped as a pid namespace's init drops signals it has no handler for.
sigset_t stub_init_signals();

// The status a process exit maps to: code, or 128+signal (as shells report it).
int exit_status_of(int wait_status);

}  // namespace ocipod
