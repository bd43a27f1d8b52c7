// oci-pod store verify: re-hash the whole store and say plainly whether it is intact.
#include <cstdio>

#include "base/log.hpp"
#include "cli/commands.hpp"
#include "store/store.hpp"

namespace ocipod {

int cmd_store_verify(const GlobalOptions& global) {
    auto store = Store::open(global.root, false);
    if (!store) {
        log_error("%s", store.error().message.c_str());
        return exit_failure;
    }
    auto report = store->verify();
    if (!report) {
        log_error("%s", report.error().message.c_str());
        return exit_failure;
    }
    const VerifyReport& r = *report;
    for (const std::string& b : r.bad) printf("bad: %s\n", printable(b, 400).c_str());
    for (const std::string& m : r.missing) printf("missing: %s\n", printable(m, 400).c_str());
    std::string checked =
        strf("checked %llu blob%s (%s)", static_cast<unsigned long long>(r.blobs_checked),
             r.blobs_checked == 1 ? "" : "s", human_size(r.bytes_checked).c_str());
    if (r.bad.empty() && r.missing.empty()) {
        printf("%s: all good\n", checked.c_str());
        return 0;
    }
    printf("%s: %zu bad, %zu missing\n", checked.c_str(), r.bad.size(), r.missing.size());
    if (!r.bad.empty())
        printf("%zu bad blob(s) moved to %s/quarantine\n", r.bad.size(), store->root().c_str());
    return exit_failure;
}

}  // namespace ocipod
