// gzip for the layer unit tests, written with ISA-L's deflate. Layers compressed by other
// writers (Python's gzip module, umoci) are read by the integration tests.
#pragma once

#include <isa-l/igzip_lib.h>

#include <string>
#include <string_view>

namespace ocipod::test {

// One gzip member holding data.
inline std::string gzip_bytes(std::string_view data) {
    std::string out;
    std::string buf(1 << 20, '\0');
    isal_zstream z;
    isal_deflate_init(&z);
    z.gzip_flag = IGZIP_GZIP;
    z.end_of_stream = 1;
    z.flush = NO_FLUSH;
    z.next_in = reinterpret_cast<uint8_t*>(const_cast<char*>(data.data()));
    z.avail_in = static_cast<uint32_t>(data.size());
    while (z.internal_state.state != ZSTATE_END) {
        z.next_out = reinterpret_cast<uint8_t*>(buf.data());
        z.avail_out = static_cast<uint32_t>(buf.size());
        if (isal_deflate(&z) != COMP_OK) return "deflate failed";
        out.append(buf.data(), buf.size() - z.avail_out);
    }
    return out;
}

}  // namespace ocipod::test
