#include "core/replica/replica.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <map>
#include <set>

#include "core/merge/admission.h"
#include "core/merge/append_view.h"
#include "core/merge/join.h"
#include "core/merge/merge.h"
#include "core/merge/record_view.h"
#include "core/model/record_codec.h"
#include "core/model/uuid.h"
#include "core/protocol/binary_codec.h"
#include "core/replica/internal/change_builder.h"
#include "core/replica/internal/newest_reading.h"
#include "core/replica/internal/replica_store.h"
#include "core/schema/merge_policy.h"
#include "core/schema/record_schema.h"
#include "core/schema/schema_registry.h"
#include "core/schema/validation_problem.h"
#include "core/storage/database.h"

namespace outreach::replica {
namespace {

using model::Json;

constexpr const char* kClockKey = "clock";  // "<physical_ms> <counter> <offset_ms>"

std::string ClockText(const model::HybridClock& clock) {
  const model::Hlc last = clock.last_issued();
  return std::to_string(last.physical_ms) + " " + std::to_string(last.counter) + " " +
         std::to_string(clock.offset_ms());
}

Result<std::pair<model::Hlc, std::int64_t>> ParseClock(const std::string& text) {
  long long physical = 0, offset = 0;
  unsigned long counter = 0;
  if (std::sscanf(text.c_str(), "%lld %lu %lld", &physical, &counter, &offset) != 3) {
    return CorruptError("the replica's stored clock is malformed");
  }
  const model::Hlc hlc{physical, static_cast<std::uint32_t>(counter)};
  if (!hlc.IsValid()) return CorruptError("the replica's stored clock is out of range");
  return std::make_pair(hlc, static_cast<std::int64_t>(offset));
}

// Field names are plain identifiers in every schema; anything else is a caller's mistake.
bool IsPlainFieldName(std::string_view field) {
  if (field.empty() || field.size() > 64) return false;
  return std::all_of(field.begin(), field.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

// Equal as JSON, an integer never equal to a real: nlohmann's == says 1 == 1.0, and turns an
// unsigned integer into a signed one (2^64 - 1 == -1). Reals compare by value (-0.0 == 0.0).
bool SameJson(const Json& a, const Json& b) {
  if (a.is_number_float() != b.is_number_float()) return false;
  if (a.is_number_integer() && b.is_number_integer() &&
      a.is_number_unsigned() != b.is_number_unsigned()) {
    const Json& as_unsigned = a.is_number_unsigned() ? a : b;
    const auto as_signed = (a.is_number_unsigned() ? b : a).get<std::int64_t>();
    return as_signed >= 0 &&
           static_cast<std::uint64_t>(as_signed) == as_unsigned.get<std::uint64_t>();
  }
  if (a.is_array() && b.is_array()) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), SameJson);
  }
  if (a.is_object() && b.is_object()) {
    if (a.size() != b.size()) return false;
    for (const auto& [key, member] : a.items()) {
      const auto other = b.find(key);
      if (other == b.end() || !SameJson(member, *other)) return false;
    }
    return true;
  }
  return a == b;
}

// Query's filter, as it was when queries read stored JSON text with SQLite's json_type and
// json_extract: the same JSON type (an integer is not a real, a boolean not a number) and
// value, nested values too (json_extract compared them as text, where 1 is not 1.0; reals
// nested are compared by value here). A field not set matches nothing, not even null
// (CurrentValues shows no null field).
bool HoldsValue(const Json& values, std::string_view field, const Json& value) {
  const auto found = values.find(field);
  return found != values.end() && SameJson(*found, value);
}

std::string VersionText(const schema::RecordSchema& schema) {
  return std::to_string(schema.version().major) + "." + std::to_string(schema.version().minor);
}

bool MayResolve(const ReplicaIdentity& identity) {
  return identity.role == "team_leader" || identity.role == "admin";
}

}  // namespace

