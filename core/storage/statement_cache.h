// StatementCache: prepared statements kept for the life of a connection, keyed by the address
// of their SQL (a string literal), lent out one scope at a time. Preparing costs more than
// running most statements. A lent statement is reset when its scope ends: a SELECT left on a
// row would keep a read transaction open, and a WAL that cannot be checkpointed past it grows
// without end.
#pragma once

#include <map>
#include <utility>

#include "core/base/status.h"
#include "core/storage/database.h"
#include "core/storage/statement.h"

namespace outreach::storage {

class StatementCache {
 public:
  class Lease {
   public:
    explicit Lease(Statement* statement) : statement_(statement) {}
    ~Lease() {
      if (statement_ != nullptr) (void)statement_->Reset();
    }
    Lease(Lease&& other) noexcept : statement_(std::exchange(other.statement_, nullptr)) {}
    Lease& operator=(Lease&&) = delete;
    Statement* operator->() const { return statement_; }
    Statement& operator*() const { return *statement_; }

   private:
    Statement* statement_;
  };

  // `db` must outlive the cache.
  explicit StatementCache(Database* db) : db_(db) {}

  // `sql` must be a string literal (its address is the key).
  Result<Lease> Get(const char* sql) {
    auto found = statements_.find(sql);
    if (found == statements_.end()) {
      OUTREACH_ASSIGN_OR_RETURN(Statement statement, db_->Prepare(sql));
      found = statements_.emplace(sql, std::move(statement)).first;
    }
    return Lease(&found->second);
  }

 private:
  Database* db_;
  std::map<const char*, Statement> statements_;
};

}  // namespace outreach::storage
