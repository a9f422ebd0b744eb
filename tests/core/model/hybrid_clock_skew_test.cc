// The clock_skew half of HybridClock: the server's CheckSkew, the error's server time, and the
// device's AdjustToServerTime / RewindForRestamp (core/model/hybrid_clock.h).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <optional>
#include <vector>

#include "core/model/hybrid_clock.h"
#include "core/model/physical_clock.h"
#include "tests/testing/status_matchers.h"

namespace outreach::model {
namespace {

using ::outreach::testing::IsOk;
using ::outreach::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Optional;

constexpr std::int64_t kServerNow = 1'764'070'000'000;
constexpr std::int64_t kOneDayMs = 24 * 60 * 60 * 1000;
constexpr std::int64_t kMaxDrift = HybridClock::kMaxClockDrift;

TEST(HybridClockSkewTest, MaxClockDriftIsFiveMinutes) { EXPECT_EQ(kMaxDrift, 300'000); }

TEST(HybridClockSkewTest, CheckSkewAcceptsReadingsWithinTheBound) {
  EXPECT_THAT(HybridClock::CheckSkew(Hlc{kServerNow - kOneDayMs, 3}, kServerNow), IsOk());
  EXPECT_THAT(HybridClock::CheckSkew(Hlc{kServerNow, 0}, kServerNow), IsOk());
  EXPECT_THAT(HybridClock::CheckSkew(Hlc{kServerNow + kMaxDrift, 9}, kServerNow), IsOk());
}

TEST(HybridClockSkewTest, CheckSkewRejectsReadingsBeyondTheBoundWithServerTime) {
  const Status status = HybridClock::CheckSkew(Hlc{kServerNow + kMaxDrift + 1, 0}, kServerNow);
  EXPECT_THAT(status, StatusIs(StatusCode::kClockSkew));
  EXPECT_THAT(status.ToString(), HasSubstr("clock_skew: "));
  EXPECT_THAT(status.message(), HasSubstr("server_time_ms=1764070000000"));
  EXPECT_THAT(ServerTimeFromSkewError(status), Optional(kServerNow));
}

TEST(HybridClockSkewTest, CheckSkewTakesACustomBound) {
  EXPECT_THAT(HybridClock::CheckSkew(Hlc{kServerNow + 1'000, 0}, kServerNow, 1'000), IsOk());
  EXPECT_THAT(HybridClock::CheckSkew(Hlc{kServerNow + 1'001, 0}, kServerNow, 1'000),
              StatusIs(StatusCode::kClockSkew));
}

TEST(HybridClockSkewTest, CheckSkewSurvivesExtremeValues) {
  EXPECT_THAT(HybridClock::CheckSkew(Hlc{std::numeric_limits<std::int64_t>::max(), 0},
                                     std::numeric_limits<std::int64_t>::min()),
              StatusIs(StatusCode::kClockSkew));
  EXPECT_THAT(HybridClock::CheckSkew(Hlc{std::numeric_limits<std::int64_t>::min(), 0},
                                     std::numeric_limits<std::int64_t>::max()),
              IsOk());
}

TEST(HybridClockSkewTest, ClockSkewErrorRoundTripsServerTime) {
  EXPECT_THAT(ServerTimeFromSkewError(ClockSkewError(kServerNow)), Optional(kServerNow));
  EXPECT_EQ(ClockSkewError(kServerNow).message(), "server_time_ms=1764070000000");
  EXPECT_THAT(ServerTimeFromSkewError(ClockSkewError(-42, "detail")), Optional(-42));
  EXPECT_EQ(ClockSkewError(7, "too fast").message(), "too fast; server_time_ms=7");
}

TEST(HybridClockSkewTest, ServerTimeFromSkewErrorRejectsOtherStatuses) {
  EXPECT_EQ(ServerTimeFromSkewError(Status::Ok()), std::nullopt);
  EXPECT_EQ(ServerTimeFromSkewError(Status(StatusCode::kAborted, "server_time_ms=5")),
            std::nullopt);
  EXPECT_EQ(ServerTimeFromSkewError(Status(StatusCode::kClockSkew, "no time here")), std::nullopt);
  EXPECT_EQ(ServerTimeFromSkewError(Status(StatusCode::kClockSkew, "server_time_ms=")),
            std::nullopt);
  EXPECT_EQ(ServerTimeFromSkewError(Status(StatusCode::kClockSkew, "server_time_ms=12ab")),
            std::nullopt);
  EXPECT_EQ(ServerTimeFromSkewError(
                Status(StatusCode::kClockSkew, "server_time_ms=99999999999999999999999")),
            std::nullopt);
  EXPECT_THAT(ServerTimeFromSkewError(Status(StatusCode::kClockSkew, "server_time_ms=12; x")),
              Optional(12));
}

TEST(HybridClockSkewTest, AdjustToServerTimeMakesASlowDeviceFollowTheServer) {
  ManualClock wall(kServerNow - kOneDayMs);
  HybridClock clock(&wall);
  (void)clock.Now();
  clock.AdjustToServerTime(kServerNow);
  EXPECT_EQ(clock.offset_ms(), kOneDayMs);
  EXPECT_EQ(clock.Now(), (Hlc{kServerNow, 0}));
  wall.Advance(250);
  EXPECT_EQ(clock.Now(), (Hlc{kServerNow + 250, 0}));
}

// Pins the documented behaviour: adjusting alone never goes below last_issued(), so a device a
// day fast stays on its last physical_ms, counting up, until server time catches up with it.
TEST(HybridClockSkewTest, AdjustToServerTimeNeverGoesBelowLastIssued) {
  ManualClock wall(kServerNow + kOneDayMs);
  HybridClock clock(&wall);
  ASSERT_EQ(clock.Now(), (Hlc{kServerNow + kOneDayMs, 0}));

  clock.AdjustToServerTime(kServerNow);
  EXPECT_EQ(clock.offset_ms(), -kOneDayMs);
  EXPECT_EQ(clock.last_issued(), (Hlc{kServerNow + kOneDayMs, 0}));
  EXPECT_EQ(clock.Now(), (Hlc{kServerNow + kOneDayMs, 1}));
  wall.Advance(kOneDayMs / 2);
  EXPECT_EQ(clock.Now(), (Hlc{kServerNow + kOneDayMs, 2}));
  wall.Advance(kOneDayMs / 2 + 1);  // adjusted time passes the last reading
  EXPECT_EQ(clock.Now(), (Hlc{kServerNow + kOneDayMs + 1, 0}));
}

// The whole clock_skew round trip for a device a day fast with three unsent changes.
TEST(HybridClockSkewTest, RewindForRestampGivesReadingsTheServerAccepts) {
  ManualClock wall(kServerNow - 60'000);
  HybridClock clock(&wall);
  // Synced a minute ago: this reading of ours reached the server, and we saw one of another's.
  const Hlc last_sent = clock.Now();
  const Hlc seen_remote{kServerNow - 30'000, 4};
  ASSERT_THAT(clock.Observe(seen_remote), IsOk());

  // The tablet's clock jumps a day ahead; three changes are made offline.
  wall.Set(kServerNow + kOneDayMs);
  std::vector<Hlc> unsent = {clock.Now(), clock.Now(), clock.Now()};
  const Status refused = HybridClock::CheckSkew(unsent.front(), kServerNow);
  ASSERT_THAT(refused, StatusIs(StatusCode::kClockSkew));

  std::optional<std::int64_t> server_time = ServerTimeFromSkewError(refused);
  ASSERT_TRUE(server_time.has_value());
  clock.AdjustToServerTime(*server_time);
  ASSERT_THAT(clock.RewindForRestamp(last_sent), IsOk());
  Hlc previous = std::max(last_sent, seen_remote);
  for (Hlc& reading : unsent) {
    reading = clock.Now();
    EXPECT_GT(reading, previous);
    EXPECT_EQ(reading.physical_ms, kServerNow);  // adjusted wall time, the counter orders them
    EXPECT_THAT(HybridClock::CheckSkew(reading, kServerNow), IsOk());
    previous = reading;
  }
  EXPECT_EQ(clock.last_issued(), unsent.back());
}

TEST(HybridClockSkewTest, RewindForRestampKeepsObservedReadingsBelow) {
  ManualClock wall(kServerNow + kOneDayMs);
  HybridClock clock(&wall);
  const Hlc seen_remote{kServerNow + 1'000, 6};  // another device, a little ahead
  ASSERT_THAT(clock.Observe(seen_remote), IsOk());
  (void)clock.Now();
  clock.AdjustToServerTime(kServerNow);
  ASSERT_THAT(clock.RewindForRestamp(Hlc{kServerNow - 5'000, 0}), IsOk());
  EXPECT_EQ(clock.last_issued(), seen_remote);
  EXPECT_EQ(clock.Now(), (Hlc{kServerNow + 1'000, 7}));
}

TEST(HybridClockSkewTest, RewindForRestampRejectsInvalidFloor) {
  ManualClock wall(kServerNow);
  HybridClock clock(&wall);
  const Hlc issued = clock.Now();
  EXPECT_THAT(clock.RewindForRestamp(Hlc{-1, 0}), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_EQ(clock.last_issued(), issued);
}

}  // namespace
}  // namespace outreach::model
