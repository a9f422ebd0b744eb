// SyncService: the server's side of the protocol, independent of HTTP and of the store's
// engine. Authenticates devices, exchanges enrolment codes for tokens, and runs a sync round:
// checks every pushed change (scope, identity, clock, schema), applies them with the same
// admission and merge code the devices run, all in one store transaction, then pulls the
// records of the device's team changed after its cursor.
//
// Thread-safe (the store serialises writes).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/base/status.h"
#include "core/protocol/messages.h"
#include "sync-server/store/server_store.h"

namespace outreach::model {
class PhysicalClock;
}
namespace outreach::protocol {
class BinaryRequestReader;
}
namespace outreach::schema {
class SchemaRegistry;
}

namespace outreach::server {

struct SyncLimits {
  std::size_t max_changes_per_push = 5000;
  std::uint32_t default_page_size = 1000;
  std::uint32_t max_page_size = 5000;
  std::int64_t enrolment_code_ttl_ms = 7LL * 24 * 3600 * 1000;
  // A device whose enrolment answer was lost may retry with the same code this long.
  std::int64_t enrolment_retry_window_ms = 15LL * 60 * 1000;
};

// A refusal: the HTTP status and the JSON error body to send. Nothing was written.
struct ServiceError {
  int http_status = 400;
  protocol::ErrorBody body;
};

template <typename T>
using ServiceResult = std::variant<T, ServiceError>;

struct SyncReply {
  protocol::SyncResponse response;  // `records` left empty: they travel in encoded_records
  std::vector<std::string> encoded_records;  // protocol::EncodeRecordState bytes, as stored
  int changes_applied = 0;    // applied, merged or conflict
  int conflicts_opened = 0;   // changes whose outcome was a conflict
};

class SyncService {
 public:
  // None owned; all must outlive the service.
  SyncService(ServerStore* store, const schema::SchemaRegistry* schemas,
              model::PhysicalClock* clock, SyncLimits limits = {});

  // "Bearer <token>": 401 (missing, malformed or unknown token), 403 with wipe (revoked).
  ServiceResult<Device> Authenticate(std::string_view authorization);
  // 401 for an unknown, expired or used code; 400 for a malformed device id.
  ServiceResult<protocol::EnrolResponse> Enrol(const protocol::EnrolRequest& request);
  // 400 malformed cursor; 413 too many changes; 403 a change outside the device's team or
  // signed as someone else; 409 clock_skew (with the server's time and the highest reading it
  // stores of the device, when it knows); 422 invalid_changes
  // (listing each refused change: unknown collection, schema version, invalid values).
  // Taken by value: its changes' values are lent to their validation (ContentProblem).
  ServiceResult<SyncReply> Sync(const Device& device, protocol::SyncRequest request);
  // The same for a binary push read as it goes: `request` is `reader`'s head, and gets its
  // changes and schemas_hash as they are read (the push is checked and applied meanwhile).
  // Once a push read on a check worker is committed, its changes are taken back to be freed
  // there: `request.changes` is then empty.
  // A body that does not decode is 400 malformed_body, whatever else is wrong with it.
  ServiceResult<SyncReply> Sync(const Device& device, protocol::SyncRequest& request,
                                protocol::BinaryRequestReader& reader);

  // For the administrators: a new code for `user_name`, valid for the configured time.
  Result<std::string> IssueEnrolmentCode(std::string_view user_name);

  // Hash of the schema set the server validates with (devices compare it with theirs).
  const std::string& schemas_hash() const { return schemas_hash_; }

 private:
  // 409 clock_skew for `skew`, with the server's time and the highest reading it stores of
  // `device` (protocol::ErrorBody::stored_reading).
  ServiceError ClockSkewRefusal(const Device& device, const Status& skew, std::int64_t now);
  // Sync, with the push read by `reader` into `request` if it is given.
  ServiceResult<SyncReply> Round(const Device& device, protocol::SyncRequest& request,
                                 protocol::BinaryRequestReader* reader);

  ServerStore* store_;
  const schema::SchemaRegistry* schemas_;
  model::PhysicalClock* clock_;
  SyncLimits limits_;
  std::string schemas_hash_;
};

}  // namespace outreach::server
