#include "core/storage/internal/background_checkpointer.h"

#include <sqlite3.h>

#include "core/storage/internal/vfs_context.h"

namespace outreach::storage::detail {
namespace {

constexpr int kRestartWaitMs = 200;

bool Busy(int rc) { return (rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED; }

// PASSIVE first: copies what no reader still needs and never waits, while the writer goes on
// committing. Then RESTART, which waits for the writer's transaction to end (kRestartWaitMs at
// most) and holds the next one off while it copies the few frames committed meanwhile, so the
// WAL is written again from its start: after PASSIVE alone, a writer that commits while it
// runs always finds frames left, and the WAL only grows. Busy is no failure: the writer (or a
// reader) was still there; the next commit asks again.
// `copied`: the frames the PASSIVE step found copied when it ended (-1: none could be).
int CopyAndRestart(sqlite3* connection, int& copied) {
  int frames = 0;
  int rc = sqlite3_wal_checkpoint_v2(connection, "main", SQLITE_CHECKPOINT_PASSIVE, &frames,
                                     &copied);
  if (rc == SQLITE_OK) {
    rc = sqlite3_wal_checkpoint_v2(connection, "main", SQLITE_CHECKPOINT_RESTART, nullptr,
                                   nullptr);
  }
  return Busy(rc) ? SQLITE_OK : rc;
}

}  // namespace

BackgroundCheckpointer::BackgroundCheckpointer(sqlite3* connection, std::string token,
                                               std::shared_ptr<const DatabaseContext> writer,
                                               int pages)
    : connection_(connection),
      token_(std::move(token)),
      writer_(std::move(writer)),
      pages_(pages),
      thread_([this] { Run(); }) {
  sqlite3_busy_timeout(connection_, kRestartWaitMs);
}

BackgroundCheckpointer::~BackgroundCheckpointer() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
  // Not the last connection (the writer's is still open): closing copies nothing.
  sqlite3_close_v2(connection_);
  UnregisterContext(token_);
}

bool BackgroundCheckpointer::AfterCommit(int wal_frames) {
  if (wal_frames < pages_) return false;
  std::lock_guard lock(mutex_);
  if (failed_) return true;
  requested_ = true;
  wake_.notify_one();
  return wal_frames >= pages_ * kWriterTakesOverAt;
}

std::int64_t BackgroundCheckpointer::frames_copied() const {
  std::lock_guard lock(mutex_);
  return frames_copied_;
}

void BackgroundCheckpointer::Run() {
  std::unique_lock lock(mutex_);
  while (true) {
    wake_.wait(lock, [this] { return stopping_ || requested_; });
    if (stopping_) return;
    requested_ = false;
    // After a page failed authentication nothing may be written (see ~Database).
    if (writer_->poisoned()) {
      failed_ = true;
      return;
    }
    lock.unlock();
    int copied = 0;
    const int rc = CopyAndRestart(connection_, copied);
    lock.lock();
    if (copied > 0) frames_copied_ += copied;
    if (rc != SQLITE_OK) {
      failed_ = true;  // from now on the writer checkpoints for itself, as without this thread
      return;
    }
  }
}

}  // namespace outreach::storage::detail
