// Admission on the server: a change the record as stored does not admit (an immutable field
// already set differently, a field only leaders write) is rejected with its reason inside a
// 200 reply; the tablet keeps it, marked rejected, and shows the server's value meanwhile.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/model/uuid.h"
#include "tests/sync-server/sync_fixture.h"
#include "tests/testing/status_matchers.h"

namespace outreach::server::testing {
namespace {

using model::Json;
using ::outreach::testing::IsOk;
using ::testing::HasSubstr;

class AdmissionTest : public TeammatesFixture {};

TEST_F(AdmissionTest, ImmutableFieldSetConcurrentlyRejectsTheSecondWithItsReason) {
  ASSERT_OK_AND_ASSIGN(std::string skye, ana_->replica().Create("young_person", YoungPerson(*ana_, "Skye")));
  Synced(*ana_);
  Synced(*ben_);
  // Both mark Skye as a duplicate of a different record, neither seeing the other.
  const std::string ana_pick = model::NewUuidV7(kStartMs - 1000);
  const std::string ben_pick = model::NewUuidV7(kStartMs - 2000);
  server_->clock().Advance(1000);
  ASSERT_THAT(ana_->replica().Update(skye, Json{{"merged_into", ana_pick}}), IsOk());
  ASSERT_THAT(ben_->replica().Update(skye, Json{{"merged_into", ben_pick}}), IsOk());
  const SyncRound first = Synced(*ana_);
  EXPECT_EQ(Outcomes(first), std::vector{protocol::Outcome::kApplied});

  const SyncRound second = Synced(*ben_);
  ASSERT_EQ(second.results.size(), 1u);
  EXPECT_EQ(second.results[0].outcome, protocol::Outcome::kRejected);
  EXPECT_THAT(second.results[0].reason, HasSubstr("immutable field merged_into"));
  EXPECT_THAT(second.results[0].reason, ::testing::Not(HasSubstr(ben_pick))) << "no values";

  ASSERT_OK_AND_ASSIGN(auto rejected, ben_->replica().Outbox(replica::OutboxStatus::kRejected));
  ASSERT_EQ(rejected.size(), 1u);
  EXPECT_EQ(rejected[0].change.change_id, second.results[0].change_id);
  EXPECT_EQ(rejected[0].reason, second.results[0].reason);
  ASSERT_OK_AND_ASSIGN(replica::RecordView view, ben_->replica().Get(skye));
  EXPECT_EQ(view.values["merged_into"], ana_pick) << "the server's value, not the rejected one";

  // A retry of the rejected change gets the same answer and changes nothing.
  ASSERT_OK_AND_ASSIGN(protocol::SyncRequest retry, ben_->PendingRequest());
  retry.changes.push_back(rejected[0].change);
  const auto before = StoreCounts();
  auto again = server_->service().Sync(ServerDevice(*ben_), retry);
  ASSERT_EQ(HttpStatus(again), 200);
  ASSERT_EQ(std::get<SyncReply>(again).response.results.size(), 1u);
  EXPECT_EQ(std::get<SyncReply>(again).response.results[0].outcome, protocol::Outcome::kRejected);
  EXPECT_EQ(std::get<SyncReply>(again).response.results[0].reason, second.results[0].reason);
  EXPECT_EQ(StoreCounts(), before);
}

TEST_F(AdmissionTest, FieldOnlyLeadersWriteIsRejectedFromAWorkerTheClientDidNotStop) {
  ASSERT_OK_AND_ASSIGN(std::string skye, ana_->replica().Create("young_person", YoungPerson(*ana_, "Skye")));
  server_->clock().Advance(1000);
  ASSERT_THAT(ana_->replica().Update(skye, Json{{"address", "1 High St"}}), IsOk());
  // A modified app turns the address edit into a risk level edit, which its worker may not do.
  ASSERT_OK_AND_ASSIGN(protocol::SyncRequest request, ana_->PendingRequest());
  ASSERT_EQ(request.changes.size(), 2u);
  auto& edit = request.changes[1];
  edit.registers["current_cse_risk"] = edit.registers.at("address");
  edit.registers["current_cse_risk"].value = "not_at_risk";
  edit.registers.erase("address");
  auto reply = server_->service().Sync(ServerDevice(*ana_), request);
  ASSERT_EQ(HttpStatus(reply), 200) << Describe(RefusalOf(reply));
  const auto& results = std::get<SyncReply>(reply).response.results;
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[0].outcome, protocol::Outcome::kApplied);
  EXPECT_EQ(results[1].outcome, protocol::Outcome::kRejected);
  EXPECT_THAT(results[1].reason, HasSubstr("current_cse_risk"));
  ASSERT_OK_AND_ASSIGN(auto queue, server_->store().ListConflicts());
  EXPECT_TRUE(queue.empty());
}

}  // namespace
}  // namespace outreach::server::testing
