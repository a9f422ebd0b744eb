#include "core/storage/statement.h"

#include <sqlite3.h>

#include <utility>

#include "core/storage/database.h"

namespace outreach::storage {

Statement::~Statement() {
  if (stmt_ != nullptr) sqlite3_finalize(stmt_);
}

Statement::Statement(Statement&& other) noexcept
    : db_(other.db_), stmt_(std::exchange(other.stmt_, nullptr)) {}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    if (stmt_ != nullptr) sqlite3_finalize(stmt_);
    db_ = other.db_;
    stmt_ = std::exchange(other.stmt_, nullptr);
  }
  return *this;
}

Status Statement::Check(int rc, std::string_view action) const {
  return rc == SQLITE_OK ? Status::Ok() : db_->StatusFromSqlite(rc, action);
}

Status Statement::BindInt64(int index, std::int64_t value) {
  return Check(sqlite3_bind_int64(stmt_, index, value), "bind");
}
Status Statement::BindDouble(int index, double value) {
  return Check(sqlite3_bind_double(stmt_, index, value), "bind");
}
Status Statement::BindText(int index, std::string_view value) {
  // An empty view may have a null data(), which SQLite would bind as NULL, not ''.
  const char* text = value.data() != nullptr ? value.data() : "";
  return Check(sqlite3_bind_text64(stmt_, index, text, value.size(), SQLITE_TRANSIENT, SQLITE_UTF8),
               "bind");
}
Status Statement::BindBlob(int index, std::span<const std::uint8_t> value) {
  // A zero-length blob must still be a blob, not NULL: pass a non-null pointer.
  static const std::uint8_t kEmpty = 0;
  return Check(sqlite3_bind_blob64(stmt_, index, value.empty() ? &kEmpty : value.data(),
                                   value.size(), SQLITE_TRANSIENT),
               "bind");
}
Status Statement::BindNull(int index) { return Check(sqlite3_bind_null(stmt_, index), "bind"); }

Result<bool> Statement::Step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  // Reset so the statement can be reused; the error from step is the one that counts.
  Status status = db_->StatusFromSqlite(rc, "step");
  sqlite3_reset(stmt_);
  return status;
}

Status Statement::Run() {
  while (true) {
    OUTREACH_ASSIGN_OR_RETURN(bool has_row, Step());
    if (!has_row) return Reset();
  }
}

Status Statement::Reset() { return Check(sqlite3_reset(stmt_), "reset"); }

int Statement::ColumnCount() const { return sqlite3_column_count(stmt_); }
bool Statement::ColumnIsNull(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}
std::int64_t Statement::ColumnInt64(int column) const {
  return sqlite3_column_int64(stmt_, column);
}
double Statement::ColumnDouble(int column) const { return sqlite3_column_double(stmt_, column); }
std::string_view Statement::ColumnText(int column) const {
  const auto* text = sqlite3_column_text(stmt_, column);
  const int size = sqlite3_column_bytes(stmt_, column);
  if (text == nullptr) return {};
  return {reinterpret_cast<const char*>(text), static_cast<std::size_t>(size)};
}
std::span<const std::uint8_t> Statement::ColumnBlob(int column) const {
  const auto* blob = static_cast<const std::uint8_t*>(sqlite3_column_blob(stmt_, column));
  const int size = sqlite3_column_bytes(stmt_, column);
  if (blob == nullptr) return {};
  return {blob, static_cast<std::size_t>(size)};
}

}  // namespace outreach::storage
