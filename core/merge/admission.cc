#include "core/merge/admission.h"

#include <algorithm>
#include <optional>

#include "core/merge/append_view.h"
#include "core/merge/record_view.h"
#include "core/schema/record_schema.h"

namespace outreach::merge {
namespace {

using model::ByLeaderWithReason;
using schema::MergePolicy;

Status CheckRegisterWrite(const schema::FieldSpec& spec, const std::string& field,
                          const model::RegisterState* current, const model::RegisterWrite& write,
                          const model::Change& change) {
  if (current == nullptr || current->candidates.empty()) return Status::Ok();
  const bool disputed = current->candidates.size() > 1;
  const bool settles = disputed && std::all_of(current->candidates.begin(), current->candidates.end(),
                                               [&](const model::Candidate& candidate) {
                                                 return write.base.Covers(candidate.version);
                                               });
  const bool reviewed = spec.policy == MergePolicy::kReview || spec.policy == MergePolicy::kImmutable;
  if (settles && reviewed && !ByLeaderWithReason(change)) {
    // The client is never trusted (I6): only a leader's reasoned write may close a dispute.
    return FailedPreconditionError("field " + field +
                                   " is disputed; only a team leader or administrator, with a "
                                   "reason, resolves it");
  }
  if (spec.policy == MergePolicy::kImmutable) {
    if (settles) {
      const bool one_of_them = std::any_of(current->candidates.begin(), current->candidates.end(),
                                           [&](const model::Candidate& candidate) {
                                             return candidate.value == write.value;
                                           });
      if (!one_of_them) {
        return FailedPreconditionError("immutable field " + field +
                                       " is resolved to one of its competing values");
      }
      return Status::Ok();
    }
    for (const model::Candidate& candidate : current->candidates) {
      if (candidate.value != write.value) {
        return FailedPreconditionError("immutable field " + field +
                                       " is already set; add an amendment entry instead");
      }
    }
  }
  if (spec.policy == MergePolicy::kForward && spec.order.empty()) {
    // A forward field without states (signed_off_at, submitted_at) moves once: absent to set.
    for (const model::Candidate& candidate : current->candidates) {
      if (write.base.Covers(candidate.version) && !candidate.value.is_null() &&
          candidate.value != write.value && !ByLeaderWithReason(change)) {
        return FailedPreconditionError("field " + field +
                                       " is set once; changing it needs a team leader and a "
                                       "reason");
      }
    }
  }
  if (spec.policy == MergePolicy::kForward && !spec.order.empty()) {
    const int new_rank = schema::OrderRank(spec, write.value);
    for (const model::Candidate& candidate : current->candidates) {
      const bool seen = write.base.Covers(candidate.version);
      if (seen && schema::OrderRank(spec, candidate.value) > new_rank && !ByLeaderWithReason(change)) {
        return FailedPreconditionError("field " + field +
                                       " only moves forward; going back needs a team leader "
                                       "and a reason");
      }
    }
  }
  return Status::Ok();
}

bool Seen(const std::vector<model::Version>& seen_sorted, const model::Version& version) {
  return std::binary_search(seen_sorted.begin(), seen_sorted.end(), version);
}

// An entry that supersedes or strikes another must name one its author had seen in the field:
// an id it made up, or one of another field or record, would point nowhere for everyone else.
// On an x-entry-forward field (actions: open -> done) it may not take a state back below one its
// author had seen in that entry's line, unless a team leader or administrator gives a reason.
Status CheckAppendWrite(const schema::FieldSpec* spec, const std::string& field,
                        const model::AppendState* current, const model::AppendWrite& write,
                        const model::Change& change) {
  static const model::AppendState kNoEntries;
  std::optional<AppendView> view;  // built only when an entry names another
  std::vector<model::Version> seen = write.seen;
  std::sort(seen.begin(), seen.end());
  for (const model::Json& entry : write.entries) {
    const std::string target_id = SupersededId(entry);
    if (target_id.empty()) continue;
    if (!view.has_value()) view.emplace(spec, current == nullptr ? kNoEntries : *current);
    const std::string& entry_id = EntryId(entry);
    std::vector<const model::Candidate*> targets = view->WithId(target_id);
    std::erase_if(targets,
                  [&](const model::Candidate* target) { return !Seen(seen, target->version); });
    if (targets.empty()) {
      return FailedPreconditionError("entry " + entry_id + " of " + field + " supersedes " +
                                     target_id + ", which is no entry of " + field +
                                     " its author had seen");
    }
    if (spec == nullptr || spec->entry_forward.empty() || IsStrike(entry) ||
        ByLeaderWithReason(change)) {
      continue;
    }
    const std::vector<int> ranks = schema::EntryStateRanks(*spec, entry);
    for (const EntryReading& reading : view->entries()) {
      if (!Seen(seen, reading.entry->version) || !view->SameEntry(reading.entry, targets.front())) {
        continue;
      }
      const std::vector<int> earlier = schema::EntryStateRanks(*spec, reading.entry->value);
      for (std::size_t member = 0; member < ranks.size(); ++member) {
        if (earlier[member] > ranks[member]) {
          return FailedPreconditionError("entry " + entry_id + " of " + field +
                                         " takes its state back; going back needs a team "
                                         "leader and a reason");
        }
      }
    }
  }
  return Status::Ok();
}

}  // namespace

Status CheckAdmission(const schema::RecordSchema& schema, const model::RecordState& state,
                      const model::Change& change) {
  // Records are never deleted outside retention (DOMAIN.md): only a team leader or an
  // administrator (the server's retention job runs as one) deletes or restores, with a reason.
  // A device withdrawing its own unsynced create makes no change at all (Replica::WithdrawCreate).
  const bool record_wide =
      change.kind == model::ChangeKind::kDelete || change.kind == model::ChangeKind::kRestore;
  if (record_wide && !ByLeaderWithReason(change)) {
    return FailedPreconditionError(
        "record " + change.record_id + " is " +
        (change.kind == model::ChangeKind::kDelete ? "deleted" : "restored") +
        " only by a team leader or an administrator, with a reason");
  }
  const bool exists = !state.empty() || !state.deletions.empty();
  if (change.kind == model::ChangeKind::kCreate && exists) {
    return FailedPreconditionError("record " + change.record_id + " already exists");
  }
  // An edit by someone who had seen the delete is refused; an edit made concurrently (offline,
  // unaware of it) is accepted and keeps the record alive as a delete_vs_edit conflict.
  if (change.kind == model::ChangeKind::kUpdate && IsDeleted(state)) {
    for (const model::Deletion& deletion : state.deletions) {
      if (change.deletion_base.Covers(deletion.version)) {
        return FailedPreconditionError("record " + change.record_id + " is deleted");
      }
    }
  }
  // The record's values are needed only for a field that x-immutable-after can freeze; every
  // local write and every pushed change passes here, so they are computed at most once, lazily.
  std::optional<model::Json> values;
  const auto frozen = [&](const std::string& field) {
    const schema::FieldSpec* spec = schema.Field(field);
    if (spec == nullptr || spec->immutable_after.empty()) return false;
    if (!values.has_value()) values = CurrentValues(schema, state);
    return values->contains(spec->immutable_after) && !(*values)[spec->immutable_after].is_null();
  };
  for (const auto& [field, write] : change.appends) {
    if (frozen(field)) {
      return FailedPreconditionError("field " + field + " is frozen once " +
                                     schema.Field(field)->immutable_after + " is set");
    }
  }
  for (const auto& [field, write] : change.sets) {
    if (frozen(field)) {
      return FailedPreconditionError("field " + field + " is frozen once " +
                                     schema.Field(field)->immutable_after + " is set");
    }
  }
  const auto may_write = [&](const std::string& field) {
    const schema::FieldSpec* spec = schema.Field(field);
    if (spec == nullptr || spec->writers.empty() || change.author_role == "admin") return true;
    return std::find(spec->writers.begin(), spec->writers.end(), change.author_role) !=
           spec->writers.end();
  };
  const auto refuse_writer = [&](const std::string& field) {
    return FailedPreconditionError("field " + field + " is written only by " +
                                   schema.Field(field)->writers.front());
  };
  for (const auto& [field, write] : change.registers) {
    if (!may_write(field)) return refuse_writer(field);
  }
  for (const auto& [field, write] : change.appends) {
    if (!may_write(field)) return refuse_writer(field);
  }
  for (const auto& [field, write] : change.sets) {
    if (!may_write(field)) return refuse_writer(field);
  }
  for (const auto& [field, write] : change.appends) {
    const auto current = state.appends.find(field);
    OUTREACH_RETURN_IF_ERROR(CheckAppendWrite(
        schema.Field(field), field, current == state.appends.end() ? nullptr : &current->second,
        write, change));
  }
  for (const auto& [field, write] : change.registers) {
    const schema::FieldSpec* spec = schema.Field(field);
    if (spec == nullptr) continue;
    if (frozen(field)) {
      return FailedPreconditionError("field " + field + " is frozen once " +
                                     spec->immutable_after + " is set");
    }
    const auto current = state.registers.find(field);
    OUTREACH_RETURN_IF_ERROR(CheckRegisterWrite(
        *spec, field, current == state.registers.end() ? nullptr : &current->second, write,
        change));
  }
  return Status::Ok();
}

}  // namespace outreach::merge
