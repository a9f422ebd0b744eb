#include "tests/testing/fault_vfs.h"

#include <sqlite3.h>

#include <atomic>
#include <cstring>
#include <mutex>
#include <new>

namespace outreach::testing {
namespace {

struct State {
  std::atomic<int> reads{0};
  std::atomic<int> writes{0};
  std::atomic<int> frame_header_writes{0};  // 24 bytes: a WAL frame header alone
  std::atomic<std::int64_t> bytes_written{0};
  std::atomic<int> syncs{0};
  std::atomic<int> wal_syncs{0};
  std::atomic<int> database_syncs{0};
  std::atomic<int> armed_op{-1};
  std::atomic<int> armed_nth{0};
  std::atomic<int> armed_kind{0};
  std::atomic<bool> fired{false};
};
State& TheState() {
  static State state;
  return state;
}

// Counts the operation; true if it is the one to fail.
bool ShouldFail(FaultOp op, std::atomic<int>& counter) {
  State& state = TheState();
  const int number = ++counter;
  if (state.armed_op.load() == static_cast<int>(op) && state.armed_nth.load() == number) {
    state.fired.store(true);
    return true;
  }
  return false;
}

int FailureCode(FaultOp op) {
  const bool no_space = TheState().armed_kind.load() == static_cast<int>(FaultKind::kNoSpace);
  switch (op) {
    case FaultOp::kRead: return SQLITE_IOERR_READ;
    case FaultOp::kWrite: return no_space ? SQLITE_FULL : SQLITE_IOERR_WRITE;
    case FaultOp::kSync: return SQLITE_IOERR_FSYNC;
  }
  return SQLITE_IOERR;
}

struct FaultFile {
  sqlite3_file base;
  sqlite3_file* real;
  int open_flags;  // SQLITE_OPEN_WAL, SQLITE_OPEN_MAIN_DB ...
};
sqlite3_file* Real(sqlite3_file* file) { return reinterpret_cast<FaultFile*>(file)->real; }
sqlite3_vfs* Base(sqlite3_vfs* vfs) { return static_cast<sqlite3_vfs*>(vfs->pAppData); }

int Close(sqlite3_file* file) { return Real(file)->pMethods->xClose(Real(file)); }
int Read(sqlite3_file* file, void* out, int amount, sqlite3_int64 offset) {
  if (ShouldFail(FaultOp::kRead, TheState().reads)) return FailureCode(FaultOp::kRead);
  return Real(file)->pMethods->xRead(Real(file), out, amount, offset);
}
int Write(sqlite3_file* file, const void* data, int amount, sqlite3_int64 offset) {
  if (ShouldFail(FaultOp::kWrite, TheState().writes)) return FailureCode(FaultOp::kWrite);
  if (amount == 24) TheState().frame_header_writes.fetch_add(1);
  TheState().bytes_written.fetch_add(amount);
  return Real(file)->pMethods->xWrite(Real(file), data, amount, offset);
}
int Truncate(sqlite3_file* file, sqlite3_int64 size) {
  return Real(file)->pMethods->xTruncate(Real(file), size);
}
int Sync(sqlite3_file* file, int flags) {
  if (ShouldFail(FaultOp::kSync, TheState().syncs)) return FailureCode(FaultOp::kSync);
  const int open_flags = reinterpret_cast<FaultFile*>(file)->open_flags;
  if ((open_flags & SQLITE_OPEN_WAL) != 0) TheState().wal_syncs.fetch_add(1);
  if ((open_flags & SQLITE_OPEN_MAIN_DB) != 0) TheState().database_syncs.fetch_add(1);
  return Real(file)->pMethods->xSync(Real(file), flags);
}
int Size(sqlite3_file* file, sqlite3_int64* size) {
  return Real(file)->pMethods->xFileSize(Real(file), size);
}
int Lock(sqlite3_file* file, int level) { return Real(file)->pMethods->xLock(Real(file), level); }
int Unlock(sqlite3_file* file, int level) {
  return Real(file)->pMethods->xUnlock(Real(file), level);
}
int CheckReserved(sqlite3_file* file, int* out) {
  return Real(file)->pMethods->xCheckReservedLock(Real(file), out);
}
int Control(sqlite3_file* file, int op, void* arg) {
  return Real(file)->pMethods->xFileControl(Real(file), op, arg);
}
int Sector(sqlite3_file* file) { return Real(file)->pMethods->xSectorSize(Real(file)); }
int Device(sqlite3_file* file) { return Real(file)->pMethods->xDeviceCharacteristics(Real(file)); }
int ShmMap(sqlite3_file* file, int region, int size, int extend, void volatile** out) {
  return Real(file)->pMethods->xShmMap(Real(file), region, size, extend, out);
}
int ShmLock(sqlite3_file* file, int offset, int count, int flags) {
  return Real(file)->pMethods->xShmLock(Real(file), offset, count, flags);
}
void ShmBarrier(sqlite3_file* file) { Real(file)->pMethods->xShmBarrier(Real(file)); }
int ShmUnmap(sqlite3_file* file, int delete_flag) {
  return Real(file)->pMethods->xShmUnmap(Real(file), delete_flag);
}

const sqlite3_io_methods kMethods = {2,      Close,    Read,     Write,      Truncate,
                                     Sync,   Size,     Lock,     Unlock,     CheckReserved,
                                     Control, Sector,  Device,   ShmMap,     ShmLock,
                                     ShmBarrier, ShmUnmap, nullptr, nullptr};

constexpr int kRealOffset = (sizeof(FaultFile) + 15) / 16 * 16;

int Open(sqlite3_vfs* vfs, sqlite3_filename name, sqlite3_file* file, int flags, int* out_flags) {
  auto* self = reinterpret_cast<FaultFile*>(file);
  self->base.pMethods = nullptr;
  self->real = reinterpret_cast<sqlite3_file*>(reinterpret_cast<char*>(file) + kRealOffset);
  self->open_flags = flags;
  std::memset(self->real, 0, static_cast<std::size_t>(Base(vfs)->szOsFile));
  const int rc = Base(vfs)->xOpen(Base(vfs), name, self->real, flags, out_flags);
  if (rc != SQLITE_OK) {
    if (self->real->pMethods != nullptr) self->real->pMethods->xClose(self->real);
    return rc;
  }
  self->base.pMethods = &kMethods;
  return SQLITE_OK;
}

int Delete(sqlite3_vfs* vfs, const char* name, int sync_dir) {
  return Base(vfs)->xDelete(Base(vfs), name, sync_dir);
}
int Access(sqlite3_vfs* vfs, const char* name, int flags, int* result) {
  return Base(vfs)->xAccess(Base(vfs), name, flags, result);
}
int FullPathname(sqlite3_vfs* vfs, const char* name, int size, char* out) {
  return Base(vfs)->xFullPathname(Base(vfs), name, size, out);
}
int Randomness(sqlite3_vfs* vfs, int size, char* out) {
  return Base(vfs)->xRandomness(Base(vfs), size, out);
}
int Sleep(sqlite3_vfs* vfs, int microseconds) { return Base(vfs)->xSleep(Base(vfs), microseconds); }
int CurrentTime(sqlite3_vfs* vfs, double* now) { return Base(vfs)->xCurrentTime(Base(vfs), now); }
int CurrentTimeInt64(sqlite3_vfs* vfs, sqlite3_int64* now) {
  return Base(vfs)->xCurrentTimeInt64(Base(vfs), now);
}

}  // namespace

std::string FaultVfs::Name() {
  static std::once_flag once;
  static sqlite3_vfs vfs{};
  std::call_once(once, [] {
    sqlite3_vfs* base = sqlite3_vfs_find(nullptr);
    vfs.iVersion = 2;
    vfs.szOsFile = kRealOffset + base->szOsFile;
    vfs.mxPathname = base->mxPathname;
    vfs.zName = "outreach-test-faults";
    vfs.pAppData = base;
    vfs.xOpen = Open;
    vfs.xDelete = Delete;
    vfs.xAccess = Access;
    vfs.xFullPathname = FullPathname;
    vfs.xRandomness = Randomness;
    vfs.xSleep = Sleep;
    vfs.xCurrentTime = CurrentTime;
    vfs.xCurrentTimeInt64 = CurrentTimeInt64;
    sqlite3_vfs_register(&vfs, 0);
  });
  return vfs.zName;
}

void FaultVfs::Arm(FaultOp op, int nth, FaultKind kind) {
  Disarm();
  State& state = TheState();
  state.armed_nth.store(nth);
  state.armed_kind.store(static_cast<int>(kind));
  state.armed_op.store(static_cast<int>(op));
}

void FaultVfs::Disarm() {
  State& state = TheState();
  state.armed_op.store(-1);
  state.reads.store(0);
  state.writes.store(0);
  state.frame_header_writes.store(0);
  state.bytes_written.store(0);
  state.syncs.store(0);
  state.wal_syncs.store(0);
  state.database_syncs.store(0);
  state.fired.store(false);
}

FaultCounts FaultVfs::Counts() {
  State& state = TheState();
  return {state.reads.load(), state.writes.load(), state.syncs.load(),
          state.frame_header_writes.load(), state.bytes_written.load(),
          state.wal_syncs.load(), state.database_syncs.load()};
}

bool FaultVfs::Fired() { return TheState().fired.load(); }

}  // namespace outreach::testing
