#include "sync-server/sync/change_checks.h"

#include <set>

#include "core/model/uuid.h"
#include "core/schema/record_schema.h"
#include "core/schema/schema_registry.h"
#include "core/schema/schema_version.h"
#include "core/schema/validation_problem.h"
#include "sync-server/sync/merged_rules.h"

namespace outreach::server {
namespace {

using model::Json;

// The values a change writes, as a record's values object would hold them.
Json WrittenValues(const model::Change& change) {
  Json values = Json::object();
  values["id"] = change.record_id;
  for (const auto& [field, write] : change.registers) values[field] = write.value;
  for (const auto& [field, write] : change.appends) values[field] = write.entries;
  for (const auto& [field, write] : change.sets) values[field] = write.added;
  return values;
}

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
                                          const model::Change& change) {
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
  std::set<std::string, std::less<>> written{"id"};
  for (const auto& [field, write] : change.registers) written.insert(field);
  for (const auto& [field, write] : change.appends) written.insert(field);
  for (const auto& [field, write] : change.sets) written.insert(field);
  std::vector<schema::ValidationProblem> problems = schema->Validate(
      WrittenValues(change), schema::ValidationMode::kUserInput, partial ? &written : nullptr);
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
