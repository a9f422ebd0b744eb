// Statement: one prepared SQL statement with RAII finalisation. Bind parameters (1-based), Step
// through rows, read columns (0-based). Views returned by Column* are valid until the next Step,
// Reset or destruction. A Statement must not outlive the Database that prepared it.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "core/base/status.h"

struct sqlite3_stmt;

namespace outreach::storage {

class Database;

class Statement {
 public:
  Statement(const Database* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  ~Statement();
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Status BindInt64(int index, std::int64_t value);
  Status BindDouble(int index, double value);
  Status BindText(int index, std::string_view value);  // copied by SQLite
  Status BindBlob(int index, std::span<const std::uint8_t> value);
  Status BindNull(int index);

  // true: a row is ready; false: done. Errors: corrupt, io, locked, constraint, ...
  Result<bool> Step();
  // Runs a statement that returns no rows to completion.
  Status Run();
  // Ready to Step again from the start; bindings are kept.
  Status Reset();

  int ColumnCount() const;
  bool ColumnIsNull(int column) const;
  std::int64_t ColumnInt64(int column) const;
  double ColumnDouble(int column) const;
  std::string_view ColumnText(int column) const;
  std::span<const std::uint8_t> ColumnBlob(int column) const;

 private:
  Status Check(int rc, std::string_view action) const;

  const Database* db_;
  sqlite3_stmt* stmt_;
};

}  // namespace outreach::storage
