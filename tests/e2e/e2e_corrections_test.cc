// outreach::Client's corrections through a real outreach-server: a worker strikes an entry
// recorded in error, fixes a change the server refused, and withdraws a record made by mistake
// before it left the tablet. What one device corrects, a teammate's device shows.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/e2e/e2e_util.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace outreach::testing {
namespace {

using model::Json;
using ::testing::HasSubstr;

class CorrectionsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ana_ = EnrolDevice(dir_.File("ana"), server_, server_.NewUserCode("north", "ana", "worker", true));
    ben_ = EnrolDevice(dir_.File("ben"), server_, server_.NewUserCode("north", "ben", "worker", false));
  }

  // Ids of the entries `values[field]` shows.
  static std::vector<std::string> EntryIds(const Json& values, const std::string& field) {
    std::vector<std::string> ids;
    for (const Json& entry : values.value(field, Json::array())) ids.push_back(entry["id"]);
    return ids;
  }

  TempDir dir_;
  ServerProcess server_{dir_.path()};
  std::unique_ptr<Client> ana_;
  std::unique_ptr<Client> ben_;
};

TEST_F(CorrectionsTest, AStruckEntryIsKeptAsStruckOnEveryDevice) {
  const Json values = ContactValues("ana", 1);
  const std::string entry = values["summary"][0]["id"];
  ASSERT_OK_AND_ASSIGN(std::string contact, ana_->Create("contact", values));
  ASSERT_OK(SyncUntilQuiet(*ana_));
  ASSERT_OK(SyncUntilQuiet(*ben_));

  EXPECT_THAT(ben_->Strike(contact, "summary", entry, ""), StatusIs(StatusCode::kInvalidArgument))
      << "a strike needs a reason";
  EXPECT_THAT(ben_->Strike(contact, "summary", "0190a6c2-0000-7000-8000-00000000dead", "wrong"),
              StatusIs(StatusCode::kFailedPrecondition));
  ASSERT_OK_AND_ASSIGN(std::string strike, ben_->Strike(contact, "summary", entry, "wrong child"));
  EXPECT_NE(strike, entry);
  ASSERT_OK(SyncUntilQuiet(*ben_));
  ASSERT_OK(SyncUntilQuiet(*ana_));

  ASSERT_OK_AND_ASSIGN(replica::RecordView seen, ana_->Get(contact));
  EXPECT_THAT(EntryIds(seen.values, "summary"), ::testing::Not(::testing::Contains(entry)));
  const Json& history = seen.entry_history.at("summary");
  ASSERT_EQ(history.size(), 2u);
  EXPECT_EQ(history[0]["entry"]["id"], entry);
  EXPECT_EQ(history[0]["status"], "struck") << "kept, marked";
  EXPECT_EQ(Snapshot(*ana_), Snapshot(*ben_));
}

// Two tablets set an immutable field differently; the server refuses the second. Its worker
// fixes the change (takes the value the record has) and the rest of the edit goes through.
TEST_F(CorrectionsTest, ARefusedChangeIsFixedAndTheRestOfItArrives) {
  ASSERT_OK_AND_ASSIGN(std::string person, ana_->Create("young_person", Json{
      {"known_as", "Sam"}, {"team_id", "north"}, {"caseload_owner", "ana"}}));
  ASSERT_OK(SyncUntilQuiet(*ana_));
  ASSERT_OK(SyncUntilQuiet(*ben_));
  const std::string first = "0190a6c2-0000-7000-8000-0000000000b1";
  const std::string second = "0190a6c2-0000-7000-8000-0000000000b2";
  ASSERT_OK(ana_->Update(person, Json{{"merged_into", first}}));
  ASSERT_OK(ben_->Update(person, Json{{"merged_into", second}, {"known_as", "Sammy"}}));
  ASSERT_OK(SyncUntilQuiet(*ana_));
  ASSERT_OK_AND_ASSIGN(SyncSummary refused, ben_->Sync());
  EXPECT_EQ(refused.rejected, 1);
  ASSERT_OK_AND_ASSIGN(auto rejected, ben_->Rejected());
  ASSERT_EQ(rejected.size(), 1u);
  EXPECT_THAT(rejected[0].reason, HasSubstr("immutable"));

  std::vector<schema::ValidationProblem> problems;
  EXPECT_THAT(ben_->FixRejected(rejected[0].change.change_id, Json{{"known_as", 7}}, &problems),
              StatusIs(StatusCode::kInvalidArgument));
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].pointer, "/known_as");
  EXPECT_THAT(ben_->FixRejected("0190a6c2-0000-7000-8000-00000000dead", Json::object()),
              StatusIs(StatusCode::kNotFound));
  ASSERT_OK_AND_ASSIGN(std::string fixed,
                       ben_->FixRejected(rejected[0].change.change_id, Json{{"merged_into", first}}));
  EXPECT_NE(fixed, rejected[0].change.change_id);
  ASSERT_OK_AND_ASSIGN(rejected, ben_->Rejected());
  EXPECT_TRUE(rejected.empty());
  ASSERT_OK_AND_ASSIGN(SyncSummary sent, ben_->Sync());
  EXPECT_EQ(sent.pushed, 1);
  EXPECT_EQ(sent.rejected, 0);
  ASSERT_OK(SyncUntilQuiet(*ana_));
  ASSERT_OK_AND_ASSIGN(replica::RecordView seen, ana_->Get(person));
  EXPECT_EQ(seen.values["known_as"], "Sammy");
  EXPECT_EQ(seen.values["merged_into"], first);
  EXPECT_EQ(Snapshot(*ana_), Snapshot(*ben_));
}

TEST_F(CorrectionsTest, ARecordIsWithdrawnOnlyBeforeItLeaves) {
  ASSERT_OK_AND_ASSIGN(std::string mistake, ana_->Create("contact", ContactValues("ana", 2)));
  ASSERT_OK(ana_->Update(mistake, Json{{"location_text", "library"}}));
  ASSERT_OK(ana_->WithdrawCreate(mistake));
  EXPECT_THAT(ana_->Get(mistake), StatusIs(StatusCode::kNotFound));
  ASSERT_OK_AND_ASSIGN(ClientStatus status, ana_->GetStatus());
  EXPECT_EQ(status.pending, 0) << "nothing of it is left to send";
  EXPECT_THAT(ana_->WithdrawCreate(mistake), StatusIs(StatusCode::kNotFound));

  ASSERT_OK_AND_ASSIGN(std::string sent, ana_->Create("contact", ContactValues("ana", 3)));
  ASSERT_OK(SyncUntilQuiet(*ana_));
  EXPECT_THAT(ana_->WithdrawCreate(sent), StatusIs(StatusCode::kFailedPrecondition))
      << "on the server now: a team leader deletes it";
  ASSERT_OK(SyncUntilQuiet(*ben_));
  ASSERT_OK_AND_ASSIGN(auto contacts, ben_->List("contact"));
  ASSERT_EQ(contacts.size(), 1u);
  EXPECT_EQ(contacts[0]["id"], sent);
  EXPECT_THAT(ben_->WithdrawCreate(sent), StatusIs(StatusCode::kFailedPrecondition))
      << "made by another device";
}

}  // namespace
}  // namespace outreach::testing
