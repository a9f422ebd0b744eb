#include "core/storage/database.h"

#include <sqlite3.h>

#include <utility>

#include "core/storage/database_internal.h"
#include "core/storage/internal/background_checkpointer.h"
#include "core/storage/internal/encrypted_vfs.h"
#include "core/storage/internal/file_util.h"
#include "core/storage/internal/page_cipher.h"
#include "core/storage/internal/sqlite_errors.h"
#include "core/storage/internal/vfs_context.h"

namespace outreach::storage {
namespace {

using detail::PathKind;

const char* const kSiblingSuffixes[] = {"-wal", "-shm"};

// Percent-encodes a path for an SQLite URI ("file:<path>?outreach_ctx=<token>").
std::string UriFromPath(const std::string& path, const std::string& token) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string uri = "file:";
  for (const unsigned char c : path) {
    const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                       c == '/' || c == '-' || c == '_' || c == '.' || c == '~';
    if (plain) {
      uri += static_cast<char>(c);
    } else {
      uri += '%';
      uri += kHex[c >> 4];
      uri += kHex[c & 15];
    }
  }
  uri += '?';
  uri += detail::kContextUriParameter;
  uri += '=';
  uri += token;
  return uri;
}

Status CheckDatabasePath(const std::string& path) {
  if (path.empty()) return InvalidArgumentError("the database path is empty");
  const PathKind kind = detail::KindOfPath(path);
  if (kind == PathKind::kDirectory) return InvalidArgumentError(path + " is a folder");
  if (kind == PathKind::kOther) return InvalidArgumentError(path + " is not a regular file");
  return Status::Ok();
}

// The connection was opened with URIs (for the context token), so SQL could ATTACH or
// VACUUM INTO 'file:x?vfs=unix' and write plaintext past the encrypting VFS. Only the empty
// name (VACUUM's temporary database, in memory under temp_store=MEMORY) and ":memory:" may be
// attached.
int DenyFileAttach(void*, int action, const char* file_name, const char*, const char*,
                   const char*) {
  if (action != SQLITE_ATTACH) return SQLITE_OK;
  if (file_name == nullptr) return SQLITE_DENY;
  const std::string_view name(file_name);
  return name.empty() || name == ":memory:" ? SQLITE_OK : SQLITE_DENY;
}

// SQLite's WAL hook, called after every commit: the background checkpointer is told, and the
// writer copies for itself only when that has fallen behind or failed (PASSIVE, as SQLite's own
// autocheckpoint hook does), after the copy under way, so its own is not refused as busy.
int AfterWalCommit(void* arg, sqlite3* db, const char* name, int wal_frames) {
  auto* checkpointer = static_cast<detail::BackgroundCheckpointer*>(arg);
  if (checkpointer->AfterCommit(wal_frames)) {
    const auto held_off = checkpointer->HoldOff();
    int frames = 0;
    int copied = 0;
    if (sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, &frames, &copied) ==
        SQLITE_OK) {
      checkpointer->WriterCopied(copied);
    }
  }
  return SQLITE_OK;
}

int OpenFlags(bool creating) {
  return SQLITE_OPEN_READWRITE | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE |
         (creating ? SQLITE_OPEN_CREATE : 0);
}

// Removes whatever a failed Create left, key file first.
void RemoveCreatedFiles(const std::string& path) {
  (void)detail::ShredFile(Database::KeyFilePath(path));
  (void)detail::RemoveFileIfPresent(path);
  for (const char* suffix : kSiblingSuffixes) (void)detail::RemoveFileIfPresent(path + suffix);
}

}  // namespace

Database::Database(std::string path, sqlite3* db, std::shared_ptr<detail::DatabaseContext> context,
                   std::string token)
    : path_(std::move(path)), db_(db), context_(std::move(context)), token_(std::move(token)) {}

Database::~Database() {
  // First: its thread may be copying, and closing the writer's connection last lets SQLite
  // checkpoint and remove the WAL as before. The hook goes with it.
  if (checkpointer_ != nullptr) sqlite3_wal_hook(db_, nullptr, nullptr);
  checkpointer_.reset();
  if (db_ != nullptr) {
    // After a page failed authentication nothing may be written, not even the checkpoint
    // SQLite runs on close: it would build on tampered data, and the files must stay as found.
    if (context_->poisoned()) sqlite3_db_config(db_, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, nullptr);
    // close_v2: statements still alive keep the connection until they are finalised.
    sqlite3_close_v2(db_);
  }
  detail::UnregisterContext(token_);
}

