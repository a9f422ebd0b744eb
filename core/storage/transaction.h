// Transaction: RAII scope of one SQLite transaction. Commit() makes it durable (with the
// Database's synchronous setting); destroying it uncommitted rolls it back, so an early return
// on error never leaves half a change.
#pragma once

#include "core/base/status.h"

namespace outreach::storage {

class Database;

enum class TransactionMode { kDeferred, kImmediate };

class Transaction {
 public:
  // `nested`: a savepoint inside an open transaction (see Database::Begin).
  explicit Transaction(Database* db, bool nested = false) : db_(db), nested_(nested) {}
  ~Transaction();
  Transaction(Transaction&& other) noexcept;
  Transaction& operator=(Transaction&&) = delete;
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  // After an error the transaction is rolled back; the error is returned.
  Status Commit();
  Status Rollback();

 private:
  Database* db_;  // null once committed or rolled back
  bool nested_;
};

}  // namespace outreach::storage
