#include "sync-server/sync/change_checks.h"

#include <algorithm>
#include <cassert>
#include <set>
#include <string_view>
#include <utility>
#include <vector>

#include "core/model/uuid.h"
#include "core/schema/record_schema.h"
#include "core/schema/schema_registry.h"
#include "core/schema/schema_version.h"
#include "core/schema/validation_problem.h"
#include "sync-server/sync/merged_rules.h"

namespace outreach::server {
namespace {

using model::Json;

// The values a change writes, as a record's values object holds them, lent by the change for
// its validation: swapped in, and back when this goes. Copying a contact's values and
// freeing the copy cost about a quarter as much as validating them (callgrind, a push of
// creates). The object is the one copying made: the record's id, then the registers, the
// appends and the sets, a later write of a name replacing an earlier one. Copied instead of
// lent: a name written more than once or named "id" (one write replaces another), and a
// derived field (the validation takes written derived fields out).
class LentValues {
 public:
  LentValues() = default;
  LentValues(const LentValues&) = delete;
  LentValues& operator=(const LentValues&) = delete;
  ~LentValues() {
    // The validation keeps every member it is given but derived ones, never lent; the
    // iterators of a map stay valid while other members come and go.
    for (const auto& [member, value] : registers_) *value = std::move(member->second);
    for (const auto& [member, list] : lists_) {
      auto* array = member->second.get_ptr<Json::array_t*>();
      assert(array != nullptr);
      if (array != nullptr) *list = std::move(*array);
    }
  }

  // Called once, after construction: whatever is lent before an exception is given back.
  void Borrow(const schema::RecordSchema& schema, model::Change& change) {
    registers_.reserve(change.registers.size());
    lists_.reserve(change.appends.size() + change.sets.size());
    Json::object_t& object = values_.get_ref<Json::object_t&>();
    object["id"] = change.record_id;
    // Names written by two of the change's maps (rare): found once, a lookup or two a list
    // field, rather than three lookups for every field (~1.5% of a push's instructions).
    std::vector<std::string_view> written_twice;
    for (const auto& [field, write] : change.appends) {
      if (change.registers.count(field) + change.sets.count(field) > 0) {
        written_twice.push_back(field);
      }
    }
    for (const auto& [field, write] : change.sets) {
      if (change.registers.count(field) > 0) written_twice.push_back(field);
    }
    const auto lendable = [&](const std::string& field) {
      if (field == "id" || std::find(written_twice.begin(), written_twice.end(), field) !=
                               written_twice.end()) {
        return false;
      }
      const schema::FieldSpec* spec = schema.Field(field);
      return spec == nullptr || spec->derived.empty();
    };
    for (auto& [field, write] : change.registers) {
      if (!lendable(field)) {
        object[field] = write.value;
        continue;
      }
      // Recorded before the value moves: swaps cannot throw, so nothing lent goes unrecorded.
      const auto member = object.try_emplace(field).first;
      registers_.emplace_back(member, &write.value);
      member->second.swap(write.value);
    }
    const auto add_list = [&](const std::string& field, std::vector<Json>& list) {
      if (!lendable(field)) {
        object[field] = list;
        return;
      }
      const auto member = object.try_emplace(field, Json::array()).first;
      lists_.emplace_back(member, &list);
      member->second.get_ref<Json::array_t&>().swap(list);
    };
    for (auto& [field, write] : change.appends) add_list(field, write.entries);
    for (auto& [field, write] : change.sets) add_list(field, write.added);
  }

  Json& values() { return values_; }

 private:
  Json values_ = Json::object();
  std::vector<std::pair<Json::object_t::iterator, Json*>> registers_;
  std::vector<std::pair<Json::object_t::iterator, std::vector<Json>*>> lists_;
};

}  // namespace

std::optional<std::string> ScopeViolation(const Device& device, const model::Change& change) {
  if (change.team != device.user.team_id) {
    return "change " + change.change_id + " is for another team";
  }
  if (change.author != device.user.id || change.author_role != device.user.role ||
      change.version.device_id != device.id) {
    return "change " + change.change_id + " is signed as another user, role or device";
  }
  return std::nullopt;
}

std::optional<std::string> ContentProblem(const schema::SchemaRegistry& schemas,
                                          model::Change& change) {
  if (!model::IsUuid(change.change_id) || !model::IsUuid(change.record_id)) {
    return "invalid_argument: change and record ids must be UUIDs";
  }
  const schema::RecordSchema* schema = schemas.Find(change.collection);
  if (schema == nullptr) return "invalid_argument: unknown collection " + change.collection;
  const auto version = schema::ParseSchemaVersion(change.schema_version);
  if (!version || !schema->AcceptsVersion(*version)) {
    return "failed_precondition: schema version " + change.schema_version + " of " +
           change.collection + " is not accepted (server has " +
           schema::SchemaVersionString(schema->version()) + ")";
  }
  if (change.kind == model::ChangeKind::kDelete || change.kind == model::ChangeKind::kRestore) {
    return std::nullopt;
  }
  // An update writes some fields: only their problems count (the rest of the record is
  // the stored one's, checked with the merged record's rules).
  const bool partial = change.kind != model::ChangeKind::kCreate;
  std::set<std::string, std::less<>> written;
  if (partial) {
    written.insert("id");
    for (const auto& [field, write] : change.registers) written.insert(field);
    for (const auto& [field, write] : change.appends) written.insert(field);
    for (const auto& [field, write] : change.sets) written.insert(field);
  }
  std::vector<schema::ValidationProblem> problems;
  {
    LentValues lent;
    lent.Borrow(*schema, change);
    // Validated in place: nothing is moved out of the object (record_schema.h).
    problems = schema->Validate(std::move(lent.values()), schema::ValidationMode::kUserInput,
                                partial ? &written : nullptr);
  }
  if (partial) {
    // Problems of fields not written are the stored record's, checked on the merged record;
    // values the validator could not check at all stay refused: they are not known to be
    // valid (RulesStillHold relies on it).
    std::erase_if(problems, [&](const schema::ValidationProblem& problem) {
      return written.count(ProblemField(problem)) == 0 && !schema::IsUncheckedProblem(problem);
    });
  }
  if (problems.empty()) return std::nullopt;
  return schema::ProblemsToStatus(problems, "change " + change.change_id).ToString();
}

}  // namespace outreach::server
