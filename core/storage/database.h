// Database: an encrypted SQLite database on the device (or the server), and the only way the
// rest of outreach-sync touches SQLite files. Every page of the database and its WAL is sealed
// by the encrypting VFS; the random data key is unwrapped from "<path>.key" by a KeySource.
//
// A Database is one SQLite connection: use it from one thread at a time. Several Database
// objects may have the same file open (each unlocks it for itself).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/base/status.h"
#include "core/storage/key_file.h"
#include "core/storage/key_source.h"
#include "core/storage/statement.h"
#include "core/storage/transaction.h"

struct sqlite3;

namespace outreach::storage {

namespace detail {
class BackgroundCheckpointer;
class DatabaseContext;
}

// No OFF: in WAL mode it can lose or corrupt commits when the battery goes flat.
enum class Synchronous {
  // A commit is durable only at the next checkpoint, or at the next synced commit (the WAL is
  // written in order, and a sync takes everything before it); a power cut (not a crash of the
  // app) can lose the last commits, never corrupt the database.
  kNormal = 1,
  // Every commit is synced to disk before Commit() returns.
  kFull = 2,
};

// How a delete overwrites what it deletes (SQLite's secure_delete pragma).
enum class SecureDelete {
  // Set at open, whatever SQLite was built with: deleted cells, and every page a delete frees,
  // are overwritten with zeros before they are sealed again.
  kZeroed = 1,
  // Deleted cells are zeroed in the pages a delete writes anyway, but a page it frees is left
  // as it was (sealed, like every page, under the database's key): for deleting content the
  // database still holds elsewhere, without writing each freed page once more.
  kZeroedInPlace = 2,
};

struct OpenOptions {
  // Argon2id cost for a new key file (Create, ChangeKey). Opening reads it from the key file.
  KdfParams kdf = KdfParams::Default();
  // FULL: a commit is on disk when Commit() returns (a flat battery loses nothing reported).
  Synchronous synchronous = Synchronous::kFull;
  // WAL pages after which a commit checkpoints into the database; 0 never does so by itself.
  // 4000 (16 MiB), not SQLite's 1000: a checkpoint reads and authenticates every page it
  // copies, and the pages each write rewrites (index leaves, page 1) are copied once per
  // checkpoint, so fewer, larger checkpoints cost a write much less (merge_bench's
  // replica.create: about 1.9x plain SQLite at 1000, about 1.6x at 4000 on both sides).
  int wal_autocheckpoint_pages = 4000;
  // Those checkpoints run on a thread and connection of their own, not in the commit that
  // filled the WAL, so the writer goes on meanwhile (internal/background_checkpointer.h). The
  // writer still copies for itself once the WAL reaches twice that size (after the copy under
  // way). Costs a thread, a second connection (its file descriptors) and a second copy of the
  // data key in guarded memory.
  bool checkpoint_in_background = false;
  int busy_timeout_ms = 5000;
  // SQLite's page cache for this connection, in KiB (decrypted pages).
  int cache_size_kib = 8192;
  // The SQLite VFS under the encryption; empty for SQLite's default. Tests pass a VFS that
  // injects faults.
  std::string base_vfs;
};

// While alive, the background copy of a database's WAL (OpenOptions::checkpoint_in_background)
// does not start (Database::HoldCheckpoints). Movable; must not outlive its database.
class CheckpointHold {
 public:
  CheckpointHold() = default;
  explicit CheckpointHold(detail::BackgroundCheckpointer* held);
  ~CheckpointHold();
  CheckpointHold(CheckpointHold&& other) noexcept;
  CheckpointHold& operator=(CheckpointHold&& other) noexcept;
  CheckpointHold(const CheckpointHold&) = delete;
  CheckpointHold& operator=(const CheckpointHold&) = delete;

 private:
  detail::BackgroundCheckpointer* held_ = nullptr;
};

class Database {
 public:
  // Creates a new encrypted database at `path` with a key file at KeyFilePath(path).
  // already_exists if either exists; invalid_argument for an empty passcode, a bad raw key or a
  // path that is a folder. On any failure nothing is left behind.
  static Result<std::unique_ptr<Database>> Create(const std::string& path, const KeySource& key,
                                                  const OpenOptions& options = {});

