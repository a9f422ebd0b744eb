// Replica: append entries are never edited; they are corrected, struck, or (x-entry-forward)
// moved on by later entries, which the view shows in their place and the history keeps.
#include <gtest/gtest.h>

#include "core/replica/replica.h"
#include "tests/core/replica/replica_fixture.h"
#include "tests/testing/status_matchers.h"

namespace outreach::replica {
namespace {

using model::Json;
using ::outreach::testing::IsOk;
using ::outreach::testing::StatusIs;

class ReplicaEntriesTest : public testing::ReplicaFixture {
 protected:
  // A contact about a new young person, with one open action.
  std::string ContactWithAnAction() {
    auto young_person = replica_->Create("young_person", YoungPerson("Skye"));
    EXPECT_THAT(young_person, IsOk());
    Json values = Contact(young_person.ok() ? *young_person : "");
    values["actions"] = Json::array({Action(kActionId, "open")});
    auto contact = replica_->Create("contact", values);
    EXPECT_THAT(contact, IsOk());
    return contact.ok() ? *contact : "";
  }

  static Json Action(const std::string& id, const std::string& state,
                     const std::string& supersedes = "") {
    Json action{{"id", id}, {"what", "Complete a CSE screening"}, {"state", state}};
    if (!supersedes.empty()) action["supersedes"] = supersedes;
    return action;
  }

  std::size_t PendingCount() {
    auto pending = replica_->Outbox(OutboxStatus::kPending);
    return pending.ok() ? pending->size() : 0;
  }

  static constexpr const char* kActionId = "0190a6c2-0000-7000-8000-0000000000a7";
};

TEST_F(ReplicaEntriesTest, AppendEntriesAreNeverRewritten) {
  ASSERT_OK_AND_ASSIGN(std::string id, replica_->Create("young_person", YoungPerson("Skye")));
  ASSERT_OK_AND_ASSIGN(std::string contact, replica_->Create("contact", Contact(id)));
  EXPECT_THAT(replica_->Append(contact, "summary",
                               Json{{"id", kFirstSummaryId},
                                    {"author", "user-1"}, {"at", "2026-11-25T21:05:00Z"},
                                    {"text", "rewritten"}}),
              StatusIs(StatusCode::kFailedPrecondition));
  ASSERT_OK_AND_ASSIGN(auto entry, replica_->Append(contact, "summary",
                                                    Json{{"author", "user-1"},
                                                         {"at", "2026-11-25T21:05:00Z"},
                                                         {"text", "went home at ten"}}));
  ASSERT_OK_AND_ASSIGN(RecordView view, replica_->Get(contact));
  ASSERT_EQ(view.values["summary"].size(), 2u);
  EXPECT_EQ(view.values["summary"][0]["text"], "seen with older boys");
  EXPECT_EQ(view.values["summary"][1]["id"], entry);
}

TEST_F(ReplicaEntriesTest, AStruckEntryIsKeptAndShownStruck) {
  ASSERT_OK_AND_ASSIGN(std::string id, replica_->Create("young_person", YoungPerson("Skye")));
  ASSERT_OK_AND_ASSIGN(std::string contact, replica_->Create("contact", Contact(id)));
  const std::size_t before = PendingCount();
  EXPECT_THAT(replica_->Strike(contact, "summary", kFirstSummaryId, ""),
              StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(replica_->Strike(contact, "summary", "0190a6c2-0000-7000-8000-0000000000ff",
                               "written on the wrong contact"),
              StatusIs(StatusCode::kFailedPrecondition));
  EXPECT_EQ(PendingCount(), before) << "a refused strike writes nothing";

  ASSERT_OK_AND_ASSIGN(std::string strike, replica_->Strike(contact, "summary", kFirstSummaryId,
                                                            "written on the wrong contact"));
  ASSERT_OK_AND_ASSIGN(RecordView view, replica_->Get(contact));
  ASSERT_EQ(view.values["summary"].size(), 1u);
  EXPECT_EQ(view.values["summary"][0]["id"], strike);
  EXPECT_EQ(view.values["summary"][0]["struck"], true);
  EXPECT_EQ(view.values["summary"][0]["strike_reason"], "written on the wrong contact");
  const Json& history = view.entry_history.at("summary");
  ASSERT_EQ(history.size(), 2u);
  EXPECT_EQ(history[0]["entry"]["text"], "seen with older boys") << "kept, still legible";
  EXPECT_EQ(history[0]["status"], "struck");
  EXPECT_EQ(history[0]["superseded_by"], Json::array({strike}));
  EXPECT_EQ(history[1]["status"], "current");
}

TEST_F(ReplicaEntriesTest, AnActionIsDoneByASupersedingEntryAndOnlyALeaderReopensIt) {
  const std::string contact = ContactWithAnAction();
  const std::string done_id = "0190a6c2-0000-7000-8000-0000000000a8";
  ASSERT_THAT(replica_->Append(contact, "actions", Action(done_id, "done", kActionId)), IsOk());
  ASSERT_OK_AND_ASSIGN(RecordView view, replica_->Get(contact));
  EXPECT_EQ(view.values["actions"], Json::array({Action(done_id, "done", kActionId)}))
      << "the latest state of the action, once";
  EXPECT_EQ(view.entry_history.at("actions").size(), 2u);
  EXPECT_EQ(view.entry_history.at("actions")[0]["status"], "superseded");

  const std::size_t before = PendingCount();
  const Json reopen = Action("0190a6c2-0000-7000-8000-0000000000a9", "open", done_id);
  EXPECT_THAT(replica_->Append(contact, "actions", reopen),
              StatusIs(StatusCode::kFailedPrecondition));
  // Around the done entry, by superseding the first one: still going back.
  EXPECT_THAT(replica_->Append(contact, "actions",
                               Action("0190a6c2-0000-7000-8000-0000000000aa", "open", kActionId)),
              StatusIs(StatusCode::kFailedPrecondition));
  EXPECT_EQ(PendingCount(), before);

  replica_.reset();
  replica_ = OpenReplica("team_leader");
  EXPECT_THAT(replica_->Append(contact, "actions", reopen),
              StatusIs(StatusCode::kFailedPrecondition))
      << "a leader goes back with a reason";
  ASSERT_THAT(replica_->Resolve(contact, "actions", Json::array({reopen}),
                                "screening postponed to next month"),
              IsOk());
  ASSERT_OK_AND_ASSIGN(view, replica_->Get(contact));
  EXPECT_EQ(view.values["actions"], Json::array({reopen}));
}

}  // namespace
}  // namespace outreach::replica
