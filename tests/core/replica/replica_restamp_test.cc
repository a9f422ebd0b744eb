// Re-stamping after clock_skew when the server says which of this device's readings it holds
// (RestampPending's `server_holds`): a push whose answer was lost no longer holds the floor
// up beyond what the server really stores, and nothing the server holds is ever reused.
#include <gtest/gtest.h>

#include "core/model/hybrid_clock.h"
#include "tests/core/replica/replica_fixture.h"
#include "tests/testing/status_matchers.h"

namespace outreach::replica {
namespace {

using ::outreach::testing::IsOk;

constexpr std::int64_t kDayMs = 24LL * 3600 * 1000;

class ReplicaRestampTest : public testing::ReplicaFixture {
 protected:
  // A tablet a day fast writes two changes and pushes them; the server refuses them with
  // clock_skew, but that answer is lost, so the retry marks them sending again (which used
  // to move their readings, a day ahead, into the floor). Returns the server's time.
  std::int64_t PushADayAheadWhoseRefusalWasLost() {
    const std::int64_t server_now = clock_.NowMs();
    clock_.Advance(kDayMs);
    auto id = replica_->Create("young_person", YoungPerson("Skye"));
    EXPECT_TRUE(id.ok()) << id.status().ToString();
    EXPECT_THAT(replica_->Update(*id, model::Json{{"known_as", "Sky"}}), IsOk());
    EXPECT_THAT(replica_->MarkSending(), IsOk());  // refused with clock_skew; the answer lost
    EXPECT_THAT(replica_->MarkSending(), IsOk());  // the retry
    return server_now;
  }

  std::vector<OutboxEntry> Pending() {
    auto pending = replica_->Outbox(OutboxStatus::kPending);
    EXPECT_TRUE(pending.ok()) << pending.status().ToString();
    return pending.ok() ? *pending : std::vector<OutboxEntry>{};
  }
};

// Regression (restamp-floor): the device was refused again and again until real time caught up
// with its lost push's readings, a day later.
TEST_F(ReplicaRestampTest, ServerHoldingNothingLetsALostDayAheadPushRestampAtOnce) {
  const std::int64_t server_now = PushADayAheadWhoseRefusalWasLost();
  ASSERT_THAT(replica_->RestampPending(server_now, model::Hlc{}), IsOk());
  const auto after = Pending();
  ASSERT_EQ(after.size(), 2u);
  for (const OutboxEntry& entry : after) {
    EXPECT_LT(entry.change.version.hlc.physical_ms, server_now + model::HybridClock::kMaxClockDrift);
    EXPECT_THAT(model::HybridClock::CheckSkew(entry.change.version.hlc, server_now), IsOk());
  }
}

TEST_F(ReplicaRestampTest, RestampedReadingsStayAboveWhatTheServerHolds) {
  const std::int64_t server_now = PushADayAheadWhoseRefusalWasLost();
  const model::Hlc holds{server_now + 60'000, 7};
  ASSERT_THAT(replica_->RestampPending(server_now, holds), IsOk());
  for (const OutboxEntry& entry : Pending()) {
    EXPECT_LT(holds, entry.change.version.hlc) << "a reading the server holds could repeat";
    EXPECT_THAT(model::HybridClock::CheckSkew(entry.change.version.hlc, server_now), IsOk());
  }
  // Remembered: a later re-stamp (the server now saying nothing) still stays above it.
  replica_ = OpenReplica("worker");
  ASSERT_THAT(replica_->MarkSending(), IsOk());
  ASSERT_THAT(replica_->RestampPending(server_now), IsOk());
  for (const OutboxEntry& entry : Pending()) EXPECT_LT(holds, entry.change.version.hlc);
}

TEST_F(ReplicaRestampTest, ReadingsFromElsewhereStillHoldTheFloor) {
  const model::Hlc remote{clock_.NowMs() + 120'000, 3};
  ASSERT_THAT(replica_->ObserveClock(remote), IsOk());
  replica_ = OpenReplica("worker");  // only the stored floor remembers the remote reading
  const std::int64_t server_now = PushADayAheadWhoseRefusalWasLost();
  ASSERT_THAT(replica_->RestampPending(server_now, model::Hlc{}), IsOk());
  for (const OutboxEntry& entry : Pending()) {
    EXPECT_LT(remote, entry.change.version.hlc);
    EXPECT_THAT(model::HybridClock::CheckSkew(entry.change.version.hlc, server_now), IsOk());
  }
}

// An older server says nothing: the lost push's readings still hold the floor, as before.
TEST_F(ReplicaRestampTest, WithoutTheServersWordALostPushStillHoldsTheFloor) {
  const std::int64_t server_now = PushADayAheadWhoseRefusalWasLost();
  const auto before = Pending();
  ASSERT_THAT(replica_->RestampPending(server_now), IsOk());
  for (const OutboxEntry& entry : Pending()) {
    EXPECT_LT(before.back().change.version.hlc, entry.change.version.hlc);
  }
}

}  // namespace
}  // namespace outreach::replica