Result<std::unique_ptr<Database>> Database::Create(const std::string& path, const KeySource& key,
                                                   const OpenOptions& options) {
  OUTREACH_RETURN_IF_ERROR(CheckDatabasePath(path));
  OUTREACH_RETURN_IF_ERROR(key.Validate());
  for (const std::string& existing : {path, KeyFilePath(path), path + "-wal"}) {
    if (detail::KindOfPath(existing) != PathKind::kMissing) {
      return AlreadyExistsError("a database already exists at " + path);
    }
  }
  OUTREACH_ASSIGN_OR_RETURN(UnlockedKey unlocked,
                            CreateKeyFile(KeyFilePath(path), key, options.kdf));
  auto database = Connect(path, std::move(unlocked), options, /*creating=*/true);
  if (!database.ok()) RemoveCreatedFiles(path);
  return database;
}

Result<std::unique_ptr<Database>> Database::Open(const std::string& path, const KeySource& key,
                                                 const OpenOptions& options) {
  OUTREACH_RETURN_IF_ERROR(CheckDatabasePath(path));
  OUTREACH_RETURN_IF_ERROR(key.Validate());
  const bool has_database = detail::KindOfPath(path) == PathKind::kFile;
  const PathKind key_kind = detail::KindOfPath(KeyFilePath(path));
  if (key_kind == PathKind::kMissing) {
    if (has_database) {
      return InvalidArgumentError(path + " is not an outreach database (no key file beside it)");
    }
    return NotFoundError("no database at " + path);
  }
  if (key_kind != PathKind::kFile) {
    return InvalidArgumentError(KeyFilePath(path) + " is not a regular file");
  }
  OUTREACH_ASSIGN_OR_RETURN(UnlockedKey unlocked, UnlockKeyFile(KeyFilePath(path), key));
  if (!has_database) return CorruptError("the database file " + path + " is missing");
  return Connect(path, std::move(unlocked), options, /*creating=*/false);
}

Status Database::ChangeKey(const std::string& path, const KeySource& old_key,
                           const KeySource& new_key, const KdfParams& kdf) {
  OUTREACH_RETURN_IF_ERROR(CheckDatabasePath(path));
  return RewrapKeyFile(KeyFilePath(path), old_key, new_key, kdf);
}

Status Database::Wipe(const std::string& path) {
  OUTREACH_RETURN_IF_ERROR(CheckDatabasePath(path));
  // Key first, with any temporary copy an interrupted ChangeKey left: once they are gone,
  // whatever survives of the other files is unreadable.
  OUTREACH_RETURN_IF_ERROR(detail::ShredFile(KeyFilePath(path)));
  OUTREACH_RETURN_IF_ERROR(detail::ShredTemporarySiblings(KeyFilePath(path)));
  OUTREACH_RETURN_IF_ERROR(detail::SyncParentFolder(path));
  OUTREACH_RETURN_IF_ERROR(detail::RemoveFileIfPresent(path));
  for (const char* suffix : kSiblingSuffixes) {
    OUTREACH_RETURN_IF_ERROR(detail::RemoveFileIfPresent(path + suffix));
  }
  return detail::SyncParentFolder(path);
}

Result<std::unique_ptr<Database>> Database::Connect(const std::string& path, UnlockedKey key,
                                                    const OpenOptions& options, bool creating) {
  OUTREACH_ASSIGN_OR_RETURN(std::string vfs_name, detail::EncryptedVfsName(options.base_vfs));
  const bool in_background =
      options.checkpoint_in_background && options.wal_autocheckpoint_pages > 0;
  SecureBytes checkpointer_key;
  if (in_background) checkpointer_key = SecureBytes::CopyOf(key.data_key.span());
  auto context = std::make_shared<detail::DatabaseContext>(path, std::move(key.data_key),
                                                           key.database_id);
  std::string token = detail::RegisterContext(context);
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(UriFromPath(path, token).c_str(), &db, OpenFlags(creating),
                                 vfs_name.c_str());
  std::unique_ptr<Database> database(new Database(path, db, std::move(context), std::move(token)));
  if (rc != SQLITE_OK) return database->StatusFromSqlite(rc, "open");
  OUTREACH_RETURN_IF_ERROR(database->Configure(options, creating));
  if (in_background) {
    OUTREACH_RETURN_IF_ERROR(database->StartBackgroundCheckpoints(
        vfs_name, std::move(checkpointer_key), key.database_id, options.wal_autocheckpoint_pages,
        options.busy_timeout_ms));
  }
  return database;
}

