#include "core/merge/record_view.h"

#include <algorithm>

#include "core/merge/append_view.h"
#include "core/schema/derived_fields.h"
#include "core/schema/record_schema.h"

namespace outreach::merge {
namespace {

using model::Candidate;
using model::Json;
using model::Version;
using schema::FieldSpec;
using schema::MergePolicy;

bool Observed(const std::vector<Version>& versions, const Version& version) {
  return std::binary_search(versions.begin(), versions.end(), version);
}

bool AddIsLive(const model::SetElement& element, const Version& add) {
  for (const auto& [removal, observed] : element.removes) {
    if (Observed(observed, add)) return false;
  }
  return true;
}

// The value code reads while a register holds several candidates (DESIGN.md section 3): the
// further state for forward fields and the higher of an ordered review enum; otherwise the
// higher version. Candidates are sorted by version, so "higher version" is the last.
const Candidate& ProvisionalCandidate(const FieldSpec* spec,
                                      const std::vector<Candidate>& candidates) {
  const bool ranked = spec != nullptr && !spec->order.empty() &&
                      (spec->policy == MergePolicy::kForward || spec->policy == MergePolicy::kReview);
  if (!ranked) return candidates.back();
  const Candidate* best = &candidates.front();
  for (const Candidate& candidate : candidates) {
    const int rank = schema::OrderRank(*spec, candidate.value);
    const int best_rank = schema::OrderRank(*spec, best->value);
    if (rank > best_rank || (rank == best_rank && best->version < candidate.version)) {
      best = &candidate;
    }
  }
  return *best;
}

bool DeletionCoversEverything(const model::RecordState& state, const model::Deletion& deletion) {
  for (const auto& [field, reg] : state.registers) {
    const auto seen = deletion.seen.find(field);
    for (const Candidate& candidate : reg.candidates) {
      if (seen == deletion.seen.end() || !seen->second.Covers(candidate.version)) return false;
    }
  }
  for (const auto& [field, append] : state.appends) {
    for (const auto& [entry_id, entry] : append.entries) {
      if (!Observed(deletion.seen_items, entry.version)) return false;
    }
  }
  for (const auto& [field, set] : state.sets) {
    for (const auto& [key, element] : set.elements) {
      for (const auto& [add, seen_removals] : element.adds) {
        if (AddIsLive(element, add) && !Observed(deletion.seen_items, add)) return false;
      }
    }
  }
  return true;
}

void AddRegisterConflict(const FieldSpec* spec, const std::string& record_id,
                         const std::string& field, const model::RegisterState& reg,
                         std::vector<Conflict>& out) {
  if (reg.candidates.size() < 2) return;
  ConflictKind kind = ConflictKind::kReview;
  if (spec == nullptr) return;  // unknown to this schema: kept, resolved by version, not ours
  switch (spec->policy) {
    case MergePolicy::kReview: kind = ConflictKind::kReview; break;
    case MergePolicy::kImmutable: kind = ConflictKind::kImmutable; break;
    // lww and forward resolve by rule (higher version, further state), asking no one; the other
    // value stays visible until a write that saw both replaces them.
    case MergePolicy::kLww: kind = ConflictKind::kAutoResolved; break;
    case MergePolicy::kForward: kind = ConflictKind::kAutoResolved; break;
    default: return;
  }
  out.push_back(Conflict{record_id, field, kind, reg.candidates,
                         ProvisionalCandidate(spec, reg.candidates).value});
}

// Neither saw the other: a removal did not observe a live addition, and that addition's author
// had not seen the removal (a deliberate re-add would have).
bool ElementHasRace(const model::SetElement& element) {
  // Most elements were never removed: no removal, no race (and no walk over the additions).
  if (element.removes.empty()) return false;
  for (const auto& [add, seen_removals] : element.adds) {
    if (!AddIsLive(element, add)) continue;
    for (const auto& [removal, observed] : element.removes) {
      if (removal != add && !Observed(observed, add) && !Observed(seen_removals, removal)) {
        return true;
      }
    }
  }
  return false;
}

void AddSetConflicts(const std::string& record_id, const std::string& field,
                     const model::SetState& set, std::vector<Conflict>& out) {
  for (const auto& [key, element] : set.elements) {
    if (!ElementHasRace(element)) continue;
    std::vector<Candidate> adds;
    for (const auto& [add, seen_removals] : element.adds) {
      if (AddIsLive(element, add)) adds.push_back(Candidate{element.value, add, ""});
    }
    out.push_back(Conflict{record_id, field, ConflictKind::kSetRemoveVsAdd, adds, element.value});
  }
}

// Entries of a review-if-concurrent field (consent events) whose member differs, made without
// either author seeing the other, and not yet settled by an entry whose author saw both.
std::vector<const Candidate*> RacingEntries(const FieldSpec& spec, const model::AppendState& append) {
  const auto saw = [&](const std::string& key, const Version& version) {
    const auto seen = append.seen.find(key);
    return seen != append.seen.end() && Observed(seen->second, version);
  };
  std::vector<const Candidate*> racing;
  for (const auto& [key_a, a] : append.entries) {
    for (const auto& [key_b, b] : append.entries) {
      if (!(a.version < b.version)) continue;
      const model::Json& member_a = a.value.contains(spec.review_if_concurrent)
                                        ? a.value[spec.review_if_concurrent] : model::Json();
      const model::Json& member_b = b.value.contains(spec.review_if_concurrent)
                                        ? b.value[spec.review_if_concurrent] : model::Json();
      if (member_a == member_b || saw(key_a, b.version) || saw(key_b, a.version)) continue;
      const bool settled = std::any_of(append.entries.begin(), append.entries.end(),
                                       [&](const auto& entry) {
                                         return saw(entry.first, a.version) && saw(entry.first, b.version);
                                       });
      if (settled) continue;
      if (std::find(racing.begin(), racing.end(), &a) == racing.end()) racing.push_back(&a);
      if (std::find(racing.begin(), racing.end(), &b) == racing.end()) racing.push_back(&b);
    }
  }
  std::sort(racing.begin(), racing.end(),
            [](const Candidate* x, const Candidate* y) { return x->version < y->version; });
  return racing;
}

// x-entry-forward: concurrent successors of one entry resolve to the one furthest along, as
// a forward register does; the others stay visible here, asking no one.
void AddEntryRaceConflicts(const FieldSpec* spec, const std::string& record_id,
                           const std::string& field, const model::AppendState& append,
                           std::vector<Conflict>& out) {
  if (spec == nullptr || spec->entry_forward.empty()) return;
  const AppendView view(spec, append);
  for (const EntryRace& race : view.races()) {
    std::vector<Candidate> candidates;
    for (const Candidate* entry : race.entries) candidates.push_back(*entry);
    out.push_back(Conflict{record_id, field, ConflictKind::kAutoResolved, std::move(candidates),
                           race.winner->value});
  }
}

}  // namespace

bool AppendHasEntryRace(const schema::FieldSpec* spec, const model::AppendState& append) {
  return spec != nullptr && !spec->entry_forward.empty() &&
         !AppendView(spec, append).races().empty();
}

bool AppendHasRace(const schema::FieldSpec* spec, const model::AppendState& append) {
  return spec != nullptr && !spec->review_if_concurrent.empty() && !RacingEntries(*spec, append).empty();
}

bool SetHasRace(const model::SetState& set) {
  for (const auto& [key, element] : set.elements) {
    if (ElementHasRace(element)) return true;
  }
  return false;
}

bool SetElementPresent(const model::SetElement& element) {
  for (const auto& [add, seen] : element.adds) {
    if (AddIsLive(element, add)) return true;
  }
  return false;
}

bool IsDeleted(const model::RecordState& state) {
  for (const model::Deletion& deletion : state.deletions) {
    if (DeletionCoversEverything(state, deletion)) return true;
  }
  return false;
}

Json CurrentValues(const schema::RecordSchema& schema, const model::RecordState& state) {
  Json values = Json::object();
  for (const auto& [field, reg] : state.registers) {
    if (reg.candidates.empty()) continue;
    const Json& value = ProvisionalCandidate(schema.Field(field), reg.candidates).value;
    if (!value.is_null()) values[field] = value;  // null: the field was cleared
  }
  for (const auto& [field, append] : state.appends) {
    Json list = Json::array();
    for (const Candidate* entry : AppendView(schema.Field(field), append).Current()) {
      list.push_back(entry->value);
    }
    values[field] = list;
  }
  for (const auto& [field, set] : state.sets) {
    Json members = Json::array();
    for (const auto& [key, element] : set.elements) {
      if (SetElementPresent(element)) members.push_back(element.value);
    }
    values[field] = members;
  }
  if (!state.id.empty()) values["id"] = state.id;
  // Derived fields are the engine's: recomputed from the merged values, never merged themselves.
  const Json derived = schema::ComputeDerived(schema, values);
  for (const auto& [field, value] : derived.items()) values[field] = value;
  return values;
}

std::map<std::string, Json> EntryHistory(const schema::RecordSchema& schema,
                                         const model::RecordState& state) {
  std::map<std::string, Json> history;
  for (const auto& [field, append] : state.appends) {
    Json list = Json::array();
    const AppendView view(schema.Field(field), append);
    for (const EntryReading& reading : view.entries()) {
      list.push_back(Json{{"entry", reading.entry->value},
                          {"author", reading.entry->author},
                          {"status", EntryStatusName(reading.status)},
                          {"superseded_by", reading.superseded_by}});
    }
    history.emplace(field, std::move(list));
  }
  return history;
}

std::vector<Conflict> Conflicts(const schema::RecordSchema& schema,
                                const model::RecordState& state) {
  std::vector<Conflict> conflicts;
  for (const auto& [field, reg] : state.registers) {
    AddRegisterConflict(schema.Field(field), state.id, field, reg, conflicts);
  }
  for (const auto& [field, set] : state.sets) AddSetConflicts(state.id, field, set, conflicts);
  for (const auto& [field, append] : state.appends) {
    AddEntryRaceConflicts(schema.Field(field), state.id, field, append, conflicts);
  }
  for (const auto& [field, append] : state.appends) {
    const FieldSpec* spec = schema.Field(field);
    if (spec == nullptr || spec->review_if_concurrent.empty()) continue;
    const auto racing = RacingEntries(*spec, append);
    if (racing.empty()) continue;
    std::vector<Candidate> candidates;
    for (const Candidate* entry : racing) candidates.push_back(*entry);
    // Provisional: the later entry (the higher version), until someone who saw both adds one.
    conflicts.push_back(Conflict{state.id, field, ConflictKind::kReview, candidates,
                                 candidates.back().value});
  }
  if (!state.deletions.empty() && !IsDeleted(state)) {
    std::vector<Candidate> deletions;
    for (const model::Deletion& deletion : state.deletions) {
      deletions.push_back(Candidate{nullptr, deletion.version, deletion.author});
    }
    // Provisional: the record stays (the edit wins) until someone decides.
    conflicts.push_back(Conflict{state.id, "", ConflictKind::kDeleteVsEdit, deletions, false});
  }
  return conflicts;
}

std::string_view ConflictKindName(ConflictKind kind) {
  switch (kind) {
    case ConflictKind::kReview: return "review";
    case ConflictKind::kImmutable: return "immutable";
    case ConflictKind::kAutoResolved: return "auto_resolved";
    case ConflictKind::kSetRemoveVsAdd: return "set_remove_vs_add";
    case ConflictKind::kDeleteVsEdit: return "delete_vs_edit";
  }
  return "unknown";
}

}  // namespace outreach::merge
