// ServerHarness: a real sync server without the network, for the SyncService and Router tests:
// the encrypted SQLite store in a test's folder, the real schemas/, a ManualClock as the
// server's clock, and the SyncService over them. Teams, users and enrolments go through the
// same calls an administrator and a device make.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <variant>

#include "core/base/status.h"
#include "core/model/physical_clock.h"
#include "core/protocol/messages.h"
#include "core/schema/schema_registry.h"
#include "sync-server/store/server_store.h"
#include "sync-server/sync/sync_service.h"

namespace outreach::server::testing {

// 2025-11-24, a Monday: the server's clock when a test starts.
inline constexpr std::int64_t kStartMs = 1'764'000'000'000;

// "http 403 permission_denied: <message>": a refusal as a Status message, for test output.
std::string Describe(const ServiceError& error);

// The HTTP status a service call answers with: 200, or its refusal's.
template <typename T>
int HttpStatus(const ServiceResult<T>& result) {
  const auto* error = std::get_if<ServiceError>(&result);
  return error == nullptr ? 200 : error->http_status;
}

// The refusal of a service call; a default one (status 200) if there is none.
template <typename T>
ServiceError RefusalOf(const ServiceResult<T>& result) {
  const auto* error = std::get_if<ServiceError>(&result);
  return error == nullptr ? ServiceError{200, {}} : *error;
}

class ServerHarness {
 public:
  // Opens a new store in `folder` (which must exist). Not thread-safe.
  static Result<std::unique_ptr<ServerHarness>> Open(const std::string& folder,
                                                     SyncLimits limits = {});
  ServerHarness(const ServerHarness&) = delete;
  ServerHarness& operator=(const ServerHarness&) = delete;

  ServerStore& store() { return *store_; }
  SyncService& service() { return *service_; }
  const schema::SchemaRegistry& schemas() const { return schemas_; }
  model::ManualClock& clock() { return clock_; }
  const std::string& store_path() const { return store_path_; }
  // The server key the store is encrypted under.
  const std::array<std::uint8_t, 32>& key() const { return key_; }

  // A user of `team_name` (created if new) with `role`.
  Result<User> AddUser(std::string_view name, std::string_view team_name, std::string_view role);
  // Issues a code for `user_name` and exchanges it for a token, as a new device would, under
  // `device_id` (a new UUIDv7 if empty).
  Result<protocol::EnrolResponse> Enrol(std::string_view user_name, std::string device_id = {});
  // The device a token authenticates; unauthenticated/permission_denied as the service says.
  Result<Device> DeviceFor(std::string_view token);

  // Closes the store (its files can then be read directly) and opens it again.
  void CloseStore();
  Status ReopenStore();

 private:
  ServerHarness(schema::SchemaRegistry schemas, std::string store_path, SyncLimits limits);

  schema::SchemaRegistry schemas_;
  model::ManualClock clock_{kStartMs};
  std::array<std::uint8_t, 32> key_{};
  std::string store_path_;
  SyncLimits limits_;
  std::unique_ptr<ServerStore> store_;
  std::unique_ptr<SyncService> service_;
};

}  // namespace outreach::server::testing
