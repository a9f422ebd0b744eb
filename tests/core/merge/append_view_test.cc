// Append entries superseded and struck (never edited), x-entry-forward states moving only
// forward through superseding entries, and how the view and history show them (MERGE.md).
#include "core/merge/append_view.h"

#include <gtest/gtest.h>

#include "core/merge/admission.h"
#include "core/merge/merge.h"
#include "core/merge/record_view.h"
#include "core/model/record_codec.h"
#include "tests/core/merge/merge_test_util.h"
#include "tests/testing/status_matchers.h"

namespace outreach::merge {
namespace {

using model::Change;
using model::Json;
using model::Version;
using ::outreach::testing::IsOk;
using ::outreach::testing::StatusIs;
using testing::NewChange;
using testing::V;

// An entry written to `field` by the change at `version`, having seen `seen` of the field.
Change Entry(const Version& version, const std::string& field, Json entry,
             std::vector<Version> seen = {}) {
  Change change = NewChange(version);
  change.appends[field].entries.push_back(std::move(entry));
  change.appends[field].seen = std::move(seen);
  return change;
}

Json Task(const std::string& id, const std::string& state, const std::string& supersedes = "") {
  Json task{{"id", id}, {"what", "book a screening"}, {"state", state}};
  if (!supersedes.empty()) task["supersedes"] = supersedes;
  return task;
}

Json Strike(const std::string& id, const std::string& target) {
  return Json{{"id", id},
              {"supersedes", target},
              {"struck", true},
              {"strike_reason", "written on the wrong record"}};
}

class AppendViewTest : public testing::ProbeSchemaTest {
 protected:
  Json History(const model::RecordState& state, const std::string& field) {
    return EntryHistory(*schema_, state).at(field);
  }
};

TEST_F(AppendViewTest, ACorrectionReplacesTheEntryInTheViewAndBothStayInTheHistory) {
  const Json note{{"id", "n1"}, {"text", "seen at the statoin"}};
  const Json fixed{{"id", "n2"}, {"text", "seen at the station"}, {"supersedes", "n1"}};
  auto state = testing::ApplyAll(*schema_, {Entry(V("a", 10), "notes", note),
                                            Entry(V("a", 20), "notes", fixed, {V("a", 10)})});
  EXPECT_EQ(Values(state)["notes"], Json::array({fixed}));
  const Json history = History(state, "notes");
  ASSERT_EQ(history.size(), 2u);
  EXPECT_EQ(history[0]["entry"], note);
  EXPECT_EQ(history[0]["status"], "superseded");
  EXPECT_EQ(history[0]["superseded_by"], Json::array({"n2"}));
  EXPECT_EQ(history[0]["author"], "user-a");
  EXPECT_EQ(history[1]["status"], "current");
  EXPECT_EQ(state.appends.at("notes").entries.size(), 2u) << "nothing removed from the state";
}

TEST_F(AppendViewTest, AStrikeShowsInPlaceOfTheStruckEntry) {
  auto state = testing::ApplyAll(
      *schema_, {Entry(V("a", 10), "notes", Json{{"id", "n1"}, {"text", "about Jay, not Skye"}}),
                 Entry(V("b", 20), "notes", Strike("n2", "n1"), {V("a", 10)})});
  EXPECT_EQ(Values(state)["notes"], Json::array({Strike("n2", "n1")}));
  const Json history = History(state, "notes");
  EXPECT_EQ(history[0]["status"], "struck");
  EXPECT_EQ(history[0]["entry"]["text"], "about Jay, not Skye") << "struck, still legible";
  EXPECT_TRUE(Conflicts(*schema_, state).empty());
}

TEST_F(AppendViewTest, MergeRejectsMalformedSupersession) {
  Json struck_false = Strike("n2", "n1");
  struck_false["struck"] = false;
  Json no_reason = Strike("n2", "n1");
  no_reason.erase("strike_reason");
  Json no_target = Strike("n2", "n1");
  no_target.erase("supersedes");
  const Json itself{{"id", "n1"}, {"supersedes", "n1"}};
  const Json not_an_id{{"id", "n2"}, {"supersedes", 7}};
  for (const Json& entry : {struck_false, no_reason, no_target, itself, not_an_id}) {
    const MergeOutput out = Merge(*schema_, {}, Entry(V("a", 10), "notes", entry));
    EXPECT_EQ(out.result.outcome, Outcome::kRejected) << entry.dump();
  }
}

TEST_F(AppendViewTest, OnlyAnEntryItsAuthorHadSeenIsSupersededOrStruck) {
  auto state =
      testing::ApplyAll(*schema_, {Entry(V("a", 10), "notes", Json{{"id", "n1"}, {"text", "x"}}),
                                   Entry(V("a", 11), "tasks", Task("t1", "open"))});
  // Seen: admitted. A made-up id, another field's entry, or one the author had not seen: not.
  EXPECT_THAT(
      CheckAdmission(*schema_, state, Entry(V("b", 20), "notes", Strike("n2", "n1"), {V("a", 10)})),
      IsOk());
  EXPECT_THAT(
      CheckAdmission(*schema_, state, Entry(V("b", 20), "notes", Strike("n2", "n9"), {V("a", 10)})),
      StatusIs(StatusCode::kFailedPrecondition));
  EXPECT_THAT(
      CheckAdmission(*schema_, state, Entry(V("b", 20), "notes", Strike("n2", "t1"), {V("a", 11)})),
      StatusIs(StatusCode::kFailedPrecondition));
  EXPECT_THAT(CheckAdmission(*schema_, state, Entry(V("b", 20), "notes", Strike("n2", "n1"))),
              StatusIs(StatusCode::kFailedPrecondition));
}

TEST_F(AppendViewTest, AnEntrysForwardStateGoesBackOnlyForALeaderWithAReason) {
  auto state = testing::ApplyAll(
      *schema_, {Entry(V("a", 10), "tasks", Task("t1", "open")),
                 Entry(V("a", 20), "tasks", Task("t2", "done", "t1"), {V("a", 10)})});
  EXPECT_EQ(Values(state)["tasks"], Json::array({Task("t2", "done", "t1")}));
  // Back to open, by superseding the done entry or the first one having seen the done one.
  Change reopen = Entry(V("b", 30), "tasks", Task("t3", "open", "t2"), {V("a", 10), V("a", 20)});
  Change around = Entry(V("b", 31), "tasks", Task("t4", "open", "t1"), {V("a", 10), V("a", 20)});
  for (Change* change : {&reopen, &around}) {
    EXPECT_THAT(CheckAdmission(*schema_, state, *change),
                StatusIs(StatusCode::kFailedPrecondition));
    change->author_role = "team_leader";
    EXPECT_THAT(CheckAdmission(*schema_, state, *change), StatusIs(StatusCode::kFailedPrecondition))
        << "a leader gives a reason";
    change->reason = "the screening was cancelled";
    EXPECT_THAT(CheckAdmission(*schema_, state, *change), IsOk());
  }
  EXPECT_EQ(Values(Merge(*schema_, state, reopen).state)["tasks"],
            Json::array({Task("t3", "open", "t2")}));
  // Forward, the same state again, and a strike (no state) need nobody.
  auto open = testing::ApplyAll(*schema_, {Entry(V("a", 10), "tasks", Task("t1", "open"))});
  EXPECT_THAT(CheckAdmission(*schema_, open,
                             Entry(V("b", 40), "tasks", Task("t5", "done", "t1"), {V("a", 10)})),
              IsOk());
  EXPECT_THAT(CheckAdmission(
                  *schema_, state,
                  Entry(V("b", 41), "tasks", Task("t6", "done", "t2"), {V("a", 10), V("a", 20)})),
              IsOk());
  EXPECT_THAT(
      CheckAdmission(*schema_, state,
                     Entry(V("b", 42), "tasks", Strike("t7", "t2"), {V("a", 10), V("a", 20)})),
      IsOk());
  // Going back on an entry the author had not seen done is not going back: a race, settled below.
  EXPECT_THAT(CheckAdmission(*schema_, state,
                             Entry(V("b", 43), "tasks", Task("t8", "open", "t1"), {V("a", 10)})),
              IsOk());
}

TEST_F(AppendViewTest, ConcurrentSuccessorsOfAnEntryResolveToTheFurtherStateAndStayVisible) {
  const Change first = Entry(V("a", 10), "tasks", Task("t1", "open"));
  // Two tablets, neither having seen the other: one marks it done, one changes it but leaves it
  // open (and has the later version, so nothing is chosen by clock).
  const Change done = Entry(V("b", 20), "tasks", Task("t2", "done", "t1"), {V("a", 10)});
  const Change still_open = Entry(V("c", 30), "tasks", Task("t3", "open", "t1"), {V("a", 10)});
  const auto one = testing::ApplyAll(*schema_, {first, done, still_open});
  const auto other = testing::ApplyAll(*schema_, {still_open, done, first});
  EXPECT_EQ(model::CanonicalRecord(one), model::CanonicalRecord(other));  // I1
  EXPECT_EQ(Values(one)["tasks"], Json::array({Task("t2", "done", "t1")}));
  EXPECT_EQ(Merge(*schema_, testing::ApplyAll(*schema_, {first, done}), still_open).result.outcome,
            Outcome::kMerged);
  // Both stay visible: an auto-resolved conflict asking no one, and the history.
  const auto conflicts = Conflicts(*schema_, one);
  ASSERT_EQ(conflicts.size(), 1u);
  EXPECT_EQ(conflicts[0].kind, ConflictKind::kAutoResolved);
  EXPECT_EQ(conflicts[0].field, "tasks");
  ASSERT_EQ(conflicts[0].candidates.size(), 2u);
  EXPECT_EQ(conflicts[0].provisional, Task("t2", "done", "t1"));
  const Json history = History(one, "tasks");
  ASSERT_EQ(history.size(), 3u);
  EXPECT_EQ(history[0]["status"], "superseded");
  EXPECT_EQ(history[0]["superseded_by"], Json::array({"t2", "t3"}));
  EXPECT_EQ(history[1]["status"], "current");
  EXPECT_EQ(history[2]["status"], "outranked");
  // Someone who saw both settles it like any entry: by superseding the one shown.
  const auto settled = Merge(
      *schema_, one,
      Entry(V("a", 40), "tasks", Task("t4", "done", "t2"), {V("a", 10), V("b", 20), V("c", 30)}));
  EXPECT_EQ(Values(settled.state)["tasks"], Json::array({Task("t4", "done", "t2")}));
}

TEST_F(AppendViewTest, WithoutEntryForwardConcurrentCorrectionsAreBothShown) {
  const Change first = Entry(V("a", 10), "notes", Json{{"id", "n1"}, {"text", "x"}});
  const Json by_b{{"id", "n2"}, {"text", "y"}, {"supersedes", "n1"}};
  const Json by_c{{"id", "n3"}, {"text", "z"}, {"supersedes", "n1"}};
  const auto state =
      testing::ApplyAll(*schema_, {first, Entry(V("b", 20), "notes", by_b, {V("a", 10)}),
                                   Entry(V("c", 30), "notes", by_c, {V("a", 10)})});
  EXPECT_EQ(Values(state)["notes"], Json::array({by_b, by_c}));
  EXPECT_TRUE(Conflicts(*schema_, state).empty()) << "append never conflicts";
}

TEST_F(AppendViewTest, AnEntryNamingOneNotYetArrivedSupersedesItWhenItArrives) {
  const Change first = Entry(V("a", 10), "notes", Json{{"id", "n1"}, {"text", "x"}});
  const Change strike = Entry(V("b", 20), "notes", Strike("n2", "n1"), {V("a", 10)});
  const auto early = testing::ApplyAll(*schema_, {strike});
  EXPECT_EQ(Values(early)["notes"], Json::array({Strike("n2", "n1")}));
  const auto both = Merge(*schema_, early, first).state;
  EXPECT_EQ(Values(both)["notes"], Json::array({Strike("n2", "n1")}));
  EXPECT_EQ(model::CanonicalRecord(both),
            model::CanonicalRecord(testing::ApplyAll(*schema_, {first, strike})));
}

TEST_F(AppendViewTest, ForgedEntriesNamingEachOtherReadTheSameEverywhere) {
  // Admission never lets this in (each must have seen the other first), but a hostile peer's
  // state must still read alike on every replica, and not loop.
  const Change a = Entry(V("a", 10), "tasks", Task("t1", "done", "t2"));
  const Change b = Entry(V("b", 11), "tasks", Task("t2", "open", "t1"));
  const auto one = testing::ApplyAll(*schema_, {a, b});
  const auto other = testing::ApplyAll(*schema_, {b, a});
  EXPECT_EQ(Values(one), Values(other));
  EXPECT_EQ(Values(one)["tasks"], Json::array());
  EXPECT_EQ(History(one, "tasks").size(), 2u) << "both kept, both shown superseded";
}

}  // namespace
}  // namespace outreach::merge
