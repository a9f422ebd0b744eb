// BackgroundCheckpointer: copies a database's WAL into the database on a thread and connection
// of its own, so the connection that writes does not wait for it. A checkpoint reads and
// authenticates every page the commits since the last one wrote, writes it to the database
// and syncs; on the writer's thread that was about a quarter of a push on the server and a
// third of applying a pulled page on a device (sync_bench profiles).
//
// Its connection has a DatabaseContext of its own: the VFS's checkpoint flag (in_checkpoint)
// belongs to a context, and the writer must never see it set while it reads the WAL (it would
// be handed sealed pages). That context shares page failures with the writer's.
//
// A copy starts once the WAL holds `pages` frames, then per quarter of that added. SQLite
// writes the WAL again from its start when a transaction that began after a complete copy
// writes, and no reader is using the WAL; under steady commits that may not happen, so the
// writer copies the rest itself once the WAL reaches twice the limit, after the copy under way
// (HoldOff), as it did without this thread. While a reader keeps using the WAL, it grows past
// that, as it does with SQLite's own autocheckpoint. A copy due while the database is held
// (Hold: a server answering syncs) waits for a quiet spell, or for the WAL to reach half again
// the limit, whichever comes first.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

struct sqlite3;

namespace outreach::storage::detail {

class DatabaseContext;

class BackgroundCheckpointer {
 public:
  static constexpr int kWriterTakesOverAt = 2;

  // `connection`: open on the database under `token` (a context of its own); from now on this
  // object's, closed and unregistered when it goes. `writer`: the writing connection's
  // context; once it is poisoned nothing more is copied, by either. `pages`: the writer's
  // wal_autocheckpoint. Null when no thread can be had: the writer keeps copying for itself.
  static std::unique_ptr<BackgroundCheckpointer> Start(
      sqlite3* connection, std::string token, std::shared_ptr<const DatabaseContext> writer,
      int pages);
  // Waits for a copy under way, then closes the connection.
  ~BackgroundCheckpointer();
  BackgroundCheckpointer(const BackgroundCheckpointer&) = delete;
  BackgroundCheckpointer& operator=(const BackgroundCheckpointer&) = delete;

  // After each commit of the writer, with the frames its WAL holds: true when the writer must
  // copy for itself now (holding this off meanwhile), then tell WriterCopied what SQLite says
  // is copied.
  bool AfterCommit(int wal_frames);
  void WriterCopied(int copied);
  // While held, no copy of this thread runs (one under way is waited for).
  std::unique_lock<std::mutex> HoldOff() { return std::unique_lock(copying_); }
  // Database::HoldCheckpoints: while any hold is on, and for kQuietAfterHolds after the last
  // goes, a copy waits to start (one under way goes on), until the WAL holds kCopiesHeldAt
  // times the limit.
  void Hold();
  void Release();
  static constexpr std::chrono::milliseconds kQuietAfterHolds{50};
  static constexpr double kCopiesHeldAt = 1.5;

  // For tests: copies of this thread that found frames copied; times the writer copied.
  std::int64_t copies() const;
  std::int64_t writer_copies() const;

 private:
  BackgroundCheckpointer(sqlite3* connection, std::string token,
                         std::shared_ptr<const DatabaseContext> writer, int pages);
  void Run();
  // Whether the WAL's frames call for a copy now (under mutex_).
  bool CopyDue() const;

  sqlite3* connection_;
  const std::string token_;
  const std::shared_ptr<const DatabaseContext> writer_;
  const int pages_;
  std::mutex copying_;  // held by a copy, of this thread or (HoldOff) of the writer
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool requested_ = false;         // guarded by mutex_
  bool stopping_ = false;          // guarded by mutex_
  bool failed_ = false;            // guarded by mutex_: a copy failed; the writer copies again
  int copied_ = 0;  // guarded by mutex_: frames of the WAL known copied (its last copy's end)
  int last_frames_ = 0;          // guarded by mutex_: the WAL's frames at the last commit
  std::int64_t generation_ = 0;  // guarded by mutex_: times the WAL was written from its start
  int holds_ = 0;                   // guarded by mutex_
  std::chrono::steady_clock::time_point last_release_;  // guarded by mutex_
  std::int64_t copies_ = 0;        // guarded by mutex_
  std::int64_t writer_copies_ = 0;  // guarded by mutex_
  std::thread thread_;
};

}  // namespace outreach::storage::detail