Status Database::StartBackgroundCheckpoints(const std::string& vfs_name, SecureBytes data_key,
                                            const DatabaseId& database_id, int pages,
                                            int busy_timeout_ms) {
  auto context = std::make_shared<detail::DatabaseContext>(path_, std::move(data_key), database_id,
                                                           context_);
  std::string token = detail::RegisterContext(context);
  sqlite3* connection = nullptr;
  int rc = sqlite3_open_v2(UriFromPath(path_, token).c_str(), &connection,
                           OpenFlags(/*creating=*/false), vfs_name.c_str());
  // A connection learns that the database is in WAL mode when it first reads it; until then
  // a checkpoint on it does nothing. (Its checkpoints are PASSIVE, which never wait.)
  if (rc == SQLITE_OK) {
    sqlite3_busy_timeout(connection, busy_timeout_ms);
    rc = sqlite3_exec(connection, "SELECT count(*) FROM sqlite_schema", nullptr, nullptr, nullptr);
  }
  if (rc != SQLITE_OK) {
    const Status status =
        detail::StatusFromSqlite(connection, rc, "open the checkpointing connection", context.get());
    sqlite3_close_v2(connection);
    detail::UnregisterContext(token);
    return status;
  }
  checkpointer_ =
      detail::BackgroundCheckpointer::Start(connection, std::move(token), context_, pages);
  // Without a thread, SQLite's own autocheckpoint hook (the wal_autocheckpoint pragma) stays;
  // with one, this hook replaces it.
  if (checkpointer_ != nullptr) sqlite3_wal_hook(db_, AfterWalCommit, checkpointer_.get());
  return Status::Ok();
}

Status Database::Configure(const OpenOptions& options, bool creating) {
  if (creating) {
    // Nonce and tag need 40 reserved bytes per page; this only works before the first write.
    int reserve = detail::kReserveBytes;
    if (sqlite3_file_control(db_, "main", SQLITE_FCNTL_RESERVE_BYTES, &reserve) != SQLITE_OK) {
      return InternalError("cannot reserve page bytes for the nonce and tag");
    }
    // Pitfall: switching a new database straight to WAL uses a rollback journal file; the
    // in-memory journal first avoids it. The VFS allows "memory" only during this step.
    context_->creating.store(true);
    Status status = Exec("PRAGMA page_size=4096; PRAGMA journal_mode=MEMORY;");
    if (status.ok()) status = Exec("PRAGMA journal_mode=WAL;");
    context_->creating.store(false);
    OUTREACH_RETURN_IF_ERROR(status);
  }
  // Reading the journal mode reads page 1: a wrong data key or a foreign file fails here.
  OUTREACH_ASSIGN_OR_RETURN(Statement mode, Prepare("PRAGMA journal_mode"));
  OUTREACH_ASSIGN_OR_RETURN(bool has_row, mode.Step());
  if (!has_row || mode.ColumnText(0) != "wal") {
    return CorruptError(path_ + " is not in WAL mode; it was not written by this engine");
  }
  int reserve = -1;  // negative: query the current value
  sqlite3_file_control(db_, "main", SQLITE_FCNTL_RESERVE_BYTES, &reserve);
  if (reserve != detail::kReserveBytes) {
    return CorruptError(path_ + " has no room for page nonces and tags");
  }
  sqlite3_set_authorizer(db_, DenyFileAttach, nullptr);
  sqlite3_busy_timeout(db_, options.busy_timeout_ms);
  // Defensive: no writable_schema tricks that could corrupt the file.
  sqlite3_db_config(db_, SQLITE_DBCONFIG_DEFENSIVE, 1, nullptr);
  const char* synchronous = options.synchronous == Synchronous::kFull ? "FULL" : "NORMAL";
  // secure_delete ON explicitly: Debian's SQLite is built with it, others are not, and what
  // a delete leaves behind must not depend on the build.
  return Exec("PRAGMA secure_delete=ON; PRAGMA temp_store=MEMORY; PRAGMA mmap_size=0; "
              "PRAGMA synchronous=" +
              std::string(synchronous) + "; PRAGMA wal_autocheckpoint=" +
              std::to_string(options.wal_autocheckpoint_pages) + "; PRAGMA cache_size=-" +
              std::to_string(options.cache_size_kib) + ";");
}

