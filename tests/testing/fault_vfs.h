// FaultVfs: a test double on purpose. An SQLite VFS over the default one that counts reads,
// writes (and bytes written) and syncs of every file and can fail the Nth of one kind, as a
// full disk (ENOSPC) or a failing one (EIO) would. The encrypting VFS runs on top of it
// (OpenOptions::base_vfs), so the faults hit sealed pages exactly where the disk would.
#pragma once

#include <cstdint>
#include <string>

namespace outreach::testing {

enum class FaultOp { kRead, kWrite, kSync };
enum class FaultKind { kNoSpace, kIoError };

struct FaultCounts {
  int reads = 0;
  int writes = 0;
  int syncs = 0;
  int frame_header_writes = 0;  // writes of 24 bytes: a WAL frame header alone
  std::int64_t bytes_written = 0;  // by every write passed on, to any file, by any connection
  // Of `syncs` passed on (not failed): a WAL's, and a main database file's. A commit under
  // synchronous=FULL syncs the WAL, and so does the first commit into a new or restarted WAL
  // (its header, under NORMAL too); a copy of the WAL into the database (a checkpoint) syncs
  // the WAL first, and the database only if it copied to the WAL's end.
  int wal_syncs = 0;
  int database_syncs = 0;
};

class FaultVfs {
 public:
  // Registers the VFS on first use; returns its name for OpenOptions::base_vfs.
  static std::string Name();
  // Fail the `nth` (1-based) operation of `op` from now on, once; counters restart at zero.
  static void Arm(FaultOp op, int nth, FaultKind kind);
  // No fault; counters restart at zero.
  static void Disarm();
  static FaultCounts Counts();
  // Whether the armed fault has fired since Arm.
  static bool Fired();
};

}  // namespace outreach::testing
