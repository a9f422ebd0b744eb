#include "core/storage/internal/sqlite_errors.h"

#include <sqlite3.h>

#include <string>

#include "core/storage/internal/vfs_context.h"

namespace outreach::storage::detail {
namespace {

std::string DescribeFailure(const PageFailure& failure, const std::string& path) {
  if (failure.role == FileRole::kWal) {
    return "page " + std::to_string(failure.page_number) + " in frame " +
           std::to_string(failure.wal_frame) + " of WAL file " + path +
           "-wal failed authentication";
  }
  return "page " + std::to_string(failure.page_number) + " of database file " + path +
         " failed authentication";
}

}  // namespace

Status StatusFromSqlite(sqlite3* db, int rc, std::string_view action, DatabaseContext* context) {
  // SQLite's messages name tables, columns and the failing operation, never bound values.
  std::string message(action);
  message += ": ";
  message += db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  if (context != nullptr) {
    // Take both, so nothing recorded for this error colours a later, unrelated one; use them
    // only for the codes the VFS answers with when it records them.
    const auto failure = context->TakePageFailure();
    const auto refusal = context->TakeRefusal();
    const int primary = rc & 0xff;
    if (failure && (rc == SQLITE_IOERR_DATA || primary == SQLITE_CORRUPT)) {
      return CorruptError(DescribeFailure(*failure, context->path()));
    }
    if (refusal && (rc == SQLITE_IOERR_WRITE || primary == SQLITE_ERROR)) {
      // Refused for a failure found by the background checkpointer's connection, not yet
      // reported (DatabaseContext shares failures): that failure, named, is the error.
      if (failure && rc == SQLITE_IOERR_WRITE) {
        return CorruptError(DescribeFailure(*failure, context->path()));
      }
      return FailedPreconditionError(std::string(action) + ": refused by the encrypting VFS: " +
                                     *refusal);
    }
  }
  switch (rc & 0xff) {
    case SQLITE_OK:
      return Status::Ok();
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return CorruptError(message);
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Status(StatusCode::kLocked, message);
    case SQLITE_FULL:
    case SQLITE_IOERR:
    case SQLITE_READONLY:
    case SQLITE_PROTOCOL:
      if (rc == SQLITE_IOERR_DATA) return CorruptError(message);
      return IoError(message);
    case SQLITE_CANTOPEN:
      return IoError(message);
    case SQLITE_CONSTRAINT:
      return Status(StatusCode::kConstraint, message);
    case SQLITE_NOMEM:
    case SQLITE_TOOBIG:
      return Status(StatusCode::kResourceExhausted, message);
    case SQLITE_INTERRUPT:
    case SQLITE_ABORT:
      return Status(StatusCode::kAborted, message);
    case SQLITE_AUTH:
    case SQLITE_PERM:
      return FailedPreconditionError(message);
    case SQLITE_ERROR:
    case SQLITE_RANGE:
    case SQLITE_MISMATCH:
    case SQLITE_MISUSE:
      return InvalidArgumentError(message);
    default:
      return InternalError(message);
  }
}

}  // namespace outreach::storage::detail
