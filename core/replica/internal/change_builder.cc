#include "core/replica/internal/change_builder.h"

#include <algorithm>
#include <map>
#include <string>

#include "core/merge/record_view.h"
#include "core/model/canonical_json.h"
#include "core/schema/merge_policy.h"
#include "core/schema/record_schema.h"
#include "core/schema/validation_problem.h"

namespace outreach::replica::detail {
namespace {

using model::Json;
using schema::MergePolicy;

Status AddRegisterWrite(const schema::FieldSpec* spec, const std::string& field,
                        const model::RecordState& view, const Json& value, bool resolving,
                        model::Change& change) {
  model::RegisterWrite write{value, {}};
  const auto current = view.registers.find(field);
  if (current != view.registers.end()) {
    const auto& candidates = current->second.candidates;
    if (candidates.size() == 1 && candidates.front().value == value) return Status::Ok();
    const bool disputed = candidates.size() > 1 && spec != nullptr &&
                          (spec->policy == MergePolicy::kReview ||
                           spec->policy == MergePolicy::kImmutable);
    if (disputed && !resolving) {
      return FailedPreconditionError("field " + field +
                                     " is disputed; a team leader resolves it");
    }
    write.base = current->second.seen;  // everything this replica has seen of the field
  }
  change.registers[field] = std::move(write);
  return Status::Ok();
}

Status AddSetWrite(const std::string& field, const model::RecordState& view, const Json& value,
                   bool resolving, model::Change& change) {
  if (!value.is_array()) return InvalidArgumentError("set field " + field + " takes an array");
  std::map<std::string, Json> wanted;
  for (const Json& member : value) wanted.emplace(model::CanonicalJson(member), member);
  model::SetWrite write;
  const auto current = view.sets.find(field);
  const std::map<std::string, model::SetElement> none;
  const auto& elements = current == view.sets.end() ? none : current->second.elements;
  for (const auto& [key, member] : wanted) {
    const auto element = elements.find(key);
    const bool present = element != elements.end() && merge::SetElementPresent(element->second);
    if (present && resolving) {
      // Settling a removal that raced an addition the "keep" way: remove every addition seen and
      // add it again having seen every removal, so no race is left.
      std::vector<model::Version> observed;
      for (const auto& [add, seen] : element->second.adds) observed.push_back(add);
      write.removed.push_back(model::SetRemoval{element->second.value, std::move(observed)});
    } else if (present) {
      continue;
    }
    std::vector<model::Version> seen_removals;
    if (element != elements.end()) {
      for (const auto& [removal, observed] : element->second.removes) seen_removals.push_back(removal);
    }
    write.added.push_back(member);
    write.added_seen_removals.push_back(std::move(seen_removals));
  }
  for (const auto& [key, element] : elements) {
    if (wanted.count(key) != 0 || !merge::SetElementPresent(element)) continue;
    std::vector<model::Version> observed;
    for (const auto& [add, seen] : element.adds) observed.push_back(add);
    write.removed.push_back(model::SetRemoval{element.value, std::move(observed)});
  }
  if (!write.added.empty() || !write.removed.empty()) change.sets[field] = std::move(write);
  return Status::Ok();
}

Status AddAppendWrite(const std::string& field, const model::RecordState& view, const Json& value,
                      model::Change& change) {
  if (!value.is_array()) return InvalidArgumentError("append field " + field + " takes an array");
  const auto current = view.appends.find(field);
  for (const Json& entry : value) {
    if (!entry.is_object() || !entry.contains("id") || !entry["id"].is_string()) {
      return InvalidArgumentError("each entry of " + field + " needs an \"id\"");
    }
    // Entries are immutable: an id already used is an attempt to rewrite one.
    if (current != view.appends.end()) {
      for (const auto& [key, existing] : current->second.entries) {
        if (existing.value["id"] == entry["id"]) {
          return FailedPreconditionError("entry " + entry["id"].get<std::string>() + " of " + field +
                                         " exists; entries are never edited, add a new one");
        }
      }
    }
    change.appends[field].entries.push_back(entry);
  }
  if (current != view.appends.end() && !value.empty()) {
    // What the author had seen of the field: concurrent consent events are told apart by it.
    std::vector<model::Version>& seen = change.appends[field].seen;
    for (const auto& [key, existing] : current->second.entries) seen.push_back(existing.version);
    std::sort(seen.begin(), seen.end());
    seen.erase(std::unique(seen.begin(), seen.end()), seen.end());
  }
  return Status::Ok();
}

// The record as the user means it after an edit: the current values without the engine's
// derived fields, with `patch` laid over (append fields gain the given entries). Validated in
// user-input mode before anything is built, so one error lists every problem.
Json ValuesAfterPatch(const schema::RecordSchema& schema, const model::RecordState& view,
                      const Json& patch) {
  Json values = view.id.empty() ? Json::object() : merge::CurrentValues(schema, view);
  for (const schema::FieldSpec& spec : schema.fields()) {
    if (!spec.derived.empty()) values.erase(spec.name);
  }
  if (!patch.is_object()) return patch;
  for (const auto& [field, value] : patch.items()) {
    const schema::FieldSpec* spec = schema.Field(field);
    if (spec != nullptr && spec->policy == schema::MergePolicy::kAppend && value.is_array() &&
        values.contains(field) && values[field].is_array()) {
      for (const Json& entry : value) values[field].push_back(entry);
    } else {
      values[field] = value;
    }
  }
  return values;
}

// The problems of record `id` with `values` (from ValuesAfterPatch), as user input.
std::vector<schema::ValidationProblem> ProblemsOf(const schema::RecordSchema& schema,
                                                  const std::string& id, Json values) {
  values["id"] = id;
  return schema.Validate(std::move(values), schema::ValidationMode::kUserInput);
}

Status ValidateEdit(const schema::RecordSchema& schema, const model::RecordState& view,
                    const std::string& id, const Json& patch,
                    std::vector<schema::ValidationProblem>* problems_out) {
  Json values = ValuesAfterPatch(schema, view, patch);
  if (!values.is_object()) return InvalidArgumentError("values must be a JSON object");
  std::vector<schema::ValidationProblem> problems =
      ProblemsOf(schema, id, std::move(values));
  if (!problems.empty() && !view.id.empty()) {
    // Only what this edit adds. A merged record may already break a rule (concurrent edits,
    // kept by the server for review); a worker's note or new location must still save, as
    // the server takes it (sync-server/sync/README.md, "Rules across fields").
    problems = schema::NewProblems(
        ProblemsOf(schema, id, ValuesAfterPatch(schema, view, Json::object())), problems);
  }
  Status status = schema::ProblemsToStatus(problems);
  if (problems_out != nullptr) *problems_out = std::move(problems);
  return status;
}

}  // namespace

Status AddValidatedPatchWrites(const schema::RecordSchema& schema, const model::RecordState& view,
                               const Json& patch, bool resolving, model::Change& change,
                               std::vector<schema::ValidationProblem>* problems) {
  OUTREACH_RETURN_IF_ERROR(ValidateEdit(schema, view, change.record_id, patch, problems));
  return AddPatchWrites(schema, view, patch, resolving, change);
}

Json PatchOf(const model::RecordState& view, const model::Change& change) {
  Json patch = Json::object();
  for (const auto& [field, write] : change.registers) patch[field] = write.value;
  for (const auto& [field, write] : change.appends) patch[field] = write.entries;
  for (const auto& [field, write] : change.sets) {
    // A set write is a difference; as a patch it is the membership it leads to from `view`
    // (removals first: additions win, as in merge).
    std::map<std::string, Json> members;
    const auto current = view.sets.find(field);
    if (current != view.sets.end()) {
      for (const auto& [key, element] : current->second.elements) {
        if (merge::SetElementPresent(element)) members.emplace(key, element.value);
      }
    }
    for (const model::SetRemoval& removal : write.removed) {
      members.erase(model::CanonicalJson(removal.value));
    }
    for (const Json& added : write.added) members.emplace(model::CanonicalJson(added), added);
    Json list = Json::array();
    for (const auto& [key, member] : members) list.push_back(member);
    patch[field] = std::move(list);
  }
  return patch;
}

Status AddPatchWrites(const schema::RecordSchema& schema, const model::RecordState& view,
                      const Json& patch, bool resolving, model::Change& change) {
  if (!patch.is_object()) return InvalidArgumentError("values must be a JSON object");
  // What its author knew of the record's deletions: admission refuses edits of a record the
  // author knew was deleted, and keeps concurrent ones as delete_vs_edit conflicts.
  change.deletion_base = view.deletions_seen;
  for (const auto& [field, value] : patch.items()) {
    if (field == "id") continue;  // the record's id is its envelope, set at creation
    const schema::FieldSpec* spec = schema.Field(field);
    if (spec != nullptr && !spec->derived.empty()) {
      return InvalidArgumentError("field " + field + " is computed by the engine");
    }
    const MergePolicy policy = spec == nullptr ? MergePolicy::kLww : spec->policy;
    if (policy == MergePolicy::kSet) {
      OUTREACH_RETURN_IF_ERROR(AddSetWrite(field, view, value, resolving, change));
    } else if (policy == MergePolicy::kAppend) {
      OUTREACH_RETURN_IF_ERROR(AddAppendWrite(field, view, value, change));
    } else {
      OUTREACH_RETURN_IF_ERROR(AddRegisterWrite(spec, field, view, value, resolving, change));
    }
  }
  return Status::Ok();
}

void FillDeleteSeen(const model::RecordState& view, model::Change& change) {
  change.deletion_base = view.deletions_seen;
  for (const auto& [field, reg] : view.registers) change.delete_seen[field] = reg.seen;
  for (const auto& [field, append] : view.appends) {
    for (const auto& [entry_id, entry] : append.entries) {
      change.delete_seen_items.push_back(entry.version);
    }
  }
  for (const auto& [field, set] : view.sets) {
    for (const auto& [key, element] : set.elements) {
      for (const auto& [add, seen] : element.adds) change.delete_seen_items.push_back(add);
    }
  }
  std::sort(change.delete_seen_items.begin(), change.delete_seen_items.end());
  change.delete_seen_items.erase(
      std::unique(change.delete_seen_items.begin(), change.delete_seen_items.end()),
      change.delete_seen_items.end());
}

}  // namespace outreach::replica::detail
