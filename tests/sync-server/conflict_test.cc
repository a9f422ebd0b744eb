// Concurrent edits of a review field by two tablets of one team: the second push is a
// conflict, the administrators' queue lists the record, and every tablet ends up holding both
// values in the same disputed state (I1, I2) until a team leader resolves it.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>

#include "core/merge/record_view.h"
#include "core/protocol/binary_codec.h"
#include "core/schema/schema_registry.h"
#include "tests/sync-server/sync_fixture.h"
#include "tests/testing/status_matchers.h"

namespace outreach::server::testing {
namespace {

using model::Json;
using ::outreach::testing::IsOk;

class ConflictTest : public TeammatesFixture {
 protected:
  // Ana and Ben both hold Skye, then change her address without seeing each other's edit.
  void SetUp() override {
    TeammatesFixture::SetUp();
    if (HasFatalFailure()) return;
    ASSERT_OK_AND_ASSIGN(skye_, ana_->replica().Create("young_person", YoungPerson(*ana_, "Skye")));
    Synced(*ana_);
    Synced(*ben_);
    server_->clock().Advance(60'000);
    ASSERT_THAT(ana_->replica().Update(skye_, Json{{"address", "2 Low Rd"}}), IsOk());
    server_->clock().Advance(1);
    ASSERT_THAT(ben_->replica().Update(skye_, Json{{"address", "3 Mid Ln"}}), IsOk());
  }

  static std::set<std::string> CandidateValues(const merge::Conflict& conflict) {
    std::set<std::string> values;
    for (const auto& candidate : conflict.candidates) values.insert(candidate.value.get<std::string>());
    return values;
  }

  std::string skye_;
};

TEST_F(ConflictTest, SecondConcurrentEditIsAConflictBothTabletsShow) {
  const SyncRound first = Synced(*ana_);
  EXPECT_EQ(Outcomes(first), std::vector{protocol::Outcome::kApplied});
  const SyncRound second = Synced(*ben_);
  EXPECT_EQ(Outcomes(second), std::vector{protocol::Outcome::kConflict});
  Synced(*ana_);

  ASSERT_OK_AND_ASSIGN(auto queue, server_->store().ListConflicts());
  ASSERT_EQ(queue.size(), 1u);
  EXPECT_EQ(queue[0].record_id, skye_);
  EXPECT_EQ(queue[0].collection, "young_person");
  EXPECT_EQ(queue[0].team_name, "north");
  ASSERT_OK_AND_ASSIGN(model::RecordState stored, protocol::DecodeRecordState(queue[0].state));
  const auto stored_conflicts = merge::Conflicts(*server_->schemas().Find("young_person"), stored);
  ASSERT_EQ(stored_conflicts.size(), 1u);
  EXPECT_EQ(stored_conflicts[0].field, "address");

  ExpectSameRecord(*ana_, *ben_, skye_);
  for (DeviceHarness* device : {ana_.get(), ben_.get()}) {
    SCOPED_TRACE(device->identity().user_id);
    ASSERT_OK_AND_ASSIGN(replica::RecordView view, device->replica().Get(skye_));
    ASSERT_EQ(view.conflicts.size(), 1u);
    EXPECT_EQ(view.conflicts[0].field, "address");
    EXPECT_EQ(view.conflicts[0].kind, merge::ConflictKind::kReview);
    EXPECT_EQ(CandidateValues(view.conflicts[0]), (std::set<std::string>{"2 Low Rd", "3 Mid Ln"}));
    EXPECT_FALSE(view.has_pending_changes);
  }
}

TEST_F(ConflictTest, LeadersResolutionLeavesTheQueueAndReachesEveryTablet) {
  Synced(*ana_);
  Synced(*ben_);
  auto lee = NewDevice("lee");
  ASSERT_TRUE(lee);
  Synced(*lee);
  // A worker may not settle it; the leader may, with a reason.
  EXPECT_FALSE(ana_->replica().Resolve(skye_, "address", "2 Low Rd", "mine").ok());
  ASSERT_THAT(lee->replica().Resolve(skye_, "address", "3 Mid Ln", "confirmed with Skye"), IsOk());
  const SyncRound resolved = Synced(*lee);
  EXPECT_EQ(Outcomes(resolved), std::vector{protocol::Outcome::kApplied});

  ASSERT_OK_AND_ASSIGN(auto queue, server_->store().ListConflicts());
  EXPECT_TRUE(queue.empty());
  Synced(*ana_);
  Synced(*ben_);
  ExpectSameRecord(*ana_, *ben_, skye_);
  ExpectSameRecord(*ana_, *lee, skye_);
  ASSERT_OK_AND_ASSIGN(replica::RecordView view, ben_->replica().Get(skye_));
  EXPECT_TRUE(view.conflicts.empty());
  EXPECT_EQ(view.values["address"], "3 Mid Ln");
}

}  // namespace
}  // namespace outreach::server::testing
