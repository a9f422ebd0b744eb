#include "core/storage/transaction.h"

#include <sqlite3.h>

#include <utility>

#include "core/storage/database.h"
#include "core/storage/database_internal.h"

namespace outreach::storage {

Transaction::~Transaction() {
  if (db_ != nullptr) (void)Rollback();
}

Transaction::Transaction(Transaction&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)), nested_(other.nested_) {}

Status Transaction::Commit() {
  if (db_ == nullptr) return FailedPreconditionError("the transaction has already ended");
  // A nested one only folds into the enclosing transaction, which commits (or not) for both.
  Status status = db_->Exec(nested_ ? "RELEASE nested" : "COMMIT");
  if (!status.ok()) {
    // SQLite may keep the transaction open after a failed COMMIT (e.g. SQLITE_BUSY): end it, so
    // the caller's next transaction starts clean and nothing half-done survives.
    (void)Rollback();
    return status;
  }
  db_ = nullptr;
  return status;
}

Status Transaction::Rollback() {
  if (db_ == nullptr) return Status::Ok();
  Database* db = std::exchange(db_, nullptr);
  // SQLite rolls back by itself after some errors (I/O, full disk); nothing is left to undo.
  if (sqlite3_get_autocommit(DatabaseInternal::Handle(*db)) != 0) return Status::Ok();
  return db->Exec(nested_ ? "ROLLBACK TO nested; RELEASE nested" : "ROLLBACK");
}

}  // namespace outreach::storage
