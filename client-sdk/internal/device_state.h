// DeviceState: the SDK's own small key-value table in the device's encrypted database — server
// URL, device token, identity, cursor, schemas, last sync. In the same database as the replica,
// so a sync page's cursor commits in the same transaction as the records it brought.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/base/status.h"
#include "core/storage/statement_cache.h"

namespace outreach::client {

// Keys of DeviceState.
inline constexpr const char* kServerUrl = "server_url";
inline constexpr const char* kToken = "token";
inline constexpr const char* kDeviceId = "device_id";
inline constexpr const char* kUserId = "user_id";
inline constexpr const char* kUserName = "user_name";
inline constexpr const char* kTeam = "team";
inline constexpr const char* kRole = "role";
inline constexpr const char* kCaFile = "ca_file";
inline constexpr const char* kPin = "pinned_public_key";
// How the server is trusted, stored at enrolment: kTrustPinAlone (a pin and no CA file: the
// pin vouches for a self-signed server) or kTrustCa (the CA file or the system's CAs verify it,
// and the pin too if there is one). Missing: enrolled before it was stored, when a lone pin
// meant the system's CAs and the pin; such devices keep that meaning.
inline constexpr const char* kTrustMode = "trust_mode";
inline constexpr const char* kTrustPinAlone = "pin_alone";
inline constexpr const char* kTrustCa = "ca";
inline constexpr const char* kCursor = "cursor";
inline constexpr const char* kLastSyncMs = "last_sync_ms";
inline constexpr const char* kSchemas = "schemas";  // {"collection": schema document, ...}
inline constexpr const char* kSchemasHash = "schemas_hash";
// The protocol version the server last said it speaks ("1.1"; GET /v1/schemas, sync answers):
// requests are written in no newer minor than that. Missing: 1.0, which every 1.x server reads.
inline constexpr const char* kServerProtocol = "server_protocol";

class DeviceState {
 public:
  // Creates the table if needed. `db` must outlive this.
  static Result<std::unique_ptr<DeviceState>> Open(storage::Database* db);

  Result<std::optional<std::string>> Get(std::string_view key);
  // Empty string for a missing key.
  Result<std::string> GetOr(std::string_view key);
  Status Set(std::string_view key, std::string_view value);

 private:
  explicit DeviceState(storage::Database* db) : statements_(db) {}
  storage::StatementCache statements_;
};

}  // namespace outreach::client
