// JoinContains: whether a pulled copy already holds all of the device's (the join would be the
// pulled copy exactly), answered without making the join. A wrong "true" would let a device
// drop what its copy had; each case is checked against the join itself, the oracle, and so is
// protocol::PackedStateContains, the same answer read from the two states' packed bytes.
#include <gtest/gtest.h>

#include <string>

#include "core/merge/join.h"
#include "core/protocol/binary_codec.h"

namespace outreach::merge {
namespace {

using model::Candidate;
using model::Json;
using model::RecordState;
using model::Version;

Version At(const char* device, std::int64_t ms) { return Version{model::Hlc{ms, 0}, device}; }

// A record with one register written by `device` at `ms`.
RecordState WithPlace(const char* device, std::int64_t ms, const char* place) {
  RecordState state;
  state.id = "r1";
  state.collection = "contact";
  state.team = "north";
  state.schema_version = "1.0";
  model::RegisterState& reg = state.registers["place"];
  reg.candidates.push_back(Candidate{place, At(device, ms), "ana"});
  reg.seen.Add(At(device, ms));
  return state;
}

// The device's copy (mine) against a newer one from the server (theirs).
struct JoinContainsTest : ::testing::Test {
  RecordState mine = WithPlace("a", 10, "park");
  RecordState theirs = WithPlace("b", 20, "station");

