// Open-file-description locks (fcntl F_OFD_SETLK[W]). They belong to the open file description,
// not to the process: closing an unrelated fd of the same file does not drop them (the POSIX
// record-lock pitfall), and two descriptions in one process exclude each other like two processes
// do (THREATS.md §4.3 item 4). Every lock here is released by closing its fd.
//
// Bytes of ROOT/lock:
//   0  store lock: shared by every open Store for its lifetime; a collector takes it exclusive.
//   1  index lock: exclusive around each read-modify-write of store/index.json and of the other
//      files in store/ (and so around the removal of their temp files on open).
// ingest/ALG-HEX/lock, byte 0: exclusive while one Ingest writes that blob.
#pragma once

#include <sys/types.h>

#include <string>

#include "base/result.hpp"
#include "base/unique_fd.hpp"

namespace ocipod {

inline constexpr off_t store_lock_byte = 0;
inline constexpr off_t index_lock_byte = 1;
inline constexpr off_t ingest_lock_byte = 0;

enum class LockMode { shared, exclusive };

// Lock one byte of fd. wait=true blocks (EINTR is retried); wait=false fails with EAGAIN when
// another description holds a conflicting lock. what names the file in errors.
Status ofd_lock(int fd, off_t byte, LockMode mode, bool wait, const char* what);

// A fresh description of ROOT/lock with the index lock taken (waiting for it). Closing the returned
// fd releases it. A new description is opened each time so that two threads of one process using
// the same Store exclude each other too.
Result<UniqueFd> take_index_lock(int root_fd);

}  // namespace ocipod