Replica::Replica(std::unique_ptr<detail::ReplicaStore> store, const schema::SchemaRegistry* schemas,
                 model::PhysicalClock* clock, model::Hlc last_issued, std::int64_t offset_ms,
                 ReplicaIdentity identity)
    : store_(std::move(store)),
      schemas_(schemas),
      clock_(clock, last_issued, offset_ms),
      identity_(std::move(identity)) {}

Replica::~Replica() = default;

Result<std::unique_ptr<Replica>> Replica::Open(storage::Database* db,
                                               const schema::SchemaRegistry* schemas,
                                               model::PhysicalClock* clock,
                                               ReplicaIdentity identity) {
  if (identity.device_id.empty() || identity.user_id.empty() || identity.team.empty()) {
    return InvalidArgumentError("a replica needs a device, a user and a team");
  }
  OUTREACH_ASSIGN_OR_RETURN(auto store, detail::ReplicaStore::Open(db));
  OUTREACH_ASSIGN_OR_RETURN(auto stored_clock, store->GetMeta(kClockKey));
  model::Hlc last_issued;
  std::int64_t offset_ms = 0;
  if (stored_clock.has_value()) {
    OUTREACH_ASSIGN_OR_RETURN(auto parsed, ParseClock(*stored_clock));
    last_issued = parsed.first;
    offset_ms = parsed.second;
  }
  // Local writes do not save the clock (one page less per write): the newest change in the
  // outbox carries the last reading. The saved clock covers what left the outbox.
  OUTREACH_ASSIGN_OR_RETURN(auto newest, store->NewestOutboxVersion());
  if (newest.has_value() && last_issued < newest->hlc) last_issued = newest->hlc;
  return std::unique_ptr<Replica>(new Replica(std::move(store), schemas, clock, last_issued,
                                              offset_ms, std::move(identity)));
}

Status Replica::WriteLocal(std::string_view id, std::string_view collection,
                           model::ChangeKind kind, const ChangeBuild& build) {
  OUTREACH_ASSIGN_OR_RETURN(auto txn, store_->Begin());
  OUTREACH_ASSIGN_OR_RETURN(const std::string change_id,
                            AddLocalChange(id, collection, kind, build));
  if (change_id.empty()) return Status::Ok();  // nothing to write
  return txn.Commit();
}

Result<std::string> Replica::AddLocalChange(std::string_view id, std::string_view collection,
                                            model::ChangeKind kind, const ChangeBuild& build) {
  OUTREACH_ASSIGN_OR_RETURN(auto loaded, store_->LoadView(id));
  if (kind != model::ChangeKind::kCreate && !loaded.has_value()) {
    return NotFoundError("no record " + std::string(id));
  }
  model::RecordState view = loaded.value_or(model::RecordState{});
  const std::string collection_name = loaded.has_value() ? view.collection : std::string(collection);
  const schema::RecordSchema* schema = schemas_->Find(collection_name);
  if (schema == nullptr) return InvalidArgumentError("unknown collection " + collection_name);

  model::Change change;
  const model::Hlc now = clock_.Now();
  change.change_id = model::NewUuidV7(now.physical_ms);
  change.record_id = std::string(id);
  change.collection = collection_name;
  change.team = loaded.has_value() ? view.team : identity_.team;
  change.schema_version = VersionText(*schema);
  change.kind = kind;
  change.version = model::Version{now, identity_.device_id};
  change.author = identity_.user_id;
  change.author_role = identity_.role;
  OUTREACH_RETURN_IF_ERROR(build(view, change));
  const bool has_writes =
      !change.registers.empty() || !change.appends.empty() || !change.sets.empty();
  if (!has_writes && kind != model::ChangeKind::kDelete && kind != model::ChangeKind::kRestore) {
    return std::string();  // nothing differs from what the record already says
  }

  OUTREACH_RETURN_IF_ERROR(merge::CheckAdmission(*schema, view, change));
  const merge::MergeResult result = merge::MergeInPlace(*schema, view, change);
  if (result.outcome == merge::Outcome::kRejected) return InvalidArgumentError(result.reason);
  // The edit was validated (AddValidatedPatchWrites) as the values it leaves: a local write has
  // seen everything on this replica, so the merge result is exactly that, plus derived fields.
  OUTREACH_RETURN_IF_ERROR(store_->AddToOutbox(change));
  // The record's confirmed state must outlive the view it is about to leave.
  OUTREACH_RETURN_IF_ERROR(store_->KeepViewAsPendingBase(change.record_id));
  OUTREACH_RETURN_IF_ERROR(SaveView(view));
  // The outbox entry carries this reading, so the clock cannot go back across a restart.
  return change.change_id;
}

