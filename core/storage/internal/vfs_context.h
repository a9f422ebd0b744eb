// DatabaseContext: what the encrypting VFS knows about one open connection's database: its
// cipher, whether a checkpoint is running, and the last page that failed authentication (so
// Database can name file and page in a `corrupt` error). Found by xOpen through a random token in
// the connection's URI; files without a registered token are refused.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "core/storage/internal/page_cipher.h"
#include "core/storage/internal/wal_frame_buffer.h"

namespace outreach::storage::detail {

enum class FileRole { kDatabase, kWal };

struct PageFailure {
  FileRole role;
  std::uint32_t page_number;
  std::int64_t wal_frame;  // 1-based frame number for WAL failures, 0 otherwise
};

class DatabaseContext {
 public:
  // `shares_failures_with` (may be null): the writer's context, for the connection of its
  // background checkpointer: a failure seen by either connection makes both refuse writes,
  // and one seen by the checkpointer is the writer's to report.
  DatabaseContext(std::string path, SecureBytes data_key, const DatabaseId& database_id,
                  std::shared_ptr<DatabaseContext> shares_failures_with = nullptr)
      : path_(std::move(path)),
        cipher_(std::move(data_key), database_id),
        shares_failures_with_(std::move(shares_failures_with)) {}

  const std::string& path() const { return path_; }
  // True once any page failed authentication on this connection (or on the one it shares
  // failures with): from then on its files refuse every write (FORMAT.md, "Errors").
  bool poisoned() const {
    return poisoned_.load() || (shares_failures_with_ && shares_failures_with_->poisoned());
  }
  const PageCipher& cipher() const { return cipher_; }

  // Set between SQLITE_FCNTL_CKPT_START and _DONE on this connection's database file: the
  // checkpoint copies sealed WAL pages into the database unchanged (see FORMAT.md).
  std::atomic<bool> in_checkpoint{false};
  // Counts SQLITE_FCNTL_CKPT_START: frames its WAL file read ahead serve one checkpoint only.
  std::atomic<std::uint64_t> checkpoints{0};
  // The page the running checkpoint read last from the WAL, not yet written (0: none). SQLite
  // 3.40's checkpoint reads a frame, then writes its page into the database, frame after
  // frame: the database file refuses to write any other page, so a frame served wrongly (read
  // ahead, say) stops the copy instead of landing on another page. The checkpoint's thread.
  std::uint32_t checkpoint_page_read = 0;
  // True only while Database::Create switches a new file to WAL via journal_mode=MEMORY.
  std::atomic<bool> creating{false};
  // This connection's WAL frames (and held frame header) not on disk yet. Only its WAL file
  // writes them, and its database file ends them with the write transaction (the WAL write
  // lock's release, which needs locking_mode=NORMAL: the VFS refuses any other); SQLite uses a
  // connection on one thread at a time.
  WalFrameBuffer wal_frames;

  void RecordPageFailure(const PageFailure& failure);
  void RecordRefusal(std::string reason);
  // Takes (and clears) what the VFS recorded since the last call. A recorded page failure
  // stays in force as poisoned().
  std::optional<PageFailure> TakePageFailure();
  std::optional<std::string> TakeRefusal();

 private:
  const std::string path_;
  const PageCipher cipher_;
  const std::shared_ptr<DatabaseContext> shares_failures_with_;
  std::atomic<bool> poisoned_{false};
  std::mutex mu_;
  std::optional<PageFailure> page_failure_;  // guarded by mu_
  std::optional<std::string> refusal_;       // guarded by mu_
};

// Registers `context` under a fresh random token (32 hex characters) and returns the token.
std::string RegisterContext(std::shared_ptr<DatabaseContext> context);
void UnregisterContext(const std::string& token);
std::shared_ptr<DatabaseContext> FindContext(const std::string& token);

}  // namespace outreach::storage::detail
