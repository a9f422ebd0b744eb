// A sync answer's records and results, applied (Replica::ApplyPulled), and the pulled records
// read as they arrive, on the thread that received them (ReadPulled, PulledOf).
#include <algorithm>
#include <map>
#include <set>

#include "core/merge/join.h"
#include "core/protocol/binary_codec.h"
#include "core/replica/internal/newest_reading.h"
#include "core/replica/internal/replica_store.h"
#include "core/replica/replica.h"
#include "core/schema/record_schema.h"
#include "core/schema/schema_registry.h"

namespace outreach::replica {
namespace detail {

model::Hlc NewestReading(const model::RecordState& state) {
  model::Hlc newest;
  const auto consider = [&](const model::Version& version) { newest = std::max(newest, version.hlc); };
  for (const auto& [field, reg] : state.registers) {
    for (const auto& [device, hlc] : reg.seen.entries()) newest = std::max(newest, hlc);
  }
  for (const auto& [field, append] : state.appends) {
    for (const auto& [entry_id, entry] : append.entries) consider(entry.version);
  }
  for (const auto& [field, set] : state.sets) {
    for (const auto& [key, element] : set.elements) {
      for (const auto& [add, seen] : element.adds) consider(add);
      for (const auto& [removal, observed] : element.removes) consider(removal);
    }
  }
  for (const auto& [device, hlc] : state.deletions_seen.entries()) newest = std::max(newest, hlc);
  return newest;
}

}  // namespace detail

Result<PulledRecord> Replica::ReadPulled(std::string bytes) {
  if (auto simple = protocol::ScanSimpleRecord(bytes)) {
    PulledRecord pulled;
    pulled.id = simple->id;
    pulled.collection = simple->collection;
    pulled.newest = simple->newest;
    pulled.bytes = std::move(bytes);  // after the views into it are read
    pulled.bytes_read = true;
    return pulled;
  }
  OUTREACH_ASSIGN_OR_RETURN(model::RecordState state, protocol::DecodeRecordState(bytes));
  return PulledOf(std::move(state), std::move(bytes));
}

PulledRecord Replica::PulledOf(model::RecordState state, std::string bytes) {
  PulledRecord pulled;
  pulled.id = state.id;
  pulled.collection = state.collection;
  pulled.newest = detail::NewestReading(state);
  pulled.bytes = std::move(bytes);
  pulled.bytes_read = true;  // `state` is what they decode to
  pulled.state = std::move(state);
  return pulled;
}

Status Replica::ApplySyncAnswer(const std::vector<PushResult>& results,
                                const std::vector<model::RecordState>& records,
                                const std::vector<std::string>* stored_records) {
  if (stored_records != nullptr && stored_records->size() != records.size()) {
    return InvalidArgumentError("stored records do not match the records");
  }
  std::vector<PulledRecord> pulled;
  pulled.reserve(records.size());
  for (std::size_t i = 0; i < records.size(); ++i) {
    PulledRecord& record = pulled.emplace_back();
    record.state = records[i];
    record.id = records[i].id;
    record.collection = records[i].collection;
    record.newest = detail::NewestReading(records[i]);
    if (stored_records != nullptr) record.bytes = (*stored_records)[i];
  }
  return ApplyPulled(results, pulled);
}

Status Replica::SettleResults(const std::vector<PushResult>& results,
                              const std::set<std::string>& pulled, std::set<std::string>& rebuild) {
  // The accepted changes leave the outbox with their values held in their records' states,
  // and the confirmed copies under them are superseded by their fold: the pages these rows
  // free are not written once more only to be zeroed (a push's answer frees about a page per
  // change). Whatever else is deleted meanwhile is of the same kind (README.md).
  const auto kept = store_->KeepFreedPages();
  // record -> its accepted changes not sent back
  std::map<std::string, std::set<std::string>> fold;
  for (const PushResult& result : results) {
    auto record_id = store_->OutboxRecord(result.change_id);
    if (record_id.status().code() == StatusCode::kNotFound) continue;
    OUTREACH_RETURN_IF_ERROR(record_id.status());
    if (result.rejected) {
      OUTREACH_RETURN_IF_ERROR(MarkRejected(result.change_id, result.reason));
    } else if (pulled.count(*record_id) > 0) {
      OUTREACH_RETURN_IF_ERROR(store_->RemoveFromOutbox(result.change_id));
      rebuild.insert(*record_id);
    } else {
      fold[*record_id].insert(result.change_id);
    }
  }
  model::Hlc folded;
  for (const auto& [record_id, change_ids] : fold) {
    OUTREACH_RETURN_IF_ERROR(FoldAccepted(record_id, change_ids, folded));
  }
  return RaiseFloor(folded);
}

Status Replica::ApplyPulled(const std::vector<PushResult>& results,
                            std::vector<PulledRecord>& records) {
  std::set<std::string> pulled;
  model::Hlc newest;
  for (const PulledRecord& record : records) {
    if (record.id.empty()) return InvalidArgumentError("a server record needs an id");
    if (schemas_->Find(record.collection) == nullptr) {
      return InvalidArgumentError("unknown collection " + record.collection);
    }
    pulled.insert(record.id);
    newest = std::max(newest, record.newest);
  }
  OUTREACH_ASSIGN_OR_RETURN(auto txn, store_->Begin());
  // Every reading the server sent, including those of this device's accepted changes: the
  // clock moves past them and re-stamping stays above them.
  if (!newest.IsZero()) {
    OUTREACH_RETURN_IF_ERROR(clock_.Observe(newest));
    OUTREACH_RETURN_IF_ERROR(RaiseFloor(newest));
  }
  std::set<std::string> rebuild;
  OUTREACH_RETURN_IF_ERROR(SettleResults(results, pulled, rebuild));
  for (PulledRecord& record : records) {
    // Joined, not replaced (see ApplyServerRecord).
    OUTREACH_ASSIGN_OR_RETURN(auto stored, store_->LoadConfirmedBytes(record.id));
    OUTREACH_ASSIGN_OR_RETURN(auto pending, store_->LoadOutbox(OutboxStatus::kPending, record.id));
    // With nothing of it pending, stored from its bytes, neither state decoded: a simple
    // record new to this device, or (most records a device is sent) one it holds whose copy
    // the server's holds, told from the bytes. Only bytes read as a state here are read so
    // (bytes_read). Not deleted: a state with deletions is never read from its bytes.
    const bool new_here = !stored.has_value() && !record.state.has_value();
    const auto held_as_sent = [&] {
      return stored.has_value() && record.bytes_read &&
             protocol::PackedStateContains(record.bytes, *stored);
    };
    if (pending.empty() && (new_here || held_as_sent())) {
      OUTREACH_RETURN_IF_ERROR(store_->RemovePendingBase(record.id).status());
      OUTREACH_RETURN_IF_ERROR(store_->SaveViewRow(record.id, record.collection,
                                                   /*deleted=*/false, record.bytes));
      rebuild.erase(record.id);
      continue;
    }
    OUTREACH_ASSIGN_OR_RETURN(auto confirmed, detail::ReplicaStore::DecodeStored(stored));
    if (!record.state.has_value()) {
      OUTREACH_ASSIGN_OR_RETURN(record.state, protocol::DecodeRecordState(record.bytes));
    }
    const model::RecordState& state = *record.state;
    if (confirmed.has_value() && merge::JoinContains(state, *confirmed)) {
      // Usually so: the server's copy holds all this device had, and is kept as it came.
      OUTREACH_RETURN_IF_ERROR(Rebuild(record.id, &state, record.bytes));
    } else if (confirmed.has_value()) {
      *confirmed = merge::JoinStates(*confirmed, state);
      // Rarely the join is still the server's copy (a value JoinContains cannot place): then
      // it too is kept as it came.
      const bool as_sent = *confirmed == state;
      OUTREACH_RETURN_IF_ERROR(Rebuild(record.id, &*confirmed, as_sent ? record.bytes : ""));
    } else {
      // New to this device.
      OUTREACH_RETURN_IF_ERROR(Rebuild(record.id, &state, record.bytes));
    }
    rebuild.erase(record.id);
  }
  for (const std::string& id : rebuild) OUTREACH_RETURN_IF_ERROR(Rebuild(id));
  OUTREACH_RETURN_IF_ERROR(SaveClock());
  OUTREACH_RETURN_IF_ERROR(txn.Commit());
  return Status::Ok();
}

}  // namespace outreach::replica
