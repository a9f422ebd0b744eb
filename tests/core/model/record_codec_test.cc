// RecordState and Change survive their JSON form unchanged; malformed input is a typed error.
#include "core/model/record_codec.h"

#include <gtest/gtest.h>

#include "tests/testing/status_matchers.h"

namespace outreach::model {
namespace {

using ::outreach::testing::StatusIs;

Version V(const std::string& device, std::int64_t ms, std::uint32_t counter = 0) {
  return Version{Hlc{ms, counter}, device};
}

RecordState SampleRecord() {
  RecordState state;
  state.id = "0190a6c2-0000-7000-8000-000000000001";
  state.collection = "contact";
  state.team = "team-a";
  state.schema_version = "1.0";
  RegisterState& place = state.registers["location_text"];
  place.candidates = {Candidate{"park", V("a", 10), "user-a"},
                      Candidate{"station", V("b", 11, 2), "user-b"}};
  place.seen.Add(V("a", 10));
  place.seen.Add(V("b", 11, 2));
  state.appends["summary"].entries[AppendKey("e1", V("a", 12))] = Candidate{Json{{"id", "e1"}, {"text", "ok"}}, V("a", 12), "user-a"};
  SetElement& element = state.sets["indicators_seen"].elements["\"cars\""];
  element.value = "cars";
  element.adds[V("a", 13)] = {};
  element.removes[V("b", 14)] = {V("a", 13)};
  state.deletions.push_back(Deletion{V("c", 20), "user-c", {{"location_text", place.seen}}, {V("a", 12)}});
  state.deletions_seen.Add(V("c", 20));
  return state;
}

TEST(RecordCodecTest, RecordRoundTrips) {
  const RecordState state = SampleRecord();
  auto decoded = RecordFromJson(Json::parse(RecordToJson(state).dump()));
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(*decoded, state);
  EXPECT_EQ(CanonicalRecord(*decoded), CanonicalRecord(state));
}

TEST(RecordCodecTest, ChangeRoundTrips) {
  Change change;
  change.change_id = "0190a6c2-0000-7000-8000-00000000000a";
  change.record_id = "0190a6c2-0000-7000-8000-000000000001";
  change.collection = "contact";
  change.team = "team-a";
  change.schema_version = "1.0";
  change.kind = ChangeKind::kDelete;
  change.version = V("a", 30, 1);
  change.author = "user-a";
  change.author_role = "team_leader";
  change.reason = "duplicate";
  change.delete_seen["location_text"].Add(V("b", 11));
  change.delete_seen_items = {V("a", 12)};
  Change update = change;
  update.kind = ChangeKind::kUpdate;
  update.delete_seen.clear();
  update.delete_seen_items.clear();
  update.registers["location_text"] = RegisterWrite{"car park", {}};
  update.registers["location_text"].base.Add(V("b", 11));
  update.appends["summary"].entries = {Json{{"id", "e2"}, {"text", "fine"}}};
  update.sets["indicators_seen"] = SetWrite{{"cars"}, {{V("b", 14)}}, {SetRemoval{"money", {V("a", 3)}}}};
  for (const Change& original : {change, update}) {
    auto decoded = ChangeFromJson(Json::parse(ChangeToJson(original).dump()));
    ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
    EXPECT_EQ(*decoded, original);
  }
}

TEST(RecordCodecTest, MalformedInputIsInvalidArgument) {
  EXPECT_THAT(RecordFromJson(Json::parse("[1,2]")), StatusIs(StatusCode::kInvalidArgument));
  Json record = RecordToJson(SampleRecord());
  record["registers"]["location_text"]["candidates"][0]["ver"] = "yesterday";
  EXPECT_THAT(RecordFromJson(record), StatusIs(StatusCode::kInvalidArgument));
  Json change = Json{{"change_id", "x"}};
  EXPECT_THAT(ChangeFromJson(change), StatusIs(StatusCode::kInvalidArgument));
}

TEST(RecordCodecTest, HostileInputIsRefusedNotCrashedOn) {
  // Nesting far past any record: refused before anything recursive touches it.
  // (Built as text: copying such a value in the test would itself recurse.)
  const std::string deep = std::string(100'000, '[') + "1" + std::string(100'000, ']');
  const Json change = Json::parse(
      R"({"change_id":"c","record_id":"r","collection":"contact","team":"t",)"
      R"("schema_version":"1.0","kind":2,"version":[1,0,"d"],"author":"u",)"
      R"("registers":{"location_text":{"value":)" + deep + R"(,"base":{}}}})");
  EXPECT_THAT(ChangeFromJson(change), StatusIs(StatusCode::kInvalidArgument));
  // A counter that does not fit, a negative clock, a kind out of range.
  Json record = RecordToJson(SampleRecord());
  record["registers"]["location_text"]["candidates"][0]["ver"] = Json::array({10, 4294967296ull, "a"});
  EXPECT_THAT(RecordFromJson(record), StatusIs(StatusCode::kInvalidArgument));
  record = RecordToJson(SampleRecord());
  record["registers"]["location_text"]["candidates"][0]["ver"] = Json::array({-5, 0, "a"});
  EXPECT_THAT(RecordFromJson(record), StatusIs(StatusCode::kInvalidArgument));
  // An append entry filed under another key, a set element under a non-canonical key.
  record = RecordToJson(SampleRecord());
  const Json entry = record["appends"]["summary"].begin().value();
  record["appends"]["summary"] = Json{{"forged", entry}};
  EXPECT_THAT(RecordFromJson(record), StatusIs(StatusCode::kInvalidArgument));
  record = RecordToJson(SampleRecord());
  record["sets"]["indicators_seen"] = Json{{"cars", record["sets"]["indicators_seen"]["\"cars\""]}};
  EXPECT_THAT(RecordFromJson(record), StatusIs(StatusCode::kInvalidArgument));
}

TEST(VersionVectorTest, CoversWhatItHasSeen) {
  VersionVector vector;
  vector.Add(V("a", 10, 2));
  EXPECT_TRUE(vector.Covers(V("a", 10, 2)));
  EXPECT_TRUE(vector.Covers(V("a", 9, 7)));
  EXPECT_FALSE(vector.Covers(V("a", 10, 3)));
  EXPECT_FALSE(vector.Covers(V("b", 1)));
  VersionVector other;
  other.Add(V("b", 5));
  vector.Merge(other);
  EXPECT_TRUE(vector.CoversAll(other));
  EXPECT_FALSE(other.CoversAll(vector));
}

}  // namespace
}  // namespace outreach::model