Status Database::Exec(std::string_view sql) {
  const std::string text(sql);
  const int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, nullptr);
  return rc == SQLITE_OK ? Status::Ok() : StatusFromSqlite(rc, "exec");
}

Result<Statement> Database::Prepare(std::string_view sql) {
  if (sql.size() > static_cast<std::size_t>(sqlite3_limit(db_, SQLITE_LIMIT_SQL_LENGTH, -1))) {
    return InvalidArgumentError("the SQL text is longer than SQLite accepts");
  }
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr);
  if (rc != SQLITE_OK) return StatusFromSqlite(rc, "prepare");
  if (stmt == nullptr) return InvalidArgumentError("the SQL holds no statement");
  return Statement(this, stmt);
}

Result<Transaction> Database::Begin(TransactionMode mode) {
  if (sqlite3_get_autocommit(db_) == 0) {
    OUTREACH_RETURN_IF_ERROR(Exec("SAVEPOINT nested"));
    return Transaction(this, /*nested=*/true);
  }
  OUTREACH_RETURN_IF_ERROR(Exec(mode == TransactionMode::kImmediate ? "BEGIN IMMEDIATE" : "BEGIN"));
  return Transaction(this);
}

Status Database::SetSecureDelete(SecureDelete mode) {
  return Exec(mode == SecureDelete::kZeroed ? "PRAGMA secure_delete=ON"
                                            : "PRAGMA secure_delete=FAST");
}

Status Database::SetSynchronous(Synchronous mode) {
  return Exec(mode == Synchronous::kFull ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
}

Status Database::SetCacheSize(int kib) {
  return Exec("PRAGMA cache_size=-" + std::to_string(kib));
}

Status Database::Checkpoint() {
  // The background copy would hold SQLite's checkpoint lock, refusing this one as busy.
  const auto held_off =
      checkpointer_ != nullptr ? checkpointer_->HoldOff() : std::unique_lock<std::mutex>();
  const int rc = sqlite3_wal_checkpoint_v2(db_, "main", SQLITE_CHECKPOINT_TRUNCATE, nullptr, nullptr);
  return rc == SQLITE_OK ? Status::Ok() : StatusFromSqlite(rc, "checkpoint");
}

Result<std::string> Database::IntegrityCheck() {
  OUTREACH_ASSIGN_OR_RETURN(Statement check, Prepare("PRAGMA integrity_check"));
  std::string report;
  while (true) {
    OUTREACH_ASSIGN_OR_RETURN(bool has_row, check.Step());
    if (!has_row) break;
    if (!report.empty()) report += '\n';
    report += check.ColumnText(0);
  }
  return report;
}

std::int64_t Database::LastInsertRowId() const { return sqlite3_last_insert_rowid(db_); }

std::int64_t Database::LastChanges() const { return sqlite3_changes64(db_); }

Status Database::StatusFromSqlite(int rc, std::string_view action) const {
  return detail::StatusFromSqlite(db_, rc, action, context_.get());
}

CheckpointHold::CheckpointHold(detail::BackgroundCheckpointer* held) : held_(held) {
  if (held_ != nullptr) held_->Hold();
}

CheckpointHold::~CheckpointHold() {
  if (held_ != nullptr) held_->Release();
}

CheckpointHold::CheckpointHold(CheckpointHold&& other) noexcept
    : held_(std::exchange(other.held_, nullptr)) {}

CheckpointHold& CheckpointHold::operator=(CheckpointHold&& other) noexcept {
  if (this != &other) {
    if (held_ != nullptr) held_->Release();
    held_ = std::exchange(other.held_, nullptr);
  }
  return *this;
}

CheckpointHold Database::HoldCheckpoints() { return CheckpointHold(checkpointer_.get()); }

std::int64_t DatabaseInternal::BackgroundCopies(const Database& db) {
  return db.checkpointer_ == nullptr ? -1 : db.checkpointer_->copies();
}

std::int64_t DatabaseInternal::WriterCopies(const Database& db) {
  return db.checkpointer_ == nullptr ? -1 : db.checkpointer_->writer_copies();
}

}  // namespace outreach::storage
