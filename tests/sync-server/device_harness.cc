#include "tests/sync-server/device_harness.h"

#include <variant>

#include "core/protocol/binary_codec.h"
#include "core/replica/internal/replica_store.h"
#include "core/storage/database.h"

namespace outreach::server::testing {

Result<std::unique_ptr<DeviceHarness>> DeviceHarness::Open(const std::string& db_path,
                                                           const protocol::EnrolResponse& enrolled,
                                                           SyncService* service,
                                                           const schema::SchemaRegistry* schemas,
                                                           model::PhysicalClock* clock) {
  std::unique_ptr<DeviceHarness> device(new DeviceHarness());
  device->identity_ = replica::ReplicaIdentity{enrolled.device_id, enrolled.user_id,
                                               enrolled.role, enrolled.team};
  device->token_ = enrolled.token;
  device->service_ = service;
  storage::OpenOptions options;
  options.kdf = storage::KdfParams::FastForTests();
  options.synchronous = storage::Synchronous::kNormal;  // durability is not what these test
  OUTREACH_ASSIGN_OR_RETURN(device->db_, storage::Database::Create(
                                             db_path, storage::KeySource::Passcode("1234"), options));
  OUTREACH_ASSIGN_OR_RETURN(device->replica_, replica::Replica::Open(device->db_.get(), schemas,
                                                                     clock, device->identity_));
  OUTREACH_ASSIGN_OR_RETURN(device->tables_, replica::detail::ReplicaStore::Open(device->db_.get()));
  return device;
}

DeviceHarness::~DeviceHarness() = default;

Result<protocol::SyncRequest> DeviceHarness::PendingRequest(std::uint32_t page_size) {
  OUTREACH_ASSIGN_OR_RETURN(auto outbox, replica_->Outbox(replica::OutboxStatus::kPending));
  protocol::SyncRequest request;
  request.cursor = cursor_;
  request.page_size = page_size;
  for (replica::OutboxEntry& entry : outbox) request.changes.push_back(std::move(entry.change));
  return request;
}

Result<SyncStep> DeviceHarness::Step(std::uint32_t page_size) {
  SyncStep step;
  auto device = service_->Authenticate("Bearer " + token_);
  if (auto* error = std::get_if<ServiceError>(&device)) {
    step.refusal = *error;
    return step;
  }
  OUTREACH_ASSIGN_OR_RETURN(protocol::SyncRequest request, PendingRequest(page_size));
  // As the SDK must: from here the pushed readings may reach the server even if its answer
  // never arrives (Replica::MarkSending).
  OUTREACH_RETURN_IF_ERROR(replica_->MarkSending());
  auto reply = service_->Sync(std::get<Device>(device), request);
  if (auto* error = std::get_if<ServiceError>(&reply)) {
    step.refusal = *error;
    return step;
  }
  SyncReply& answer = std::get<SyncReply>(reply);
  for (const protocol::ChangeResult& result : answer.response.results) {
    OUTREACH_RETURN_IF_ERROR(result.outcome == protocol::Outcome::kRejected
                                 ? replica_->MarkRejected(result.change_id, result.reason)
                                 : replica_->MarkAccepted(result.change_id));
  }
  for (const std::string& bytes : answer.encoded_records) {
    OUTREACH_ASSIGN_OR_RETURN(model::RecordState state, protocol::DecodeRecordState(bytes));
    OUTREACH_RETURN_IF_ERROR(replica_->ApplyServerRecord(state));
    step.pulled.push_back(std::move(state));
  }
  cursor_ = answer.response.cursor;
  step.results = std::move(answer.response.results);
  step.has_more = answer.response.has_more;
  return step;
}

Result<SyncRound> DeviceHarness::Sync(std::uint32_t page_size) {
  SyncRound round;
  // Bounded: a server that always says has_more would otherwise hang the test.
  for (int step_count = 0; step_count < 1000; ++step_count) {
    OUTREACH_ASSIGN_OR_RETURN(SyncStep step, Step(page_size));
    round.refusal = std::move(step.refusal);
    round.page_sizes.push_back(step.pulled.size());
    for (auto& result : step.results) round.results.push_back(std::move(result));
    for (auto& state : step.pulled) round.pulled.push_back(std::move(state));
    if (round.refusal || !step.has_more) return round;
  }
  return InternalError("the server kept answering has_more");
}

Result<model::RecordState> DeviceHarness::State(std::string_view record_id) {
  OUTREACH_ASSIGN_OR_RETURN(auto view, tables_->LoadView(record_id));
  if (!view.has_value()) return NotFoundError("no record " + std::string(record_id) + " on device");
  return *std::move(view);
}

}  // namespace outreach::server::testing
