// BackgroundCheckpointer: copies a database's WAL into the database on a thread and connection
// of its own, so the connection that writes does not wait for it. A checkpoint reads and
// authenticates every page the commits since the last one wrote, writes it to the database
// and syncs; on the writer's thread that was about a quarter of a push on the server and a
// third of applying a pulled page on a device (sync_bench profiles).
//
// Its connection has a DatabaseContext of its own: the VFS's checkpoint flag (in_checkpoint)
// belongs to a context, and the writer must never see it set while it reads the WAL (it would
// be handed sealed pages).
#pragma once

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
  // `connection`: open on the database, under `token` (its own context); from now on used only
  // by this object. `writer`: the writing connection's context: once it is poisoned, nothing
  // more is copied. A checkpoint is started once the WAL holds `pages` frames; the writer
  // copies for itself past `pages` * kWriterTakesOverAt (the thread fell behind, or failed).
  BackgroundCheckpointer(sqlite3* connection, std::string token,
                         std::shared_ptr<const DatabaseContext> writer, int pages);
  // Waits for a checkpoint under way, then closes the connection.
  ~BackgroundCheckpointer();
  BackgroundCheckpointer(const BackgroundCheckpointer&) = delete;
  BackgroundCheckpointer& operator=(const BackgroundCheckpointer&) = delete;

  static constexpr int kWriterTakesOverAt = 2;

  // After each commit of the writer, with the frames its WAL holds: true when the writer must
  // checkpoint itself now.
  bool AfterCommit(int wal_frames);

  // WAL frames its checkpoints found copied, summed over them (for tests: more than 0 once
  // one has copied anything).
  std::int64_t frames_copied() const;

 private:
  void Run();

  sqlite3* connection_;
  const std::string token_;
  const std::shared_ptr<const DatabaseContext> writer_;
  const int pages_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool requested_ = false;  // guarded by mutex_
  bool stopping_ = false;   // guarded by mutex_
  bool failed_ = false;     // guarded by mutex_: a checkpoint failed; the writer copies again
  std::int64_t frames_copied_ = 0;  // guarded by mutex_
  std::thread thread_;      // last: started once everything above is set
};

}  // namespace outreach::storage::detail
