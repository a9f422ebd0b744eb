#include "client-sdk/internal/device_state.h"

#include <memory>

#include "core/storage/database.h"

namespace outreach::client {

Result<std::unique_ptr<DeviceState>> DeviceState::Open(storage::Database* db) {
  OUTREACH_RETURN_IF_ERROR(db->Exec(
      "CREATE TABLE IF NOT EXISTS client_state(key TEXT PRIMARY KEY, value TEXT NOT NULL) "
      "WITHOUT ROWID"));
  return std::unique_ptr<DeviceState>(new DeviceState(db));
}

Result<std::optional<std::string>> DeviceState::Get(std::string_view key) {
  OUTREACH_ASSIGN_OR_RETURN(auto select,
                            statements_.Get("SELECT value FROM client_state WHERE key = ?"));
  OUTREACH_RETURN_IF_ERROR(select->BindText(1, key));
  OUTREACH_ASSIGN_OR_RETURN(bool found, select->Step());
  if (!found) return std::optional<std::string>();
  return std::optional<std::string>(std::string(select->ColumnText(0)));
}

Result<std::string> DeviceState::GetOr(std::string_view key) {
  OUTREACH_ASSIGN_OR_RETURN(auto value, Get(key));
  return value.value_or(std::string());
}

Status DeviceState::Set(std::string_view key, std::string_view value) {
  OUTREACH_ASSIGN_OR_RETURN(auto upsert, statements_.Get(
      "INSERT INTO client_state(key, value) VALUES (?, ?) "
      "ON CONFLICT(key) DO UPDATE SET value = excluded.value"));
  OUTREACH_RETURN_IF_ERROR(upsert->BindText(1, key));
  OUTREACH_RETURN_IF_ERROR(upsert->BindText(2, value));
  return upsert->Step().status();
}

}  // namespace outreach::client
