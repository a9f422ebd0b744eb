#include "core/model/physical_clock.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>

namespace outreach::model {
namespace {

TEST(PhysicalClockTest, ManualClockMovesOnlyWhenTold) {
  ManualClock clock(1'000);
  EXPECT_EQ(clock.NowMs(), 1'000);
  EXPECT_EQ(clock.NowMs(), 1'000);
  clock.Advance(25);
  EXPECT_EQ(clock.NowMs(), 1'025);
  clock.Advance(-1'000);  // a wall clock may be set back
  EXPECT_EQ(clock.NowMs(), 25);
  clock.Set(-7);
  EXPECT_EQ(clock.NowMs(), -7);
}

TEST(PhysicalClockTest, SystemClockReadsUnixMilliseconds) {
  SystemClock clock;
  const std::int64_t before = std::chrono::duration_cast<std::chrono::milliseconds>(
                                  std::chrono::system_clock::now().time_since_epoch())
                                  .count();
  const std::int64_t reading = clock.NowMs();
  EXPECT_GE(reading, before);
  EXPECT_LT(reading, before + 60'000);
  EXPECT_GT(reading, 1'577'836'800'000);  // after 2020-01-01: milliseconds, not seconds
}

}  // namespace
}  // namespace outreach::model
