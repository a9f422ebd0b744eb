#include "core/merge/merge.h"

#include <algorithm>
#include <set>

#include "core/merge/append_view.h"
#include "core/merge/internal/field_merge.h"
#include "core/merge/record_view.h"
#include "core/schema/record_schema.h"
#include "core/schema/schema_version.h"

namespace outreach::merge {
namespace {

using model::Change;
using model::ChangeKind;
using schema::MergePolicy;

// The reserved members that correct or strike an earlier entry (append_view.h), as far as the
// entry alone shows: that the earlier entry exists, and was seen, is admission's to check.
std::string SupersessionProblem(const model::Json& entry) {
  const auto supersedes = entry.find(kSupersedesMember);
  if (supersedes != entry.end() &&
      (!supersedes->is_string() || supersedes->get_ref<const std::string&>().empty() ||
       *supersedes == entry["id"])) {
    return "supersedes must name another entry";
  }
  if (!entry.contains(kStruckMember)) return "";
  const auto reason = entry.find(kStrikeReasonMember);
  if (!IsStrike(entry) || supersedes == entry.end() || reason == entry.end() ||
      !reason->is_string() || reason->get_ref<const std::string&>().empty()) {
    return "a strike is \"struck\": true, naming the entry it strikes, with a strike_reason";
  }
  return "";
}

// The rules that depend on the change alone, so every replica rejects the same changes.
std::string ShapeProblem(const schema::RecordSchema& schema, const Change& change) {
  if (change.record_id.empty() || change.change_id.empty()) return "a change needs ids";
  if (change.version.device_id.empty()) return "a change needs a device id";
  if (change.collection != schema.name()) return "the change is for another collection";
  const auto version = schema::ParseSchemaVersion(change.schema_version);
  if (!version.has_value() || !schema.AcceptsVersion(*version)) {
    return "schema version " + change.schema_version + " is not accepted for " + schema.name();
  }
  const bool has_writes =
      !change.registers.empty() || !change.appends.empty() || !change.sets.empty();
  if (change.kind == ChangeKind::kDelete && has_writes) return "a delete carries no writes";
  for (const auto& [field, write] : change.registers) {
    const schema::FieldSpec* spec = schema.Field(field);
    if (spec == nullptr) continue;  // a newer schema's field: kept untouched
    if (!spec->derived.empty()) return "field " + field + " is derived by the engine";
    if (spec->policy == MergePolicy::kAppend || spec->policy == MergePolicy::kSet) {
      return "field " + field + " is not a single value";
    }
    // Over a seen value only as a resolution of concurrent first sets (admission checks the
    // value is one of them); anything else is a correction, which is an amendment entry.
    if (spec->policy == MergePolicy::kImmutable && !write.base.empty() &&
        !model::ByLeaderWithReason(change)) {
      return "immutable field " + field + " is already set";
    }
  }
  for (const auto& [field, write] : change.appends) {
    const schema::FieldSpec* spec = schema.Field(field);
    if (spec != nullptr && spec->policy != MergePolicy::kAppend) {
      return "field " + field + " is not append-only";
    }
    if (write.entries.empty()) return "an append to " + field + " has no entries";
    for (const model::Json& entry : write.entries) {
      if (!entry.is_object() || !entry.contains("id") || !entry["id"].is_string()) {
        return "an entry of " + field + " has no id";
      }
      if (std::string problem = SupersessionProblem(entry); !problem.empty()) {
        return "entry " + entry["id"].get<std::string>() + " of " + field + ": " + problem;
      }
    }
  }
  for (const auto& [field, write] : change.sets) {
    const schema::FieldSpec* spec = schema.Field(field);
    if (spec != nullptr && spec->policy != MergePolicy::kSet) {
      return "field " + field + " is not a set";
    }
    if (!write.added_seen_removals.empty() && write.added_seen_removals.size() != write.added.size()) {
      return "set write for " + field + " is malformed";
    }
    if (write.added.empty() && write.removed.empty()) return "a set write to " + field + " is empty";
  }
  return "";
}

// `contested`: set when a register this change wrote holds more than one candidate after it.
bool ApplyWrites(model::RecordState& state, const Change& change,
                 std::vector<const std::string*>& contested) {
  bool changed = false;
  for (const auto& [field, write] : change.registers) {
    model::RegisterState& reg = state.registers[field];
    changed = detail::ApplyRegisterWrite(reg, write, change.version, change.author) || changed;
    if (reg.candidates.size() >= 2) contested.push_back(&field);
  }
  for (const auto& [field, write] : change.appends) {
    if (write.entries.empty()) continue;  // creates no empty field: bytes must not change
    changed = detail::ApplyAppendWrite(state.appends[field], write, change.version,
                                       change.author) || changed;
  }
  for (const auto& [field, write] : change.sets) {
    if (write.added.empty() && write.removed.empty()) continue;
    changed = detail::ApplySetWrite(state.sets[field], write, change.version) || changed;
  }
  return changed;
}

std::set<std::string> TouchedFields(const Change& change) {
  std::set<std::string> fields;
  for (const auto& [field, write] : change.registers) fields.insert(field);
  for (const auto& [field, write] : change.appends) fields.insert(field);
  for (const auto& [field, write] : change.sets) fields.insert(field);
  return fields;
}

}  // namespace

std::string_view OutcomeName(Outcome outcome) {
  switch (outcome) {
    case Outcome::kApplied: return "applied";
    case Outcome::kMerged: return "merged";
    case Outcome::kConflict: return "conflict";
    case Outcome::kDuplicate: return "duplicate";
    case Outcome::kRejected: return "rejected";
  }
  return "unknown";
}

MergeResult MergeInPlace(const schema::RecordSchema& schema, model::RecordState& state,
                         const Change& change, std::vector<Conflict>* conflicts) {
  if (std::string problem = ShapeProblem(schema, change); !problem.empty()) {
    return {Outcome::kRejected, std::move(problem)};
  }
  if (!state.id.empty() && (state.id != change.record_id || state.collection != change.collection ||
                            state.team != change.team)) {
    return {Outcome::kRejected, "the change names another record, collection or team"};
  }
  // Every check is done: from here on the change is applied. Each step is a join, so a step
  // that finds nothing new leaves its part of the state exactly as it was.
  const bool was_empty = state.id.empty();
  if (was_empty) {
    // A change may arrive before the record's creation: the envelope comes with any change.
    state.id = change.record_id;
    state.collection = change.collection;
    state.team = change.team;
  }
  std::vector<const std::string*> contested;  // registers with concurrent candidates
  bool changed = ApplyWrites(state, change, contested);
  if (change.kind == ChangeKind::kDelete) changed = detail::ApplyDeletion(state, change) || changed;
  if (change.kind == ChangeKind::kRestore) changed = detail::ApplyRestore(state, change) || changed;
  // The record's schema version is the highest of every change that reached it, superseded or
  // not (a join, like the rest), so it does not depend on the order changes arrived in.
  if (change.schema_version != state.schema_version) {
    const schema::SchemaVersion change_version = *schema::ParseSchemaVersion(change.schema_version);
    const auto record_version = schema::ParseSchemaVersion(state.schema_version);
    const std::string joined = schema::SchemaVersionString(
        record_version.has_value() ? std::max(*record_version, change_version) : change_version);
    changed = changed || joined != state.schema_version;
    state.schema_version = joined;
  }
  if (!changed) {
    if (was_empty) state = model::RecordState{};
    return {Outcome::kDuplicate, ""};
  }

  // Classify the outcome from the touched fields only: the whole record's conflicts are built
  // (allocating) just when the caller asks for them.
  bool needs_review = false;
  bool auto_resolved = false;
  for (const std::string* field : contested) {
    const schema::FieldSpec* spec = schema.Field(*field);
    const bool reviewed = spec != nullptr && (spec->policy == MergePolicy::kReview ||
                                              spec->policy == MergePolicy::kImmutable);
    (reviewed ? needs_review : auto_resolved) = true;  // lww, forward, unknown: by rule
  }
  for (const auto& [field, write] : change.sets) {
    const auto set = state.sets.find(field);
    if (set != state.sets.end() && SetHasRace(set->second)) needs_review = true;
  }
  for (const auto& [field, write] : change.appends) {
    const auto append = state.appends.find(field);
    if (append == state.appends.end()) continue;
    if (AppendHasRace(schema.Field(field), append->second)) needs_review = true;
    if (AppendHasEntryRace(schema.Field(field), append->second)) auto_resolved = true;
  }
  const bool record_wide = change.kind == ChangeKind::kDelete || change.kind == ChangeKind::kRestore;
  if (!state.deletions.empty() && !IsDeleted(state)) needs_review = true;
  if (conflicts != nullptr) {
    const std::set<std::string> touched = TouchedFields(change);
    for (Conflict& conflict : Conflicts(schema, state)) {
      const bool relevant = conflict.kind == ConflictKind::kDeleteVsEdit
                                ? (record_wide || !touched.empty())
                                : touched.count(conflict.field) != 0;
      if (relevant) conflicts->push_back(std::move(conflict));
    }
  }
  return {needs_review ? Outcome::kConflict
                       : auto_resolved ? Outcome::kMerged : Outcome::kApplied,
          ""};
}

MergeOutput Merge(const schema::RecordSchema& schema, const model::RecordState& state,
                  const Change& change) {
  MergeOutput out{state, {}, {}};
  out.result = MergeInPlace(schema, out.state, change, &out.conflicts);
  return out;
}

}  // namespace outreach::merge
