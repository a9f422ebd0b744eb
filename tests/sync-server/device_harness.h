// DeviceHarness: one enrolled tablet for the sync tests: a real Replica on its own encrypted
// database, with the identity its enrolment returned, and the device's side of a sync round
// done as the SDK does it: push the pending outbox with the cursor, mark each change accepted
// or rejected by its result, join every pulled record state, keep the new cursor, and loop
// while the server has more. SyncService is called directly (no HTTP, no encoding).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"
#include "core/model/physical_clock.h"
#include "core/model/record_state.h"
#include "core/protocol/messages.h"
#include "core/replica/replica.h"
#include "sync-server/sync/sync_service.h"

namespace outreach::storage {
class Database;
}
namespace outreach::replica::detail {
class ReplicaStore;
}

namespace outreach::server::testing {

// One request and its reply, as the device saw them.
struct SyncStep {
  std::optional<ServiceError> refusal;  // the server refused the request; nothing was applied
  std::vector<protocol::ChangeResult> results;
  std::vector<model::RecordState> pulled;
  bool has_more = false;
};

// A whole round: every step until has_more was false, or until a refusal.
struct SyncRound {
  std::optional<ServiceError> refusal;
  std::vector<protocol::ChangeResult> results;   // of every step, in order
  std::vector<model::RecordState> pulled;        // of every step, in order
  std::vector<std::size_t> page_sizes;           // records pulled per step
};

class DeviceHarness {
 public:
  // Creates the device's database at `db_path` and opens its replica as `enrolled` says.
  // `service`, `schemas` and `clock` are not owned and must outlive the device.
  static Result<std::unique_ptr<DeviceHarness>> Open(const std::string& db_path,
                                                     const protocol::EnrolResponse& enrolled,
                                                     SyncService* service,
                                                     const schema::SchemaRegistry* schemas,
                                                     model::PhysicalClock* clock);
  ~DeviceHarness();
  DeviceHarness(const DeviceHarness&) = delete;
  DeviceHarness& operator=(const DeviceHarness&) = delete;

  replica::Replica& replica() { return *replica_; }
  const replica::ReplicaIdentity& identity() const { return identity_; }
  const std::string& token() const { return token_; }
  const std::string& cursor() const { return cursor_; }
  // The service to sync with from now on: the server's, after its store was opened again.
  void Reconnect(SyncService* service) { service_ = service; }

  // One request: the pending outbox and the cursor. Local (replica) failures are errors; a
  // refusal by the server is a value in the step.
  Result<SyncStep> Step(std::uint32_t page_size = 0);
  // Steps until the server has no more for this device, or refuses.
  Result<SyncRound> Sync(std::uint32_t page_size = 0);

  // What Step would send now (for tests that replay or forge a push).
  Result<protocol::SyncRequest> PendingRequest(std::uint32_t page_size = 0);

  // The record as this device holds it (confirmed state with pending changes on top), to
  // compare replicas byte for byte with model::CanonicalRecord (I1).
  Result<model::RecordState> State(std::string_view record_id);

 private:
  DeviceHarness() = default;

  replica::ReplicaIdentity identity_;
  std::string token_;
  std::string cursor_;
  SyncService* service_ = nullptr;
  std::unique_ptr<storage::Database> db_;
  // Reads the replica's stored states for State(); declared after db_ so it closes first.
  std::unique_ptr<replica::detail::ReplicaStore> tables_;
  std::unique_ptr<replica::Replica> replica_;
};

}  // namespace outreach::server::testing
