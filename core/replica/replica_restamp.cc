// Re-stamping unsent changes after the server refused them for clock skew (DESIGN.md section 3:
// the SDK adjusts its HLC and re-stamps its unsent changes before retrying).
#include <algorithm>
#include <cstdio>
#include <map>
#include <set>
#include <string>

#include "core/model/version_vector.h"
#include "core/replica/internal/replica_store.h"
#include "core/replica/replica.h"

namespace outreach::replica {
namespace {

// Readings stored as "<physical_ms> <counter>"; a missing key is {0, 0}.
// The floor: the highest reading known to be on the server or come from elsewhere (and, in a
// replica from before kUnansweredKey, of pushes whose answer was lost); re-stamping never goes
// below it.
constexpr const char* kFloorKey = "floor";
// The highest reading of this device's pushes whose answer never came: the server may hold
// them or not. Kept apart from the floor so a clock_skew refusal that says what the server
// holds (RestampPending's `server_holds`) can replace it: a tablet a day fast whose first
// refusal was lost would otherwise stay a day ahead, refused, until real time caught up.
constexpr const char* kUnansweredKey = "unanswered";
// The newest reading of the latest push, kept apart from the floor until the next push or a
// re-stamp: a clock_skew refusal of that push proves the server stored none of it, and had it
// joined the floor at once, re-stamping could never come back below it (a tablet a day fast
// would be refused forever).
constexpr const char* kInFlightKey = "in_flight";

// Old reading -> new reading of this device's pending changes.
using Restamps = std::map<model::Hlc, model::Hlc>;

void RemapVector(model::VersionVector& vector, const std::string& device, const Restamps& restamps) {
  model::Hlc* own = vector.Find(device);
  if (own == nullptr) return;
  // A base names the newest own write it had seen; if that is a pending one, it moved.
  const auto moved = restamps.find(*own);
  if (moved != restamps.end()) *own = moved->second;
}

void RemapVersions(std::vector<model::Version>& versions, const std::string& device,
                   const Restamps& restamps) {
  for (model::Version& version : versions) {
    if (version.device_id != device) continue;
    const auto moved = restamps.find(version.hlc);
    if (moved != restamps.end()) version.hlc = moved->second;
  }
  std::sort(versions.begin(), versions.end());
}

void RemapChange(model::Change& change, const std::string& device, const Restamps& restamps) {
  for (auto& [field, write] : change.registers) RemapVector(write.base, device, restamps);
  for (auto& [field, write] : change.sets) {
    for (auto& seen : write.added_seen_removals) RemapVersions(seen, device, restamps);
    for (auto& removal : write.removed) RemapVersions(removal.observed_adds, device, restamps);
  }
  for (auto& [field, vector] : change.delete_seen) RemapVector(vector, device, restamps);
  RemapVersions(change.delete_seen_items, device, restamps);
  RemapVector(change.deletion_base, device, restamps);
}

Result<model::Hlc> LoadReading(detail::ReplicaStore& store, const char* key) {
  OUTREACH_ASSIGN_OR_RETURN(auto stored, store.GetMeta(key));
  if (!stored.has_value()) return model::Hlc{0, 0};
  long long physical = 0;
  unsigned long counter = 0;
  if (std::sscanf(stored->c_str(), "%lld %lu", &physical, &counter) != 2) {
    return CorruptError(std::string("the replica's stored clock ") + key + " is malformed");
  }
  return model::Hlc{physical, static_cast<std::uint32_t>(counter)};
}

std::string ReadingText(const model::Hlc& reading) {
  return std::to_string(reading.physical_ms) + " " + std::to_string(reading.counter);
}

}  // namespace

Status Replica::RaiseFloor(const model::Hlc& reading) { return RaiseReading(kFloorKey, reading); }

Status Replica::RaiseReading(const char* key, const model::Hlc& reading) {
  OUTREACH_ASSIGN_OR_RETURN(const model::Hlc stored, LoadReading(*store_, key));
  if (!(stored < reading)) return Status::Ok();
  return store_->SetMeta(key, ReadingText(reading));
}

Status Replica::MarkSending() {
  // Whatever is pushed may reach the server even if its answer is lost: re-stamping must then
  // stay above it (HybridClock::RewindForRestamp's promise). The previous push's readings join
  // the unanswered ones now (its answer may never have come); this push's wait in
  // kInFlightKey for its answer (accepted or rejected changes raise the floor themselves; a
  // clock_skew refusal means none of them was stored).
  OUTREACH_ASSIGN_OR_RETURN(auto txn, store_->Begin());
  OUTREACH_ASSIGN_OR_RETURN(const model::Hlc previous, LoadReading(*store_, kInFlightKey));
  OUTREACH_RETURN_IF_ERROR(RaiseReading(kUnansweredKey, previous));
  OUTREACH_ASSIGN_OR_RETURN(auto newest, store_->NewestOutboxVersion());
  OUTREACH_RETURN_IF_ERROR(
      store_->SetMeta(kInFlightKey, ReadingText(newest.has_value() ? newest->hlc : model::Hlc{})));
  OUTREACH_RETURN_IF_ERROR(RecordPushPosition());
  return txn.Commit();
}

Status Replica::RestampPending(std::int64_t server_now_ms, std::optional<model::Hlc> server_holds) {
  if (server_holds && !server_holds->IsValid()) {
    return InvalidArgumentError("the server's stored reading is out of range");
  }
  OUTREACH_ASSIGN_OR_RETURN(auto txn, store_->Begin());
  // Without the latest push's readings (kInFlightKey): the server refused that push for clock
  // skew and stored none of it. Earlier pushes whose answer was lost are unanswered.
  OUTREACH_RETURN_IF_ERROR(store_->SetMeta(kInFlightKey, ReadingText(model::Hlc{})));
  if (server_holds) {
    // The server's word on this device's readings: it holds none above *server_holds, which
    // re-stamping must stay above for good. Unanswered readings it would still accept stay
    // too (a slow push of ours might yet land; above them, re-stamps are accepted anyway);
    // those beyond its drift were refused with their push and no longer hold the floor up.
    OUTREACH_RETURN_IF_ERROR(RaiseFloor(*server_holds));
    OUTREACH_ASSIGN_OR_RETURN(const model::Hlc unanswered, LoadReading(*store_, kUnansweredKey));
    if (model::HybridClock::CheckSkew(unanswered, server_now_ms).ok()) {
      OUTREACH_RETURN_IF_ERROR(RaiseFloor(unanswered));
    }
    OUTREACH_RETURN_IF_ERROR(store_->SetMeta(kUnansweredKey, ReadingText(model::Hlc{})));
  }
  // Without the server's word (an older server), unanswered readings hold the floor up.
  OUTREACH_ASSIGN_OR_RETURN(const model::Hlc known, LoadReading(*store_, kFloorKey));
  OUTREACH_ASSIGN_OR_RETURN(const model::Hlc unanswered, LoadReading(*store_, kUnansweredKey));
  const model::Hlc floor = std::max(known, unanswered);
  clock_.AdjustToServerTime(server_now_ms);
  OUTREACH_RETURN_IF_ERROR(clock_.RewindForRestamp(floor));

  OUTREACH_ASSIGN_OR_RETURN(auto pending, store_->LoadOutbox(OutboxStatus::kPending));
  Restamps restamps;
  std::set<std::string> records;
  for (OutboxEntry& entry : pending) {
    model::Change& change = entry.change;
    // Earlier pending changes moved first: this one's bases follow them, then it moves too.
    RemapChange(change, identity_.device_id, restamps);
    if (change.version.device_id == identity_.device_id) {
      const model::Hlc renewed = clock_.Now();
      restamps[change.version.hlc] = renewed;
      change.version.hlc = renewed;
    }
    OUTREACH_RETURN_IF_ERROR(store_->ReplaceInOutbox(change));
    records.insert(change.record_id);
  }
  for (const std::string& record_id : records) OUTREACH_RETURN_IF_ERROR(Rebuild(record_id));
  OUTREACH_RETURN_IF_ERROR(SaveClock());
  return txn.Commit();
}

}  // namespace outreach::replica
