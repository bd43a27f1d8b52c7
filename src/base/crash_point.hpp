// Named crash points for the kill -9 test matrix (THREATS.md §4.4): crash_point("x") kills the
// process with SIGKILL when $OCI_POD_CRASH_AT is "x", so tests can stop the store at exactly the
// step whose recovery they want to prove. Without the variable it costs one getenv().
#pragma once

namespace ocipod {

void crash_point(const char* name);

}  // namespace ocipod
