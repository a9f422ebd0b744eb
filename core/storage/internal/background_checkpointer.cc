#include "core/storage/internal/background_checkpointer.h"

#include <sqlite3.h>

#include <algorithm>
#include <cassert>
#include <system_error>

#include "core/storage/internal/vfs_context.h"

namespace outreach::storage::detail {

std::unique_ptr<BackgroundCheckpointer> BackgroundCheckpointer::Start(
    sqlite3* connection, std::string token, std::shared_ptr<const DatabaseContext> writer,
    int pages) {
  std::unique_ptr<BackgroundCheckpointer> checkpointer(
      new BackgroundCheckpointer(connection, std::move(token), std::move(writer), pages));
  try {
    checkpointer->thread_ = std::thread([raw = checkpointer.get()] { raw->Run(); });
  } catch (const std::system_error&) {
    return nullptr;  // closes the connection; checkpoints stay the writer's, as without this
  }
  return checkpointer;
}

BackgroundCheckpointer::BackgroundCheckpointer(sqlite3* connection, std::string token,
                                               std::shared_ptr<const DatabaseContext> writer,
                                               int pages)
    : connection_(connection),
      token_(std::move(token)),
      writer_(std::move(writer)),
      pages_(pages) {}

BackgroundCheckpointer::~BackgroundCheckpointer() {
  {
    std::lock_guard lock(mutex_);
    assert(holds_ == 0 && "a CheckpointHold outlived its Database");
  }
  if (thread_.joinable()) {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_one();
    thread_.join();
  }
  // Not the last connection (the writer's is still open): closing copies nothing.
  sqlite3_close_v2(connection_);
  UnregisterContext(token_);
}

bool BackgroundCheckpointer::AfterCommit(int wal_frames) {
  std::lock_guard lock(mutex_);
  if (wal_frames < last_frames_) {  // the WAL was written again from its start
    copied_ = 0;
    ++generation_;
  }
  last_frames_ = wal_frames;
  // After a page failed authentication nothing is copied (see ~Database).
  if (wal_frames < pages_ || writer_->poisoned()) return false;
  const bool writer_copies = failed_ || wal_frames >= pages_ * kWriterTakesOverAt;
  writer_copies_ += writer_copies;
  if (!writer_copies && CopyDue()) {
    requested_ = true;
    wake_.notify_one();
  }
  return writer_copies;
}

bool BackgroundCheckpointer::CopyDue() const {
  // The first copy of a WAL once it holds `pages` frames, then one per quarter of that: not
  // per commit (each copy costs two syncs, which the writer's commits wait behind), and
  // often enough that the writer, at twice the limit, only has a short tail left to copy.
  if (last_frames_ < pages_) return false;
  const int step = copied_ == 0 ? pages_ : std::max(1, pages_ / 4);
  return last_frames_ - copied_ >= step;
}

void BackgroundCheckpointer::Hold() {
  std::lock_guard lock(mutex_);
  ++holds_;
}

void BackgroundCheckpointer::Release() {
  {
    std::lock_guard lock(mutex_);
    --holds_;
    last_release_ = std::chrono::steady_clock::now();
  }
  wake_.notify_one();
}

void BackgroundCheckpointer::WriterCopied(int copied) {
  std::lock_guard lock(mutex_);
  copied_ = std::max(copied_, copied);
}

std::int64_t BackgroundCheckpointer::copies() const {
  std::lock_guard lock(mutex_);
  return copies_;
}

std::int64_t BackgroundCheckpointer::writer_copies() const {
  std::lock_guard lock(mutex_);
  return writer_copies_;
}

void BackgroundCheckpointer::Run() {
  std::unique_lock lock(mutex_);
  while (true) {
    wake_.wait(lock, [this] { return stopping_ || requested_; });
    if (stopping_) return;
    // Held (a sync being answered), or released only a moment ago: wait, unless the WAL has
    // grown to kCopiesHeldAt times the limit. The WAL's frames, not those left to copy: once
    // past that (until SQLite writes the WAL from its start again, which a long reader puts
    // off) copies run held or not, each quarter of the limit, rather than leave the whole
    // copy to the writer at twice the limit, on its commit.
    while (!stopping_ && last_frames_ < kCopiesHeldAt * pages_) {
      if (holds_ > 0) {
        wake_.wait(lock);
      } else if (const auto quiet = last_release_ + kQuietAfterHolds;
                 std::chrono::steady_clock::now() < quiet) {
        wake_.wait_until(lock, quiet);
      } else {
        break;
      }
    }
    if (stopping_) return;
    requested_ = false;
    // Meanwhile the writer may have copied for itself, and the WAL started over: a copy asked
    // for before may be due no more (it would cost two syncs for nothing).
    if (!CopyDue()) continue;
    if (writer_->poisoned()) {  // nothing is copied after a page failed authentication
      failed_ = true;
      return;
    }
    const std::int64_t generation = generation_;
    lock.unlock();
    int frames = 0;
    int copied = 0;
    int rc = SQLITE_OK;
    {
      std::lock_guard copying(copying_);
      // PASSIVE: copies what no reader still needs, never waits, and the writer goes on
      // committing meanwhile. Busy: another connection or process is checkpointing, which is
      // no failure. A page that fails authentication poisons this connection and the
      // writer's (their contexts share failures).
      rc = sqlite3_wal_checkpoint_v2(connection_, "main", SQLITE_CHECKPOINT_PASSIVE, &frames,
                                     &copied);
    }
    lock.lock();
    if ((rc & 0xff) == SQLITE_BUSY) continue;
    if (rc != SQLITE_OK) {
      failed_ = true;  // from now on the writer copies for itself, as without this thread
      return;
    }
    copies_ += copied > 0;
    // Unless the WAL was written again from its start meanwhile (its positions are new).
    if (generation == generation_) copied_ = std::max(copied_, copied);
  }
}

}  // namespace outreach::storage::detail
