// The outbox side of the replica: what happens to a local change after it was written
// (the server accepts or rejects it, the device discards or fixes a rejected one, or withdraws
// a create that never left). Each step is one transaction.
#include <algorithm>
#include <charconv>
#include <set>

#include "core/merge/merge.h"
#include "core/replica/internal/change_builder.h"
#include "core/replica/internal/replica_store.h"
#include "core/replica/replica.h"
#include "core/schema/record_schema.h"
#include "core/schema/schema_registry.h"

namespace outreach::replica {
namespace {

// replica_meta key: the writing-order position of the last change pushed ("<seq>").
constexpr const char* kPushedUpToKey = "pushed_up_to";

Result<std::int64_t> PushedUpTo(detail::ReplicaStore& store) {
  OUTREACH_ASSIGN_OR_RETURN(auto stored, store.GetMeta(kPushedUpToKey));
  if (!stored.has_value()) return std::int64_t{0};
  std::int64_t sequence = 0;
  const char* const last = stored->data() + stored->size();
  const auto [end, error] = std::from_chars(stored->data(), last, sequence);
  if (error != std::errc() || end != last) {
    return CorruptError("the replica's stored push position is malformed");
  }
  return sequence;
}

bool IsRefusedCreate(const OutboxEntry& entry) {
  return entry.change.kind == model::ChangeKind::kCreate && entry.status == OutboxStatus::kRejected;
}

// Builds `original` again against the record as it now stands: a delete or restore with its
// reason; otherwise what it wrote (PatchOf: values, entries, set memberships) with `patch`
// laid over, validated as user input.
auto RewriteOf(const schema::SchemaRegistry& schemas, const model::Change& original,
               const model::Json& patch, std::vector<schema::ValidationProblem>* problems) {
  return [&schemas, &original, &patch, problems](const model::RecordState& current,
                                                 model::Change& change) -> Status {
    change.reason = original.reason;
    if (original.kind == model::ChangeKind::kDelete) {
      detail::FillDeleteSeen(current, change);
      return Status::Ok();
    }
    if (original.kind == model::ChangeKind::kRestore) {
      change.deletion_base = current.deletions_seen;
      return Status::Ok();
    }
    model::Json values = detail::PatchOf(current, original);
    for (const auto& [field, value] : patch.items()) values[field] = value;
    return detail::AddValidatedPatchWrites(*schemas.Find(change.collection), current, values,
                                           model::ByLeaderWithReason(change), change, problems);
  };
}

}  // namespace

Status Replica::MarkAccepted(std::string_view change_id) {
  OUTREACH_ASSIGN_OR_RETURN(auto txn, store_->Begin());
  OUTREACH_ASSIGN_OR_RETURN(std::string record_id, store_->OutboxRecord(change_id));
  const std::string id(change_id);
  model::Hlc folded;
  OUTREACH_RETURN_IF_ERROR(FoldAccepted(record_id, std::set<std::string>{id}, folded));
  OUTREACH_RETURN_IF_ERROR(RaiseFloor(folded));
  OUTREACH_RETURN_IF_ERROR(SaveClock());
  return txn.Commit();
}

Status Replica::FoldAccepted(std::string_view record_id, const std::set<std::string>& change_ids,
                             model::Hlc& folded) {
  // The server's state of the record (ApplyServerRecord) includes the changes from now on;
  // until it arrives (or for good, when the server's answer left the record out because this
  // device can make it exactly), keep showing them by folding them into the confirmed state,
  // in writing order, with the merge the server ran.
  OUTREACH_ASSIGN_OR_RETURN(const auto heads, store_->LoadPendingHeads(record_id));
  bool all_pending_folded = !heads.empty();
  for (const model::Change& head : heads) {
    if (change_ids.count(head.change_id) == 0) {
      all_pending_folded = false;
    } else {
      folded = std::max(folded, head.version.hlc);
    }
  }
  if (all_pending_folded) {
    // Most folds (a push of records nobody else touched): the view is the confirmed state
    // with exactly these changes applied, in this order, by the same merge, so it is the new
    // confirmed state byte for byte, as stored (CheckViews verifies views against a rebuild):
    // the confirmed state kept apart under them goes, and nothing else is written.
    OUTREACH_ASSIGN_OR_RETURN(const bool promoted, store_->RemovePendingBase(record_id));
    if (promoted) {
      for (const std::string& id : change_ids) OUTREACH_RETURN_IF_ERROR(store_->RemoveFromOutbox(id));
      return Status::Ok();
    }
  }
  OUTREACH_ASSIGN_OR_RETURN(auto confirmed, store_->LoadConfirmed(record_id));
  OUTREACH_ASSIGN_OR_RETURN(auto pending, store_->LoadOutbox(OutboxStatus::kPending, record_id));
  model::RecordState state = confirmed.value_or(model::RecordState{});
  for (const OutboxEntry& entry : pending) {
    if (change_ids.count(entry.change.change_id) == 0) continue;
    const schema::RecordSchema* schema = schemas_->Find(entry.change.collection);
    if (schema != nullptr) (void)merge::MergeInPlace(*schema, state, entry.change);
  }
  for (const std::string& id : change_ids) OUTREACH_RETURN_IF_ERROR(store_->RemoveFromOutbox(id));
  if (state.id.empty()) return Rebuild(record_id);
  return Rebuild(record_id, &state);
}

Status Replica::MarkRejected(std::string_view change_id, std::string_view reason) {
  OUTREACH_ASSIGN_OR_RETURN(auto txn, store_->Begin());
  OUTREACH_ASSIGN_OR_RETURN(std::string record_id, store_->OutboxRecord(change_id));
  // The server has seen this reading: re-stamping must not reuse it. (Any status: a change
  // held back after its create was refused may have been pushed with it.)
  OUTREACH_ASSIGN_OR_RETURN(auto changes, store_->LoadOutbox(std::nullopt, record_id));
  for (const OutboxEntry& entry : changes) {
    if (entry.change.change_id == change_id) OUTREACH_RETURN_IF_ERROR(RaiseFloor(entry.change.version.hlc));
  }
  OUTREACH_RETURN_IF_ERROR(store_->SetOutboxStatus(change_id, OutboxStatus::kRejected, reason));
  OUTREACH_RETURN_IF_ERROR(HoldAfterRefusedCreate(record_id));
  OUTREACH_RETURN_IF_ERROR(Rebuild(record_id));
  return txn.Commit();
}

Status Replica::HoldAfterRefusedCreate(std::string_view record_id) {
  OUTREACH_ASSIGN_OR_RETURN(auto confirmed, store_->LoadConfirmed(record_id));
  if (confirmed.has_value()) return Status::Ok();  // the server has the record
  OUTREACH_ASSIGN_OR_RETURN(auto changes, store_->LoadOutbox(std::nullopt, record_id));
  const auto create = std::find_if(changes.begin(), changes.end(), IsRefusedCreate);
  if (create == changes.end()) return Status::Ok();
  // Pushed, each would be refused as not_found, and the server remembers a refused change id
  // for good: they wait here for the create's fix (FixRejected sends them again after it) or
  // go with it (Discard). The reason names ids only.
  const std::string hold = "held: the create of record " + std::string(record_id) +
                           " (change " + create->change.change_id +
                           ") was refused; fixing it sends this change again after it, "
                           "discarding it discards this change too";
  for (const OutboxEntry& entry : changes) {
    const bool held = entry.status == OutboxStatus::kRejected &&
                      entry.reason.find(hold) != std::string::npos;
    if (&entry == &*create || held) continue;
    // A change the server already refused keeps its own reason first: the worker needs it to
    // fix the change, and the hold only adds why it waits.
    const std::string reason =
        entry.status == OutboxStatus::kRejected ? entry.reason + "; " + hold : hold;
    OUTREACH_RETURN_IF_ERROR(
        store_->SetOutboxStatus(entry.change.change_id, OutboxStatus::kRejected, reason));
  }
  return Status::Ok();
}

Status Replica::Discard(std::string_view change_id) {
  OUTREACH_ASSIGN_OR_RETURN(auto txn, store_->Begin());
  OUTREACH_ASSIGN_OR_RETURN(std::string record_id, store_->OutboxRecord(change_id));
  OUTREACH_ASSIGN_OR_RETURN(auto rejected, store_->LoadOutbox(OutboxStatus::kRejected, record_id));
  const bool is_rejected = std::any_of(rejected.begin(), rejected.end(), [&](const OutboxEntry& e) {
    return e.change.change_id == change_id;
  });
  if (!is_rejected) {
    return FailedPreconditionError("only a rejected change can be discarded");
  }
  OUTREACH_RETURN_IF_ERROR(SaveClock());
  OUTREACH_ASSIGN_OR_RETURN(auto confirmed, store_->LoadConfirmed(record_id));
  const bool refused_create = !confirmed.has_value() &&
                              std::any_of(rejected.begin(), rejected.end(), [&](const OutboxEntry& e) {
                                return e.change.change_id == change_id && IsRefusedCreate(e);
                              });
  // A refused create of a record the server never had takes the record's other changes with
  // it: none of them can ever apply (HoldAfterRefusedCreate).
  OUTREACH_ASSIGN_OR_RETURN(auto changes, store_->LoadOutbox(std::nullopt, record_id));
  for (const OutboxEntry& entry : changes) {
    if (refused_create || entry.change.change_id == change_id) {
      OUTREACH_RETURN_IF_ERROR(store_->RemoveFromOutbox(entry.change.change_id));
    }
  }
  OUTREACH_RETURN_IF_ERROR(Rebuild(record_id));
  return txn.Commit();
}

Result<std::string> Replica::FixRejected(std::string_view change_id, const model::Json& patch,
                                         std::vector<schema::ValidationProblem>* problems) {
  if (!patch.is_object()) return InvalidArgumentError("a fix is a JSON object of fields");
  OUTREACH_ASSIGN_OR_RETURN(auto txn, store_->Begin());
  OUTREACH_ASSIGN_OR_RETURN(const std::string record_id, store_->OutboxRecord(change_id));
  OUTREACH_ASSIGN_OR_RETURN(auto rejected, store_->LoadOutbox(OutboxStatus::kRejected, record_id));
  const auto found = std::find_if(rejected.begin(), rejected.end(), [&](const OutboxEntry& entry) {
    return entry.change.change_id == change_id;
  });
  if (found == rejected.end()) return FailedPreconditionError("only a rejected change is fixed");
  const model::Change original = found->change;
  if (original.kind == model::ChangeKind::kDelete || original.kind == model::ChangeKind::kRestore) {
    return InvalidArgumentError("a rejected delete or restore has no values to fix; discard it");
  }
  OUTREACH_ASSIGN_OR_RETURN(auto confirmed, store_->LoadConfirmed(record_id));
  // The server never had the record: the create is written again as a create, and the
  // record's other changes (held back, HoldAfterRefusedCreate) follow it.
  const bool refused_create = original.kind == model::ChangeKind::kCreate && !confirmed.has_value();
  std::vector<OutboxEntry> followers;
  if (refused_create) {
    OUTREACH_RETURN_IF_ERROR(HoldAfterRefusedCreate(record_id));
    OUTREACH_ASSIGN_OR_RETURN(followers, store_->LoadOutbox(std::nullopt, record_id));
    std::erase_if(followers, [&](const OutboxEntry& entry) {
      return entry.change.change_id == change_id;
    });
  }
  OUTREACH_RETURN_IF_ERROR(store_->RemoveFromOutbox(change_id));
  // Followers still pending (written before this rule) were just held: out of the view.
  if (refused_create) OUTREACH_RETURN_IF_ERROR(Rebuild(record_id));
  // The rejected change is not part of the view (only pending ones are), so the fix is built
  // on exactly what the record says without it.
  OUTREACH_ASSIGN_OR_RETURN(auto view, store_->LoadView(record_id));
  if (!view.has_value() && original.kind != model::ChangeKind::kCreate) {
    return FailedPreconditionError("record " + record_id + " is not on this device (its create "
                                   "was refused?): fix or discard that first");
  }
  const model::ChangeKind kind =
      view.has_value() && !refused_create ? model::ChangeKind::kUpdate : original.kind;
  OUTREACH_ASSIGN_OR_RETURN(
      const std::string fixed_id,
      AddLocalChange(record_id, original.collection, kind,
                     RewriteOf(*schemas_, original, patch, problems)));
  if (fixed_id.empty()) {
    return FailedPreconditionError("the fix writes nothing the record does not already say; "
                                   "discard change " + std::string(change_id) + " instead");
  }
  for (const OutboxEntry& follower : followers) {
    OUTREACH_RETURN_IF_ERROR(SendAgainAfterFixedCreate(follower));
  }
  OUTREACH_RETURN_IF_ERROR(txn.Commit());
  return fixed_id;
}

Status Replica::SendAgainAfterFixedCreate(const OutboxEntry& follower) {
  const model::Change& original = follower.change;
  // A fresh change id (the server remembers the old one as refused) and reading, at the end of
  // the outbox, after the fixed create.
  const model::Json no_patch = model::Json::object();
  // In a savepoint of its own: a refusal is kept below, so whatever the attempt wrote before it
  // failed must go with it (a storage error can carry these codes too).
  OUTREACH_ASSIGN_OR_RETURN(auto attempt, store_->Begin());
  auto sent = AddLocalChange(original.record_id, original.collection, original.kind,
                             RewriteOf(*schemas_, original, no_patch, nullptr));
  const StatusCode code = sent.status().code();
  if (sent.ok()) {
    OUTREACH_RETURN_IF_ERROR(attempt.Commit());
    // Written again, or nothing left to write: the fixed create already says it.
    return store_->RemoveFromOutbox(original.change_id);
  }
  OUTREACH_RETURN_IF_ERROR(attempt.Rollback());
  if (code != StatusCode::kInvalidArgument && code != StatusCode::kFailedPrecondition) {
    return sent.status();
  }
  // The record as fixed refuses it: it stays, rejected with why, for the worker to fix or
  // discard (its record is on the device now).
  return store_->SetOutboxStatus(original.change_id, OutboxStatus::kRejected,
                                 "not sent again after its record's create was fixed: " +
                                     sent.status().ToString());
}

Status Replica::RecordPushPosition() {
  // What is pushed can no longer be withdrawn (WithdrawCreate). The position, not the
  // reading, marks it: re-stamping moves readings.
  OUTREACH_ASSIGN_OR_RETURN(const std::int64_t last, store_->LastOutboxSequence());
  return store_->SetMeta(kPushedUpToKey, std::to_string(last));
}

Status Replica::WithdrawCreate(std::string_view id) {
  OUTREACH_ASSIGN_OR_RETURN(auto txn, store_->Begin());
  OUTREACH_ASSIGN_OR_RETURN(auto view, store_->LoadView(id));
  OUTREACH_ASSIGN_OR_RETURN(auto changes, store_->LoadOutbox(std::nullopt, id));
  if (!view.has_value() && changes.empty()) return NotFoundError("no record " + std::string(id));
  const std::string may_have_left = "record " + std::string(id) +
                                    " may have reached the server; a team leader or "
                                    "administrator deletes it, with a reason";
  OUTREACH_ASSIGN_OR_RETURN(auto confirmed, store_->LoadConfirmed(id));
  if (confirmed.has_value()) return FailedPreconditionError(may_have_left);
  const model::Change* create = changes.empty() ? nullptr : &changes.front().change;
  const bool own_create = create != nullptr && create->kind == model::ChangeKind::kCreate &&
                          create->version.device_id == identity_.device_id &&
                          create->author == identity_.user_id;
  if (!own_create) {
    return FailedPreconditionError("only the device and user that created record " +
                                   std::string(id) + " withdraw it");
  }
  OUTREACH_ASSIGN_OR_RETURN(const std::int64_t pushed, PushedUpTo(*store_));
  for (const OutboxEntry& entry : changes) {
    // A rejected change was refused by the server, so it holds nothing of it; a pending one
    // that was pushed may be there even if the answer never came back.
    if (entry.status == OutboxStatus::kPending && entry.sequence <= pushed) {
      return FailedPreconditionError(may_have_left);
    }
  }
  // The outbox carries the clock's last reading (local writes do not save it): save it before
  // removing what may be the newest entry, so no reading is ever issued twice.
  OUTREACH_RETURN_IF_ERROR(SaveClock());
  for (const OutboxEntry& entry : changes) {
    OUTREACH_RETURN_IF_ERROR(store_->RemoveFromOutbox(entry.change.change_id));
  }
  OUTREACH_RETURN_IF_ERROR(store_->RemoveRecord(id));
  return txn.Commit();
}

}  // namespace outreach::replica
