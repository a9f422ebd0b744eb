#include "sync-server/sync/merged_rules.h"

#include <algorithm>
#include <string>

#include "core/merge/record_view.h"
#include "core/model/canonical_json.h"
#include "core/schema/record_schema.h"
#include "core/schema/schema_version.h"

namespace outreach::server {
namespace {

using model::Version;

bool Listed(const std::vector<Version>& seen, const Version& version) {
  return std::find(seen.begin(), seen.end(), version) != seen.end();
}

// What the author's device wrote before this change: in its own replica, so seen.
bool OwnEarlier(const model::Change& change, const Version& version) {
  return version.device_id == change.version.device_id && version.hlc < change.version.hlc;
}

bool SawRegisters(const model::RecordState& before, const model::Change& change) {
  for (const auto& [field, reg] : before.registers) {
    const auto write = change.registers.find(field);
    for (const model::Candidate& candidate : reg.candidates) {
      if (OwnEarlier(change, candidate.version)) continue;
      if (write != change.registers.end() && write->second.base.Covers(candidate.version)) continue;
      return false;
    }
  }
  return true;
}

bool SawAppends(const model::RecordState& before, const model::Change& change) {
  for (const auto& [field, append] : before.appends) {
    const auto write = change.appends.find(field);
    for (const auto& [key, entry] : append.entries) {
      if (OwnEarlier(change, entry.version)) continue;
      if (write != change.appends.end() && Listed(write->second.seen, entry.version)) continue;
      return false;
    }
  }
  return true;
}

// A set write says what its author saw of an element only where it touches that element: a
// removal names the additions it observed, an addition the removals it had seen.
bool SawSets(const model::RecordState& before, const model::Change& change) {
  for (const auto& [field, set] : before.sets) {
    const auto write = change.sets.find(field);
    for (const auto& [key, element] : set.elements) {
      std::vector<Version> seen;
      if (write != change.sets.end()) {
        for (const model::SetRemoval& removal : write->second.removed) {
          if (model::CanonicalJson(removal.value) != key) continue;
          seen.insert(seen.end(), removal.observed_adds.begin(), removal.observed_adds.end());
        }
        const auto& added = write->second.added;
        const auto& seen_removals = write->second.added_seen_removals;
        for (std::size_t i = 0; i < added.size() && i < seen_removals.size(); ++i) {
          if (model::CanonicalJson(added[i]) != key) continue;
          seen.insert(seen.end(), seen_removals[i].begin(), seen_removals[i].end());
        }
      }
      for (const auto& [add, observed] : element.adds) {
        if (!OwnEarlier(change, add) && !Listed(seen, add)) return false;
      }
      for (const auto& [removal, observed] : element.removes) {
        if (!OwnEarlier(change, removal) && !Listed(seen, removal)) return false;
      }
    }
  }
  return true;
}

}  // namespace

std::vector<schema::ValidationProblem> RuleProblems(const schema::RecordSchema& schema,
                                                    const model::RecordState& state) {
  if (merge::IsDeleted(state)) return {};
  return schema.Validate(merge::CurrentValues(schema, state), schema::ValidationMode::kStoredState);
}

bool RulesStillHold(const schema::RecordSchema& schema, int stored_conflicts,
                    std::string_view stored_schema_version, const model::Change& change,
                    merge::Outcome outcome) {
  if (stored_conflicts != 0 || outcome != merge::Outcome::kApplied ||
      change.kind != model::ChangeKind::kUpdate || change.registers.empty() ||
      !change.appends.empty() || !change.sets.empty() || !change.delete_seen.empty()) {
    return false;
  }
  // A count made under another version of the schema may miss rules this one has.
  if (stored_schema_version != schema::SchemaVersionString(schema.version())) return false;
  for (const auto& [field, write] : change.registers) {
    if (write.value.is_null() || !schema.RuleFree(field)) return false;
  }
  return true;
}

std::string ProblemField(const schema::ValidationProblem& problem) {
  const std::string& pointer = problem.pointer;
  if (pointer.size() < 2 || pointer[0] != '/') return "";
  const auto end = pointer.find('/', 1);
  return pointer.substr(1, end == std::string::npos ? std::string::npos : end - 1);
}

bool AuthorSawRecord(const model::RecordState& before, const model::Change& change) {
  for (const model::Deletion& deletion : before.deletions) {
    if (!OwnEarlier(change, deletion.version) && !change.deletion_base.Covers(deletion.version)) {
      return false;
    }
  }
  return SawRegisters(before, change) && SawAppends(before, change) && SawSets(before, change);
}

}  // namespace outreach::server
