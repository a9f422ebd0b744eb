// A tablet whose clock runs ahead: the server refuses readings too far in its future with
// 409 clock_skew carrying its time; the device re-stamps its unsent changes from it and the
// next push goes through (DESIGN.md section 3).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/model/hybrid_clock.h"
#include "tests/sync-server/sync_fixture.h"
#include "tests/testing/status_matchers.h"

namespace outreach::server::testing {
namespace {

using model::Json;
using ::outreach::testing::IsOk;

constexpr std::int64_t kDayMs = 24LL * 3600 * 1000;

class ClockSkewTest : public SyncFixture {};

TEST_F(ClockSkewTest, ChangesStampedADayAheadAreRefusedUntilRestamped) {
  model::ManualClock tablet_clock(server_->clock().NowMs() + kDayMs);
  auto ana = NewDevice("ana", &tablet_clock);
  auto ben = NewDevice("ben");
  ASSERT_TRUE(ana && ben);
  ASSERT_OK_AND_ASSIGN(std::string skye, ana->replica().Create("young_person", YoungPerson(*ana, "Skye")));
  tablet_clock.Advance(500);
  ASSERT_THAT(ana->replica().Update(skye, Json{{"address", "1 High St"}}), IsOk());

  ASSERT_OK_AND_ASSIGN(SyncRound refused, ana->Sync());
  ASSERT_TRUE(refused.refusal);
  EXPECT_EQ(refused.refusal->http_status, 409);
  EXPECT_EQ(refused.refusal->body.error, "clock_skew");
  const std::int64_t server_time = refused.refusal->body.server_time_ms;
  EXPECT_EQ(server_time, server_->clock().NowMs());
  EXPECT_EQ(StoreCounts(), std::make_pair(std::int64_t{0}, std::int64_t{0}));
  ASSERT_OK_AND_ASSIGN(auto unsent, ana->replica().Outbox(replica::OutboxStatus::kPending));
  EXPECT_EQ(unsent.size(), 2u) << "nothing is dropped";

  ASSERT_THAT(ana->replica().RestampPending(server_time), IsOk());
  ASSERT_OK_AND_ASSIGN(auto restamped, ana->replica().Outbox(replica::OutboxStatus::kPending));
  for (const auto& entry : restamped) {
    EXPECT_THAT(model::HybridClock::CheckSkew(entry.change.version.hlc, server_time), IsOk());
  }
  const SyncRound accepted = Synced(*ana);
  ASSERT_EQ(accepted.results.size(), 2u);
  for (const auto& result : accepted.results) EXPECT_EQ(result.outcome, protocol::Outcome::kApplied);

  Synced(*ben);
  ExpectSameRecord(*ana, *ben, skye);
  ASSERT_OK_AND_ASSIGN(replica::RecordView view, ben->replica().Get(skye));
  EXPECT_EQ(view.values["address"], "1 High St");
  EXPECT_TRUE(view.conflicts.empty()) << "the edit still supersedes the create";
}

TEST_F(ClockSkewTest, ReadingsUpToTheAllowedDriftAreAccepted) {
  model::ManualClock tablet_clock(server_->clock().NowMs() + model::HybridClock::kMaxClockDrift);
  auto ana = NewDevice("ana", &tablet_clock);
  ASSERT_TRUE(ana);
  ASSERT_OK_AND_ASSIGN(std::string skye, ana->replica().Create("young_person", YoungPerson(*ana, "Skye")));
  Synced(*ana);

  tablet_clock.Advance(1);
  ASSERT_THAT(ana->replica().Update(skye, Json{{"address", "1 High St"}}), IsOk());
  ASSERT_OK_AND_ASSIGN(SyncRound refused, ana->Sync());
  ASSERT_TRUE(refused.refusal);
  EXPECT_EQ(refused.refusal->http_status, 409);
}

// The refusal says the highest reading of the device's changes the server stores, so a device
// whose earlier refusal was lost need not stay above that push's readings (restamp-floor).
TEST_F(ClockSkewTest, TheRefusalCarriesTheHighestReadingStoredOfTheDevice) {
  model::ManualClock tablet_clock(server_->clock().NowMs());
  auto ana = NewDevice("ana", &tablet_clock);
  ASSERT_TRUE(ana);
  tablet_clock.Advance(kDayMs);
  ASSERT_OK_AND_ASSIGN(std::string skye, ana->replica().Create("young_person", YoungPerson(*ana, "Skye")));
  ASSERT_OK_AND_ASSIGN(SyncRound first, ana->Sync());
  ASSERT_TRUE(first.refusal);
  EXPECT_EQ(first.refusal->body.stored_reading, model::Hlc{}) << "nothing stored yet";

  ASSERT_THAT(ana->replica().RestampPending(first.refusal->body.server_time_ms), IsOk());
  ASSERT_THAT(ana->replica().Update(skye, Json{{"address", "1 High St"}}), IsOk());
  ASSERT_OK_AND_ASSIGN(auto pushed, ana->replica().Outbox(replica::OutboxStatus::kPending));
  ASSERT_EQ(pushed.size(), 2u);
  Synced(*ana);

  tablet_clock.Advance(kDayMs);
  ASSERT_THAT(ana->replica().Update(skye, Json{{"address", "2 Low Rd"}}), IsOk());
  ASSERT_OK_AND_ASSIGN(SyncRound refused, ana->Sync());
  ASSERT_TRUE(refused.refusal);
  EXPECT_EQ(refused.refusal->body.error, "clock_skew");
  EXPECT_EQ(refused.refusal->body.stored_reading, pushed.back().change.version.hlc);
}

}  // namespace
}  // namespace outreach::server::testing
