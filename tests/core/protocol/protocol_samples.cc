#include "protocol_samples.h"

#include <string>

#include "core/model/canonical_json.h"

namespace outreach::protocol::testing {
namespace {

model::Version V(const std::string& device, std::int64_t ms, std::uint32_t counter = 0) {
  return model::Version{model::Hlc{ms, counter}, device};
}

std::string RecordId(int n) {
  char id[40];
  std::snprintf(id, sizeof id, "0190a6c2-0000-7000-8000-%012d", n);
  return id;
}

}  // namespace

model::Change SampleChange(int n) {
  model::Change change;
  change.change_id = "0190a6c2-1111-7000-8000-" + std::to_string(100000000000 + n);
  change.record_id = RecordId(n);
  change.collection = "contact";
  change.team = "team-a";
  change.schema_version = "1.0";
  change.kind = model::ChangeKind::kUpdate;
  change.version = V("device-a", 1'760'000'000'000 + n, 3);
  change.author = "user-1";
  change.author_role = "worker";
  change.reason = "typo in the place name";
  change.registers["place"] = {model::Json("Victoria Park, by the gates"),
                               model::VersionVector()};
  change.registers["place"].base.Add(V("device-b", 1'759'000'000'000));
  change.registers["risk"] = {model::Json("high"), {}};
  change.appends["notes"] = {{model::Json{{"id", "n-1"}, {"text", "Seen with two adults"}}},
                             {V("device-b", 1'759'000'000'001)}};
  model::SetWrite tags;
  tags.added = {model::Json("car-park"), model::Json(7)};
  tags.added_seen_removals = {{V("device-c", 5)}, {}};
  tags.removed = {{model::Json("park"), {V("device-a", 9, 1)}}};
  change.sets["tags"] = tags;
  change.delete_seen["place"].Add(V("device-b", 4));
  change.delete_seen_items = {V("device-a", 1), V("device-b", 2)};
  change.deletion_base.Add(V("device-c", 3));
  return change;
}

model::RecordState SampleRecord(int n) {
  model::RecordState state;
  state.id = RecordId(n);
  state.collection = "contact";
  state.team = "team-a";
  state.schema_version = "1.2";
  auto& risk = state.registers["risk"];
  risk.candidates = {{model::Json("medium"), V("device-a", 100 + n), "user-1"},
                     {model::Json("high"), V("device-b", 101 + n), "user-2"}};
  risk.seen.Add(V("device-a", 100 + n));
  risk.seen.Add(V("device-b", 101 + n));
  state.registers["count"].candidates = {{model::Json(3.5), V("device-a", 7), "user-1"}};
  const model::Json entry{{"id", "e-" + std::to_string(n)}, {"kind", "given"}, {"n", {1, 2}}};
  const model::Version entry_version = V("device-c", 200);
  const std::string key = model::AppendKey("e-" + std::to_string(n), entry_version);
  state.appends["consent_events"].entries[key] = {entry, entry_version, "user-3"};
  state.appends["consent_events"].seen[key] = {V("device-a", 1), V("device-b", 2)};
  model::SetElement element;
  element.value = model::Json("car-park");
  element.adds[V("device-a", 10)] = {V("device-b", 9)};
  element.removes[V("device-b", 11)] = {V("device-a", 10)};
  state.sets["tags"].elements[model::CanonicalJson(element.value)] = element;
  model::Deletion deletion{V("device-d", 300), "user-4", {}, {V("device-a", 10)}};
  deletion.seen["risk"].Add(V("device-a", 100 + n));
  state.deletions = {deletion};
  state.deletions_seen.Add(V("device-d", 300));
  return state;
}

SyncRequest SampleRequest(int changes) {
  SyncRequest request;
  request.cursor = "s42";
  request.page_size = 500;
  request.schemas_hash = "def456";
  for (int i = 0; i < changes; ++i) request.changes.push_back(SampleChange(i));
  return request;
}

SyncResponse SampleResponse(int records) {
  SyncResponse response;
  response.results = {{"c-1", Outcome::kApplied, ""},
                      {"c-2", Outcome::kConflict, ""},
                      {"c-3", Outcome::kRejected, "failed_precondition: field 'imm' is immutable"}};
  for (int i = 0; i < records; ++i) response.records.push_back(SampleRecord(i));
  response.cursor = "s1042";
  response.has_more = true;
  response.server_time_ms = 1'760'000'123'456;
  response.directives.schemas_changed = true;
  response.schemas_hash = "abc123";
  return response;
}

}  // namespace outreach::protocol::testing
