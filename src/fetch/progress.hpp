// How the fetcher reports progress. The registry client and the local importers call these from
// the thread that drives transfers; implementations draw bars on a TTY, print one line per blob
// otherwise, stay silent with -q, and send STATUS=/EXTEND_TIMEOUT_USEC= under systemd.
#pragma once

#include <cstdint>

#include "oci/descriptor.hpp"

namespace ocipod {

class ProgressSink {
public:
    virtual ~ProgressSink() = default;
    // resumed_from > 0 when an earlier partial download is continued.
    virtual void blob_started(const Descriptor& blob, int64_t resumed_from) = 0;
    // done: bytes of the blob now in the ingest (including resumed ones).
    virtual void blob_progress(const Descriptor& blob, int64_t done) = 0;
    // already_present: nothing was transferred because the store had the blob.
    virtual void blob_finished(const Descriptor& blob, bool already_present) = 0;
    // A retry after a fault, for the log: "retrying in 2 s: HTTP 503".
    virtual void blob_retrying(const Descriptor& blob, const char* why) = 0;
};

}  // namespace ocipod