Result<std::string> Replica::Create(std::string_view collection, const Json& values,
                                    std::vector<schema::ValidationProblem>* problems) {
  const std::string id = model::NewUuidV7(clock_.Now().physical_ms);
  OUTREACH_RETURN_IF_ERROR(WriteLocal(
      id, collection, model::ChangeKind::kCreate,
      [&](const model::RecordState& view, model::Change& change) -> Status {
        const schema::RecordSchema* schema = schemas_->Find(change.collection);
        return detail::AddValidatedPatchWrites(*schema, view, values, /*resolving=*/false, change,
                                               problems);
      }));
  return id;
}

Result<std::vector<schema::ValidationProblem>> Replica::ValidateCreate(
    std::string_view collection, const Json& values) const {
  const schema::RecordSchema* schema = schemas_->Find(collection);
  if (schema == nullptr) {
    return InvalidArgumentError("unknown collection " + std::string(collection));
  }
  // Create's own checks on a change built and dropped. Any well-formed id will do: Create
  // assigns the real one and the schema checks only its form.
  model::Change scratch;
  scratch.record_id = "00000000-0000-7000-8000-000000000000";
  std::vector<schema::ValidationProblem> problems;
  const Status built = detail::AddValidatedPatchWrites(*schema, model::RecordState{}, values,
                                                       /*resolving=*/false, scratch, &problems);
  // A shape the schema allows but a change cannot carry (not an object, an entry without id).
  if (!built.ok() && problems.empty()) problems.push_back({"", built.message()});
  return problems;
}

Status Replica::Update(std::string_view id, const Json& patch,
                       std::vector<schema::ValidationProblem>* problems) {
  return WriteLocal(id, "", model::ChangeKind::kUpdate,
                    [&](const model::RecordState& view, model::Change& change) -> Status {
                      const schema::RecordSchema* schema = schemas_->Find(change.collection);
                      return detail::AddValidatedPatchWrites(*schema, view, patch,
                                                             /*resolving=*/false, change, problems);
                    });
}

Result<std::string> Replica::Append(std::string_view id, std::string_view field, Json entry) {
  if (!entry.is_object()) return InvalidArgumentError("an entry must be a JSON object");
  if (!entry.contains("id")) entry["id"] = model::NewUuidV7(clock_.Now().physical_ms);
  if (!entry["id"].is_string()) return InvalidArgumentError("an entry id must be a string");
  const std::string entry_id = entry["id"].get<std::string>();
  OUTREACH_RETURN_IF_ERROR(Update(id, Json{{std::string(field), Json::array({entry})}}));
  return entry_id;
}

Result<std::string> Replica::Strike(std::string_view id, std::string_view field,
                                    std::string_view entry_id, std::string_view reason) {
  if (reason.empty()) return InvalidArgumentError("a strike needs a reason");
  // Whether `entry_id` is an entry of the field is admission's to say, as on the server.
  return Append(id, field,
                Json{{merge::kSupersedesMember, entry_id},
                     {merge::kStruckMember, true},
                     {merge::kStrikeReasonMember, reason},
                     {"author", identity_.user_id}});
}