  void SetUp() override {
    theirs.registers["place"].seen.Add(At("a", 10));  // theirs superseded mine's write
  }
  // The answer, checked against the join itself.
  bool Contains() {
    const bool contains = JoinContains(theirs, mine);
    EXPECT_EQ(contains, JoinStates(mine, theirs) == theirs) << "disagrees with the join";
    // From the packed bytes: the same answer, except that states with deletions are left to
    // the decoded check (false).
    const bool packed = protocol::PackedStateContains(protocol::EncodeRecordState(theirs),
                                                      protocol::EncodeRecordState(mine));
    const bool deletions = !mine.deletions.empty() || !mine.deletions_seen.empty() ||
                           !theirs.deletions.empty() || !theirs.deletions_seen.empty();
    EXPECT_EQ(packed, contains && !deletions) << "the packed reading disagrees";
    return contains;
  }
};

TEST_F(JoinContainsTest, ACopyThatSupersededOrHoldsEverythingContainsIt) {
  EXPECT_TRUE(Contains());
  theirs.registers["nick"].candidates.push_back(Candidate{"Sky", At("b", 21), "ben"});
  theirs.registers["nick"].seen.Add(At("b", 21));
  EXPECT_TRUE(Contains()) << "a field only theirs has";
  mine = theirs;
  EXPECT_TRUE(Contains()) << "the same state";
  mine = RecordState{};
  EXPECT_TRUE(Contains()) << "nothing held";
}

TEST_F(JoinContainsTest, AWriteTheirsHasNotSeenIsNotContained) {
  theirs.registers["place"].seen = {};
  theirs.registers["place"].seen.Add(At("b", 20));
  EXPECT_FALSE(Contains());
}

TEST_F(JoinContainsTest, AFieldOnlyMineHasIsNotContained) {
  mine.registers["nick"].candidates.push_back(Candidate{"Sky", At("a", 11), "ana"});
  mine.registers["nick"].seen.Add(At("a", 11));
  EXPECT_FALSE(Contains());
}

TEST_F(JoinContainsTest, SeenVersionsTheirsLacksAreNotContained) {
  // Mine has seen a write of a device theirs never saw, though its candidate is theirs'.
  mine = theirs;
  mine.registers["place"].seen.Add(At("c", 5));
  EXPECT_FALSE(Contains());
}

TEST_F(JoinContainsTest, TheSameVersionWithAnotherValueIsNotContained) {
  mine = theirs;
  mine.registers["place"].candidates[0].value = "forged";
  EXPECT_FALSE(Contains());
}

TEST_F(JoinContainsTest, ACandidateMineHasSupersededIsNotContained) {
  // Theirs keeps park and station side by side; mine has seen park and kept only station.
  mine = WithPlace("b", 20, "station");
  mine.registers["place"].seen.Add(At("a", 10));
  model::RegisterState& reg = theirs.registers["place"];
  reg.candidates.insert(reg.candidates.begin(), Candidate{"park", At("a", 10), "ana"});
  EXPECT_FALSE(Contains()) << "the join drops park";
  reg.candidates.erase(reg.candidates.begin());
  EXPECT_TRUE(Contains());
}

TEST_F(JoinContainsTest, WhatAnEntryOrAnElementHadSeenMustBeTheirsAlike) {
  mine = theirs;
  Candidate entry{Json{{"id", "c1"}, {"kind", "given"}}, At("a", 12), "ana"};
  for (RecordState* state : {&mine, &theirs}) {
    state->appends["consent"].entries.emplace("c1@12.0.a", entry);
    state->appends["consent"].seen["c1@12.0.a"] = {At("b", 11)};
  }
  EXPECT_TRUE(Contains());
  theirs.appends["consent"].seen["c1@12.0.a"] = {};
  EXPECT_FALSE(Contains()) << "seen otherwise";
  theirs.appends["consent"].seen.clear();
  EXPECT_FALSE(Contains()) << "seen list missing";

  mine = theirs = WithPlace("b", 20, "station");
  for (RecordState* state : {&mine, &theirs}) {
    model::SetElement& element = state->sets["tags"].elements["\"a\""];
    element.value = "a";
    element.adds[At("b", 22)] = {At("a", 21)};
  }
  EXPECT_TRUE(Contains());
  theirs.sets["tags"].elements["\"a\""].adds[At("b", 22)] = {};
  EXPECT_FALSE(Contains()) << "an addition that had seen otherwise";
}

TEST_F(JoinContainsTest, CandidatesOutOfJoinOrderAreNotContained) {
  model::RegisterState& reg = theirs.registers["place"];
  reg.candidates.insert(reg.candidates.begin(), Candidate{"bus", At("c", 30), "cy"});
  reg.seen.Add(At("c", 30));
  EXPECT_FALSE(Contains()) << "the join would sort them";
}

TEST_F(JoinContainsTest, OtherNamesOrAnOlderSchemaAreNotContained) {
  mine.team = "south";
  EXPECT_FALSE(Contains());
  mine.team = theirs.team;
  mine.schema_version = "1.1";
  EXPECT_FALSE(Contains()) << "the join keeps the higher version, mine";
  mine.schema_version = "0.9";
  EXPECT_TRUE(Contains()) << "theirs is higher";
}

TEST_F(JoinContainsTest, EntriesElementsAndDeletionsMustAllBeTheirs) {
  mine = theirs;
  Candidate entry{Json{{"id", "e1"}}, At("a", 12), "ana"};
  theirs.appends["notes"].entries.emplace("e1@12.0.a", entry);
  mine.appends["notes"].entries.emplace("e1@12.0.a", entry);
  EXPECT_TRUE(Contains());
  mine.appends["notes"].entries["e1@12.0.a"].value = Json{{"id", "e1"}, {"text", "x"}};
  EXPECT_FALSE(Contains()) << "an entry's other value";
  mine = theirs;
  theirs.sets["tags"].elements["\"a\""].value = "a";
  theirs.sets["tags"].elements["\"a\""].adds[At("b", 22)] = {};
  mine.sets["tags"].elements["\"a\""].value = "a";
  EXPECT_TRUE(Contains());
  mine.sets["tags"].elements["\"a\""].removes[At("a", 23)] = {};
  EXPECT_FALSE(Contains()) << "a removal theirs lacks";
  mine = theirs;
  theirs.sets["empty"];
  EXPECT_FALSE(Contains()) << "the join drops a set field with no elements";
  mine.sets["empty"];
  EXPECT_TRUE(Contains());
  mine = theirs;
  model::Deletion deletion{At("a", 24), "ana", {}, {}};
  mine.deletions.push_back(deletion);
  mine.deletions_seen.Add(deletion.version);
  EXPECT_FALSE(Contains()) << "a deletion theirs has not seen";
  theirs.deletions_seen.Add(deletion.version);
  EXPECT_TRUE(Contains()) << "a deletion theirs has seen and undone";
}

}  // namespace
}  // namespace outreach::merge
