// Merge, one policy at a time (DESIGN.md section 3), plus idempotence and order independence
// on small fixed scenarios. Random scenarios live in merge_property_test.cc.
#include "core/merge/merge.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "core/merge/admission.h"
#include "core/merge/record_view.h"
#include "core/model/record_codec.h"
#include "tests/core/merge/merge_test_util.h"
#include "tests/testing/status_matchers.h"

namespace outreach::merge {
namespace {

using model::Change;
using model::ChangeKind;
using model::Json;
using testing::Base;
using testing::NewChange;
using testing::SetField;
using testing::V;
using ::outreach::testing::IsOk;
using ::outreach::testing::StatusIs;

class MergeTest : public testing::ProbeSchemaTest {
 protected:
  MergeOutput Apply(const model::RecordState& state, const Change& change) {
    return Merge(*schema_, state, change);
  }
};

TEST_F(MergeTest, ReviewEditThatSawEveryCandidateReplacesThem) {
  auto state = testing::ApplyAll(*schema_, {SetField(V("a", 10), "place", "park")});
  auto out = Apply(state, SetField(V("b", 20), "place", "car park", Base({V("a", 10)})));
  EXPECT_EQ(out.result.outcome, Outcome::kApplied);
  EXPECT_EQ(Values(out.state)["place"], "car park");
  EXPECT_TRUE(Conflicts(*schema_, out.state).empty());
}

TEST_F(MergeTest, ConcurrentReviewEditsAreDisputedWithEveryCandidate) {
  auto state = testing::ApplyAll(*schema_, {SetField(V("a", 10), "risk", "low")});
  state = Apply(state, SetField(V("a", 30), "risk", "medium", Base({V("a", 10)}))).state;
  auto out = Apply(state, SetField(V("b", 20), "risk", "high", Base({V("a", 10)})));
  EXPECT_EQ(out.result.outcome, Outcome::kConflict);
  ASSERT_EQ(out.conflicts.size(), 1u);
  const Conflict& conflict = out.conflicts[0];
  EXPECT_EQ(conflict.kind, ConflictKind::kReview);
  EXPECT_EQ(conflict.field, "risk");
  ASSERT_EQ(conflict.candidates.size(), 2u);
  EXPECT_EQ(conflict.candidates[0].author, "user-b");
  EXPECT_EQ(conflict.candidates[1].author, "user-a");
  // Nothing chosen by clock: the provisional value of an ordered enum is the higher one,
  // although medium was written later.
  EXPECT_EQ(conflict.provisional, "high");
  EXPECT_EQ(Values(out.state)["risk"], "high");
}

TEST_F(MergeTest, UnorderedReviewFieldIsProvisionallyTheHigherVersion) {
  auto state = testing::ApplyAll(
      *schema_, {SetField(V("a", 10), "place", "park"), SetField(V("b", 11), "place", "station")});
  EXPECT_EQ(Values(state)["place"], "station");
  ASSERT_EQ(Conflicts(*schema_, state).size(), 1u);
}

TEST_F(MergeTest, ResolutionCoveringEveryCandidateClosesTheConflict) {
  auto state = testing::ApplyAll(*schema_, {SetField(V("a", 10), "risk", "low"),
                                            SetField(V("b", 11), "risk", "high")});
  Change resolution = SetField(V("leader", 50), "risk", "medium", Base({V("a", 10), V("b", 11)}));
  resolution.author_role = "team_leader";
  auto out = Apply(state, resolution);
  EXPECT_EQ(out.result.outcome, Outcome::kApplied);
  EXPECT_TRUE(Conflicts(*schema_, out.state).empty());
  EXPECT_EQ(Values(out.state)["risk"], "medium");
}

TEST_F(MergeTest, ConcurrentLwwResolvesToHigherVersionAndKeepsTheOtherVisible) {
  auto state = testing::ApplyAll(*schema_, {SetField(V("a", 10), "nick", "Skye")});
  auto out = Apply(state, SetField(V("b", 12), "nick", "Sky"));
  EXPECT_EQ(out.result.outcome, Outcome::kMerged);
  EXPECT_EQ(Values(out.state)["nick"], "Sky");
  ASSERT_EQ(out.conflicts.size(), 1u);
  EXPECT_EQ(out.conflicts[0].kind, ConflictKind::kAutoResolved);
  EXPECT_FALSE(out.conflicts[0].NeedsReview());
  EXPECT_EQ(out.conflicts[0].candidates[0].value, "Skye");
}

TEST_F(MergeTest, ForwardFieldTakesTheFurtherStateWhatever_the_versions) {
  auto state = testing::ApplyAll(*schema_, {SetField(V("a", 10), "status", "draft")});
  auto reviewed = SetField(V("a", 20), "status", "reviewed", Base({V("a", 10)}));
  auto submitted = SetField(V("b", 30), "status", "submitted", Base({V("a", 10)}));
  auto out = Apply(Apply(state, reviewed).state, submitted);
  EXPECT_EQ(out.result.outcome, Outcome::kMerged);
  EXPECT_EQ(Values(out.state)["status"], "reviewed");
  // The other state stays visible, asking no one.
  const auto conflicts = Conflicts(*schema_, out.state);
  ASSERT_EQ(conflicts.size(), 1u);
  EXPECT_EQ(conflicts[0].kind, ConflictKind::kAutoResolved);
  EXPECT_FALSE(conflicts[0].NeedsReview());
}

TEST_F(MergeTest, ForwardFieldGoesBackOnlyForATeamLeaderWithAReason) {
  auto state = testing::ApplyAll(*schema_, {SetField(V("a", 10), "status", "reviewed")});
  Change back = SetField(V("a", 20), "status", "draft", Base({V("a", 10)}));
  EXPECT_THAT(CheckAdmission(*schema_, state, back), StatusIs(StatusCode::kFailedPrecondition));
  back.author_role = "team_leader";
  EXPECT_THAT(CheckAdmission(*schema_, state, back), StatusIs(StatusCode::kFailedPrecondition));
  back.reason = "sent for review by mistake";
  EXPECT_THAT(CheckAdmission(*schema_, state, back), IsOk());
  EXPECT_EQ(Values(Apply(state, back).state)["status"], "draft");
  // Moving forward needs nobody.
  EXPECT_THAT(CheckAdmission(*schema_, state,
                             SetField(V("a", 30), "status", "closed", Base({V("a", 10)}))),
              IsOk());
}

TEST_F(MergeTest, ImmutableFieldCannotBeOverwritten) {
  auto state = testing::ApplyAll(*schema_, {SetField(V("a", 10), "imm", "first")});
  auto out = Apply(state, SetField(V("b", 20), "imm", "second", Base({V("a", 10)})));
  EXPECT_EQ(out.result.outcome, Outcome::kRejected);
  EXPECT_EQ(Values(out.state)["imm"], "first");
  EXPECT_THAT(CheckAdmission(*schema_, state, SetField(V("b", 20), "imm", "second")),
              StatusIs(StatusCode::kFailedPrecondition));
}

TEST_F(MergeTest, ImmutableFieldSetConcurrentlyTwiceIsAConflict) {
  auto state = testing::ApplyAll(
      *schema_, {SetField(V("a", 10), "imm", "first"), SetField(V("b", 11), "imm", "other")});
  const auto conflicts = Conflicts(*schema_, state);
  ASSERT_EQ(conflicts.size(), 1u);
  EXPECT_EQ(conflicts[0].kind, ConflictKind::kImmutable);
}

Change Append(const model::Version& version, const std::string& entry_id, const std::string& text) {
  Change change = NewChange(version);
  change.appends["notes"].entries.push_back(Json{{"id", entry_id}, {"text", text}});
  return change;
}

TEST_F(MergeTest, AppendIsAUnionAndNeverConflicts) {
  auto state = testing::ApplyAll(*schema_, {Append(V("a", 10), "e1", "seen at the station"),
                                            Append(V("b", 11), "e2", "said she was fine")});
  const Json values = Values(state);
  ASSERT_EQ(values["notes"].size(), 2u);
  EXPECT_EQ(values["notes"][0]["id"], "e1");
  EXPECT_TRUE(Conflicts(*schema_, state).empty());
  // An entry without an id is rejected, and nothing of the change is applied.
  Change bad = Append(V("a", 20), "e3", "x");
  bad.appends["notes"].entries.push_back(Json{{"text", "no id"}});
  EXPECT_EQ(Apply(state, bad).result.outcome, Outcome::kRejected);
}

Change SetOp(const model::Version& version, std::vector<Json> added,
             std::vector<model::SetRemoval> removed = {},
             std::vector<std::vector<model::Version>> seen_removals = {}) {
  Change change = NewChange(version);
  change.sets["tags"] = model::SetWrite{std::move(added), std::move(seen_removals), std::move(removed)};
  return change;
}

TEST_F(MergeTest, SetRemovalThatSawTheAdditionRemovesIt) {
  auto state = testing::ApplyAll(
      *schema_, {SetOp(V("a", 10), {"hotel"}), SetOp(V("b", 20), {}, {{"hotel", {V("a", 10)}}})});
  EXPECT_EQ(Values(state)["tags"], Json::array());
  EXPECT_TRUE(Conflicts(*schema_, state).empty());
}

TEST_F(MergeTest, SetRemovalRacingAnAdditionKeepsTheElementForReview) {
  auto state = testing::ApplyAll(*schema_, {SetOp(V("a", 10), {"hotel"}),
                                            SetOp(V("c", 15), {"hotel"}),  // concurrent re-add
                                            SetOp(V("b", 20), {}, {{"hotel", {V("a", 10)}}})});
  EXPECT_EQ(Values(state)["tags"], Json::array({"hotel"}));
  const auto conflicts = Conflicts(*schema_, state);
  ASSERT_EQ(conflicts.size(), 1u);
  EXPECT_EQ(conflicts[0].kind, ConflictKind::kSetRemoveVsAdd);
  // A deliberate re-add by someone who saw the removal is not a conflict.
  auto keep = SetOp(V("leader", 30), {"hotel"}, {{"hotel", {V("c", 15)}}}, {{V("b", 20)}});
  auto resolved = Apply(state, keep).state;
  EXPECT_TRUE(Conflicts(*schema_, resolved).empty());
  EXPECT_EQ(Values(resolved)["tags"], Json::array({"hotel"}));
}

Change Delete(const model::Version& version, std::map<std::string, model::VersionVector> seen) {
  Change change = NewChange(version, ChangeKind::kDelete);
  change.delete_seen = std::move(seen);
  return change;
}

TEST_F(MergeTest, DeleteThatSawEverythingDeletes) {
  auto state = testing::ApplyAll(*schema_, {SetField(V("a", 10), "place", "park"),
                                            Delete(V("b", 20), {{"place", Base({V("a", 10)})}})});
  EXPECT_TRUE(IsDeleted(state));
  EXPECT_TRUE(Conflicts(*schema_, state).empty());
}

TEST_F(MergeTest, DeleteConcurrentWithAnEditKeepsTheRecordForReview) {
  auto state = testing::ApplyAll(*schema_, {SetField(V("a", 10), "place", "park")});
  auto deleted = Apply(state, Delete(V("b", 20), {{"place", Base({V("a", 10)})}}));
  auto edited = Apply(deleted.state, SetField(V("a", 15), "place", "station", Base({V("a", 10)})));
  EXPECT_EQ(edited.result.outcome, Outcome::kConflict);
  EXPECT_FALSE(IsDeleted(edited.state));
  EXPECT_EQ(Values(edited.state)["place"], "station");
  const auto conflicts = Conflicts(*schema_, edited.state);
  ASSERT_EQ(conflicts.size(), 1u);
  EXPECT_EQ(conflicts[0].kind, ConflictKind::kDeleteVsEdit);

  // Resolution "keep": a restore whose base covers the deletion.
  Change restore = NewChange(V("leader", 40), ChangeKind::kRestore);
  restore.deletion_base = Base({V("b", 20)});
  auto kept = Apply(edited.state, restore);
  EXPECT_FALSE(IsDeleted(kept.state));
  EXPECT_TRUE(Conflicts(*schema_, kept.state).empty());
  // Resolution "delete after all": a delete that saw the edit.
  auto gone = Apply(edited.state, Delete(V("leader", 41), {{"place", Base({V("a", 15)})}}));
  EXPECT_TRUE(IsDeleted(gone.state));
  EXPECT_TRUE(Conflicts(*schema_, gone.state).empty());
}

TEST_F(MergeTest, ReplayingAChangeChangesNothing) {
  const Change change = SetField(V("a", 10), "place", "park");
  auto once = Apply({}, change);
  auto twice = Apply(once.state, change);
  EXPECT_EQ(twice.result.outcome, Outcome::kDuplicate);
  EXPECT_EQ(model::CanonicalRecord(twice.state), model::CanonicalRecord(once.state));
}

TEST_F(MergeTest, EveryOrderGivesTheSameBytes) {
  std::vector<Change> changes = {
      SetField(V("a", 10), "risk", "low"),
      SetField(V("b", 11), "risk", "high"),
      SetField(V("c", 12), "risk", "medium", Base({V("a", 10)})),
      Append(V("a", 13), "e1", "first"),
      SetOp(V("b", 14), {"hotel", "park"}),
      SetOp(V("c", 15), {}, {{"park", {V("b", 14)}}}),
      Delete(V("c", 16), {{"risk", Base({V("a", 10)})}}),
  };
  std::vector<int> order(changes.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int>(i);
  std::string expected;
  int permutations = 0;
  do {
    std::vector<Change> ordered;
    for (int index : order) ordered.push_back(changes[index]);
    const std::string bytes = model::CanonicalRecord(testing::ApplyAll(*schema_, ordered));
    if (expected.empty()) expected = bytes;
    ASSERT_EQ(bytes, expected) << "permutation " << permutations;
    ++permutations;
  } while (std::next_permutation(order.begin(), order.end()));
  EXPECT_EQ(permutations, 5040);
}

TEST_F(MergeTest, AChangeMayArriveBeforeTheRecordsCreation) {
  Change create = SetField(V("a", 10), "imm", "first");
  create.kind = ChangeKind::kCreate;
  const Change edit = SetField(V("a", 11), "place", "park");
  auto edit_first = testing::ApplyAll(*schema_, {edit, create});
  auto create_first = testing::ApplyAll(*schema_, {create, edit});
  EXPECT_EQ(model::CanonicalRecord(edit_first), model::CanonicalRecord(create_first));
}

TEST_F(MergeTest, RejectedChangesChangeNothing) {
  auto state = testing::ApplyAll(*schema_, {SetField(V("a", 10), "place", "park")});
  Change wrong_collection = SetField(V("a", 11), "place", "x");
  wrong_collection.collection = "contact";
  Change newer_major = SetField(V("a", 12), "place", "x");
  newer_major.schema_version = "2.0";
  Change set_as_register = SetField(V("a", 13), "tags", "x");
  for (const Change& change : {wrong_collection, newer_major, set_as_register}) {
    auto out = Apply(state, change);
    EXPECT_EQ(out.result.outcome, Outcome::kRejected);
    EXPECT_FALSE(out.result.reason.empty());
    EXPECT_EQ(model::CanonicalRecord(out.state), model::CanonicalRecord(state));
  }
}

TEST_F(MergeTest, ImmutableDisputeIsSettledByALeaderToOneOfItsValues) {
  auto state = testing::ApplyAll(
      *schema_, {SetField(V("a", 10), "imm", "first"), SetField(V("b", 11), "imm", "other")});
  Change settle = SetField(V("leader", 20), "imm", "first", Base({V("a", 10), V("b", 11)}));
  EXPECT_THAT(CheckAdmission(*schema_, state, settle), StatusIs(StatusCode::kFailedPrecondition));
  EXPECT_EQ(Apply(state, settle).result.outcome, Outcome::kRejected) << "a worker cannot";
  settle.author_role = "team_leader";
  settle.reason = "checked the birth certificate";
  EXPECT_THAT(CheckAdmission(*schema_, state, settle), IsOk());
  Change invented = settle;
  invented.registers["imm"].value = "third";
  EXPECT_THAT(CheckAdmission(*schema_, state, invented), StatusIs(StatusCode::kFailedPrecondition));
  auto settled = Apply(state, settle);
  EXPECT_EQ(settled.result.outcome, Outcome::kApplied);
  EXPECT_TRUE(Conflicts(*schema_, settled.state).empty());
}

TEST_F(MergeTest, OnlyALeaderWithAReasonSettlesAReviewDispute) {
  auto state = testing::ApplyAll(*schema_, {SetField(V("a", 10), "risk", "low"),
                                            SetField(V("b", 11), "risk", "high")});
  Change worker = SetField(V("c", 20), "risk", "medium", Base({V("a", 10), V("b", 11)}));
  EXPECT_THAT(CheckAdmission(*schema_, state, worker), StatusIs(StatusCode::kFailedPrecondition));
  worker.author_role = "team_leader";
  worker.reason = "discussed at supervision";
  EXPECT_THAT(CheckAdmission(*schema_, state, worker), IsOk());
}

TEST_F(MergeTest, AnEditConcurrentWithADeleteIsAdmittedAndOneThatSawItIsNot) {
  auto state = testing::ApplyAll(*schema_, {SetField(V("a", 10), "place", "park"),
                                            Delete(V("b", 20), {{"place", Base({V("a", 10)})}})});
  ASSERT_TRUE(IsDeleted(state));
  Change offline = SetField(V("a", 15), "place", "station", Base({V("a", 10)}));
  EXPECT_THAT(CheckAdmission(*schema_, state, offline), IsOk());
  Change after = SetField(V("a", 25), "place", "station", Base({V("a", 10)}));
  after.deletion_base = Base({V("b", 20)});
  EXPECT_THAT(CheckAdmission(*schema_, state, after), StatusIs(StatusCode::kFailedPrecondition));
}

TEST_F(MergeTest, OnlyALeaderOrAdministratorWithAReasonDeletesOrRestores) {
  auto state = testing::ApplyAll(*schema_, {SetField(V("a", 10), "place", "park")});
  Change remove = Delete(V("b", 20), {{"place", Base({V("a", 10)})}});
  Change restore = NewChange(V("b", 30), ChangeKind::kRestore);
  restore.deletion_base = Base({V("b", 20)});
  for (Change* change : {&remove, &restore}) {
    for (const char* role : {"worker", "office"}) {
      change->author_role = role;
      change->reason = "recorded twice";
      EXPECT_THAT(CheckAdmission(*schema_, state, *change), StatusIs(StatusCode::kFailedPrecondition))
          << role;
    }
    for (const char* role : {"team_leader", "admin"}) {
      change->author_role = role;
      change->reason = "";
      EXPECT_THAT(CheckAdmission(*schema_, state, *change), StatusIs(StatusCode::kFailedPrecondition))
          << role << " without a reason";
      change->reason = "retention period ended";
      EXPECT_THAT(CheckAdmission(*schema_, state, *change), IsOk()) << role;
    }
  }
}

TEST_F(MergeTest, SchemaVersionIsTheHighestWhateverTheOrder) {
  Change newer = SetField(V("a", 10), "place", "park");
  newer.schema_version = "1.2";
  Change older = SetField(V("b", 20), "place", "station", Base({V("a", 10)}));
  older.schema_version = "1.0";
  const auto one = testing::ApplyAll(*schema_, {newer, older});
  const auto other = testing::ApplyAll(*schema_, {older, newer});
  EXPECT_EQ(model::CanonicalRecord(one), model::CanonicalRecord(other));
  EXPECT_EQ(one.schema_version, "1.2");
}

TEST_F(MergeTest, AnAppendEntryIsNeverRewrittenByAReusedId) {
  auto state = testing::ApplyAll(*schema_, {Append(V("a", 10), "e1", "what she said")});
  state = Apply(state, Append(V("b", 11), "e1", "something else")).state;
  const Json notes = Values(state)["notes"];
  ASSERT_EQ(notes.size(), 2u);
  EXPECT_EQ(notes[0]["text"], "what she said");
}

Change Event(const model::Version& version, const std::string& entry_id, const std::string& kind,
             std::vector<model::Version> seen = {}) {
  Change change = NewChange(version);
  change.appends["consent_events"].entries.push_back(Json{{"id", entry_id}, {"kind", kind}});
  change.appends["consent_events"].seen = std::move(seen);
  return change;
}

TEST_F(MergeTest, ConcurrentConsentGiveAndWithdrawGoToReview) {
  auto state = testing::ApplyAll(*schema_, {Event(V("a", 10), "e1", "given")});
  // Withdrawn on another tablet without seeing the consent given: review, both kept.
  auto raced = Apply(state, Event(V("b", 11), "e2", "withdrawn"));
  EXPECT_EQ(raced.result.outcome, Outcome::kConflict);
  auto conflicts = Conflicts(*schema_, raced.state);
  ASSERT_EQ(conflicts.size(), 1u);
  EXPECT_EQ(conflicts[0].field, "consent_events");
  EXPECT_EQ(conflicts[0].candidates.size(), 2u);
  // Withdrawn by someone who had seen it given: no conflict.
  auto informed = Apply(state, Event(V("b", 12), "e3", "withdrawn", {V("a", 10)}));
  EXPECT_EQ(informed.result.outcome, Outcome::kApplied);
  EXPECT_TRUE(Conflicts(*schema_, informed.state).empty());
  // A later event by someone who saw both settles the race.
  auto settled = Apply(raced.state, Event(V("leader", 20), "e4", "withdrawn", {V("a", 10), V("b", 11)}));
  EXPECT_TRUE(Conflicts(*schema_, settled.state).empty());
  // Same kind concurrently is no conflict.
  auto both_given = Apply(state, Event(V("c", 13), "e5", "given"));
  EXPECT_TRUE(Conflicts(*schema_, both_given.state).empty());
}

TEST_F(MergeTest, EmptyWritesAreRejected) {
  Change empty_set = NewChange(V("a", 10));
  empty_set.sets["tags"] = model::SetWrite{};
  Change empty_append = NewChange(V("a", 11));
  empty_append.appends["notes"] = model::AppendWrite{};
  EXPECT_EQ(Apply({}, empty_set).result.outcome, Outcome::kRejected);
  EXPECT_EQ(Apply({}, empty_append).result.outcome, Outcome::kRejected);
}

TEST_F(MergeTest, FieldsUnknownToTheSchemaAreKeptUntouched) {
  auto state = testing::ApplyAll(*schema_, {SetField(V("a", 10), "added_in_1_3", Json{{"x", 1}})});
  EXPECT_EQ(Values(state)["added_in_1_3"], (Json{{"x", 1}}));
}

}  // namespace
}  // namespace outreach::merge