Status Replica::Delete(std::string_view id, std::string_view reason) {
  // Who may delete is admission's to say (CheckAdmission, inside WriteLocal), as on the server.
  return WriteLocal(id, "", model::ChangeKind::kDelete,
                    [&](const model::RecordState& view, model::Change& change) -> Status {
                      change.reason = std::string(reason);
                      detail::FillDeleteSeen(view, change);
                      return Status::Ok();
                    });
}

Status Replica::Resolve(std::string_view id, std::string_view field, const Json& value,
                        std::string_view reason) {
  if (!MayResolve(identity_)) {
    return FailedPreconditionError("only a team leader or an administrator resolves conflicts");
  }
  if (field.empty()) {
    // delete_vs_edit: true confirms the delete (having now seen the edit), false keeps the record.
    if (!value.is_boolean()) return InvalidArgumentError("resolve a delete with true or false");
    if (value.get<bool>()) return Delete(id, reason);
    return WriteLocal(id, "", model::ChangeKind::kRestore,
                      [&](const model::RecordState& view, model::Change& change) {
                        change.reason = std::string(reason);
                        change.deletion_base = view.deletions_seen;
                        return Status::Ok();
                      });
  }
  return WriteLocal(id, "", model::ChangeKind::kUpdate,
                    [&](const model::RecordState& view, model::Change& change) -> Status {
                      change.reason = std::string(reason);
                      const schema::RecordSchema* schema = schemas_->Find(change.collection);
                      const Json patch{{std::string(field), value}};
                      return detail::AddValidatedPatchWrites(*schema, view, patch,
                                                             /*resolving=*/true, change);
                    });
}

Result<RecordView> Replica::Get(std::string_view id) {
  OUTREACH_ASSIGN_OR_RETURN(auto loaded, store_->LoadView(id));
  if (!loaded.has_value()) return NotFoundError("no record " + std::string(id));
  const schema::RecordSchema* schema = schemas_->Find(loaded->collection);
  if (schema == nullptr) return CorruptError("record " + std::string(id) + " has an unknown collection");
  OUTREACH_ASSIGN_OR_RETURN(auto pending, store_->LoadOutbox(OutboxStatus::kPending, id));
  RecordView view;
  view.values = merge::CurrentValues(*schema, *loaded);
  view.deleted = merge::IsDeleted(*loaded);
  view.has_pending_changes = !pending.empty();
  view.conflicts = merge::Conflicts(*schema, *loaded);
  view.entry_history = merge::EntryHistory(*schema, *loaded);
  return view;
}

Result<std::vector<Json>> Replica::Query(std::string_view collection, std::string_view field,
                                         const Json& value) {
  const schema::RecordSchema* schema = schemas_->Find(collection);
  if (schema == nullptr) {
    return InvalidArgumentError("unknown collection " + std::string(collection));
  }
  const bool filtered = !field.empty();
  if (filtered && !IsPlainFieldName(field)) {
    return InvalidArgumentError("a query field must be a plain field name");
  }
  std::vector<Json> rows;
  OUTREACH_RETURN_IF_ERROR(store_->ForEachViewState(
      collection, [&](std::string_view record_id, std::string_view stored) -> Status {
        auto state = protocol::DecodeRecordState(stored);
        if (!state.ok()) {
          return CorruptError("the stored state of record " + std::string(record_id) +
                              " does not decode");
        }
        Json values = merge::CurrentValues(*schema, *state);
        if (!filtered || HoldsValue(values, field, value)) rows.push_back(std::move(values));
        return Status::Ok();
      }));
  return rows;
}

Result<bool> Replica::HoldsCollection(std::string_view collection) {
  return store_->HoldsCollection(collection);
}

Result<std::vector<OutboxEntry>> Replica::Outbox(OutboxStatus status, std::int64_t limit,
                                                 std::int64_t after_sequence) {
  return store_->LoadOutbox(status, {}, limit, after_sequence);
}