  // Unlocks and opens an existing database. wrong_key: the key does not unlock it (no file is
  // touched); not_found: no database there; invalid_argument: not an outreach database;
  // corrupt: the key file or a page failed authentication (the message names file and page).
  static Result<std::unique_ptr<Database>> Open(const std::string& path, const KeySource& key,
                                                const OpenOptions& options = {});

  // Rewraps the data key under `new_key` (a new passcode, or a keystore key). The database
  // files are not rewritten. wrong_key if `old_key` does not unlock it.
  static Status ChangeKey(const std::string& path, const KeySource& old_key,
                          const KeySource& new_key, const KdfParams& kdf = KdfParams::Default());

  // Destroys the key file first (overwritten with random bytes, synced, unlinked), then the
  // database, WAL and shared-memory files. Close every Database on it first.
  static Status Wipe(const std::string& path);

  static std::string KeyFilePath(const std::string& path) { return path + ".key"; }

  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Runs one or more SQL statements without results.
  Status Exec(std::string_view sql);
  Result<Statement> Prepare(std::string_view sql);
  // BEGIN IMMEDIATE (writers) or DEFERRED (readers); rolled back unless committed. Inside an
  // open transaction: a savepoint, so calls that each take a transaction can be grouped into
  // one commit (its Rollback undoes only its own part).
  Result<Transaction> Begin(TransactionMode mode = TransactionMode::kImmediate);

  // For this connection until set again (kZeroed after open).
  Status SetSecureDelete(SecureDelete mode);
  // For this connection's commits from now on, until set again (OpenOptions::synchronous at
  // open). Not inside a transaction.
  Status SetSynchronous(Synchronous mode);
  // This connection's page cache from now on (OpenOptions::cache_size_kib at open); a smaller
  // one frees the pages beyond it that no statement holds.
  Status SetCacheSize(int kib);

  // Copies the WAL into the database and truncates the WAL (after a background copy under way).
  Status Checkpoint();
  // Holds the background copy of the WAL off while the returned hold lives (and for a quiet
  // spell after the last one goes; holds count, they do not nest): a server holds it while it
  // answers a sync, so the copy, which reads, authenticates and writes back every page written
  // since the last, runs when no sync waits for the CPU it takes. Once the WAL holds half
  // again its limit the copy runs held or not, so under steady load it stays bounded. Without
  // a background copy, a hold holds nothing.
  CheckpointHold HoldCheckpoints();
  // PRAGMA integrity_check: "ok" or SQLite's list of problems.
  Result<std::string> IntegrityCheck();

  std::int64_t LastInsertRowId() const;
  // Rows the last INSERT, UPDATE or DELETE on this connection wrote (an upsert whose update
  // was skipped by its WHERE wrote none).
  std::int64_t LastChanges() const;
  const std::string& path() const { return path_; }

 private:
  friend class DatabaseInternal;
  friend class Statement;
  friend class Transaction;

  // Turns an SQLite result code on this connection into a Status, naming the page that failed
  // authentication if the VFS saw one.
  Status StatusFromSqlite(int rc, std::string_view action) const;

  Database(std::string path, sqlite3* db, std::shared_ptr<detail::DatabaseContext> context,
           std::string token);

  static Result<std::unique_ptr<Database>> Connect(const std::string& path, UnlockedKey key,
                                                   const OpenOptions& options, bool creating);
  Status Configure(const OpenOptions& options, bool creating);
  // A second connection, with a context of its own under `data_key`, for
  // OpenOptions::checkpoint_in_background.
  Status StartBackgroundCheckpoints(const std::string& vfs_name, SecureBytes data_key,
                                    const DatabaseId& database_id, int pages, int busy_timeout_ms);

  std::string path_;
  sqlite3* db_ = nullptr;
  std::shared_ptr<detail::DatabaseContext> context_;
  std::string token_;
  std::unique_ptr<detail::BackgroundCheckpointer> checkpointer_;  // null: the writer copies
};

}  // namespace outreach::storage