Result<std::vector<StoredOutboxEntry>> Replica::PendingForPush(std::int64_t limit,
                                                                std::int64_t after_sequence) {
  return store_->LoadPendingEncoded(limit, after_sequence);
}

Result<std::int64_t> Replica::OutboxCount(OutboxStatus status) {
  return store_->CountOutbox(status);
}

Status Replica::InOneTransaction(const std::function<Status()>& steps) {
  OUTREACH_ASSIGN_OR_RETURN(auto txn, store_->Begin());
  OUTREACH_RETURN_IF_ERROR(steps());
  return txn.Commit();
}

Status Replica::Rebuild(std::string_view record_id, const model::RecordState* confirmed_state,
                        std::string_view encoded_confirmed) {
  // The view is the confirmed state with every pending change applied on top, in writing order
  // (order does not matter to Merge; it keeps the outbox readable).
  const bool confirmed_given = confirmed_state != nullptr;
  std::optional<model::RecordState> loaded;
  if (!confirmed_given) {
    OUTREACH_ASSIGN_OR_RETURN(loaded, store_->LoadConfirmed(record_id));
    if (loaded.has_value()) confirmed_state = &*loaded;
  }
  OUTREACH_ASSIGN_OR_RETURN(auto pending, store_->LoadOutbox(OutboxStatus::kPending, record_id));
  // Nothing pending: the view is the confirmed state itself, stored once.
  const auto save_confirmed_as_view = [&]() -> Status {
    OUTREACH_RETURN_IF_ERROR(store_->RemovePendingBase(record_id).status());
    return SaveView(*confirmed_state, encoded_confirmed);
  };
  // Most records after a pull: not copied to get there.
  if (pending.empty() && confirmed_state != nullptr) return save_confirmed_as_view();
  model::RecordState view = confirmed_state != nullptr ? *confirmed_state : model::RecordState{};
  std::size_t still_pending = 0;
  for (const OutboxEntry& entry : pending) {
    const schema::RecordSchema* schema = schemas_->Find(entry.change.collection);
    ++still_pending;
    if (schema == nullptr) continue;  // kept pending, for a schema that knows it
    const auto result = merge::MergeInPlace(*schema, view, entry.change);
    if (result.outcome == merge::Outcome::kRejected) {
      // Refused by the merge (it changed nothing): no longer pending.
      --still_pending;
      OUTREACH_RETURN_IF_ERROR(
          store_->SetOutboxStatus(entry.change.change_id, OutboxStatus::kRejected, result.reason));
    }
  }
  // The merge refused every pending change.
  if (still_pending == 0 && confirmed_state != nullptr) return save_confirmed_as_view();
  // Nothing confirmed and nothing applied: a never-confirmed create, discarded or refused.
  if (view.id.empty()) return store_->RemoveRecord(record_id);
  // Loaded from its pending_base row, the confirmed state is stored there already.
  bool base_stored = false;
  if (!confirmed_given) {
    OUTREACH_ASSIGN_OR_RETURN(base_stored, store_->HasPendingBase(record_id));
  }
  if (!base_stored) OUTREACH_RETURN_IF_ERROR(store_->SavePendingBase(record_id, confirmed_state));
  return SaveView(view);
}

Status Replica::SaveView(const model::RecordState& view, std::string_view encoded) {
  // A record no schema here knows would be listed by nothing and read by nothing.
  if (schemas_->Find(view.collection) == nullptr) {
    return CorruptError("record " + view.id + " has an unknown collection");
  }
  return store_->SaveView(view, merge::IsDeleted(view), encoded);
}

Status Replica::CheckViews() {
  OUTREACH_ASSIGN_OR_RETURN(auto ids, store_->StoredRecordIds());
  for (const std::string& id : ids) {
    OUTREACH_ASSIGN_OR_RETURN(auto stored, store_->LoadView(id));
    OUTREACH_ASSIGN_OR_RETURN(auto confirmed, store_->LoadConfirmed(id));
    OUTREACH_ASSIGN_OR_RETURN(auto pending, store_->LoadOutbox(OutboxStatus::kPending, id));
    // Without a pending_base row the view is taken for the confirmed state, which only holds
    // while nothing is pending.
    OUTREACH_ASSIGN_OR_RETURN(const bool has_base, store_->HasPendingBase(id));
    if (has_base != !pending.empty()) {
      return CorruptError("record " + id + (has_base ? " keeps a confirmed state apart with nothing pending"
                                                     : " has pending changes but no confirmed state apart"));
    }
    model::RecordState expected = confirmed.value_or(model::RecordState{});
    for (const OutboxEntry& entry : pending) {
      const schema::RecordSchema* schema = schemas_->Find(entry.change.collection);
      if (schema != nullptr) (void)merge::MergeInPlace(*schema, expected, entry.change);
    }
    if (!stored.has_value() || model::CanonicalRecord(*stored) != model::CanonicalRecord(expected)) {
      return CorruptError("the view of record " + id + " differs from its confirmed state and outbox");
    }
    OUTREACH_RETURN_IF_ERROR(CheckViewColumns(id, expected));
  }
  return Status::Ok();
}

Status Replica::CheckViewColumns(const std::string& id, const model::RecordState& expected) {
  // Queries pick records by the collection and deleted columns: they must say what the state
  // says, or a list shows what a record view does not.
  OUTREACH_ASSIGN_OR_RETURN(auto columns, store_->LoadViewColumns(id));
  const schema::RecordSchema* schema = schemas_->Find(expected.collection);
  const std::string prefix = "the stored view of record " + id;
  if (!columns.has_value()) return CorruptError(prefix + " is missing");
  if (schema == nullptr) return CorruptError(prefix + " is of an unknown collection");
  if (columns->collection != expected.collection) {
    return CorruptError(prefix + " has another collection");
  }
  if (columns->deleted != merge::IsDeleted(expected)) {
    return CorruptError(prefix + " is marked deleted other than its state says");
  }
  return Status::Ok();
}

Status Replica::ApplyServerRecord(const model::RecordState& server_state) {
  if (server_state.id.empty()) return InvalidArgumentError("a server record needs an id");
  if (schemas_->Find(server_state.collection) == nullptr) {
    return InvalidArgumentError("unknown collection " + server_state.collection);
  }
  OUTREACH_ASSIGN_OR_RETURN(auto txn, store_->Begin());
  // Readings stored from elsewhere: the clock moves past them, re-stamping stays above them.
  const model::Hlc newest = detail::NewestReading(server_state);
  if (!newest.IsZero()) {
    OUTREACH_RETURN_IF_ERROR(clock_.Observe(newest));
    OUTREACH_RETURN_IF_ERROR(RaiseFloor(newest));
    OUTREACH_RETURN_IF_ERROR(SaveClock());
  }
  // Joined, not replaced: a server copy taken before a change it has just accepted must not
  // drop that change from what this device treats as confirmed (and from its bases).
  OUTREACH_ASSIGN_OR_RETURN(auto confirmed, store_->LoadConfirmed(server_state.id));
  const model::RecordState joined =
      merge::JoinStates(confirmed.value_or(model::RecordState{}), server_state);
  OUTREACH_RETURN_IF_ERROR(Rebuild(server_state.id, &joined));
  return txn.Commit();
}

Status Replica::SaveClock() { return store_->SetMeta(kClockKey, ClockText(clock_)); }

Status Replica::ObserveClock(const model::Hlc& remote) {
  OUTREACH_RETURN_IF_ERROR(clock_.Observe(remote));
  OUTREACH_RETURN_IF_ERROR(RaiseFloor(remote));
  return SaveClock();
}

}  // namespace outreach::replica
