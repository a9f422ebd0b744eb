#include "core/model/hybrid_clock.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <limits>
#include <set>
#include <thread>
#include <vector>

#include "core/model/physical_clock.h"
#include "tests/testing/status_matchers.h"

namespace outreach::model {
namespace {

using ::outreach::testing::IsOk;
using ::outreach::testing::StatusIs;

constexpr std::int64_t kT = 1'764'070'000'000;  // 2025-11-25, an arbitrary "now"
constexpr std::int64_t kDayMs = 24 * 60 * 60 * 1000;
constexpr std::uint32_t kMaxCounter = std::numeric_limits<std::uint32_t>::max();

TEST(HybridClockTest, TicksWithinOneMillisecondCountUp) {
  ManualClock wall(kT);
  HybridClock clock(&wall);
  EXPECT_EQ(clock.Now(), (Hlc{kT, 0}));
  EXPECT_EQ(clock.Now(), (Hlc{kT, 1}));
  EXPECT_EQ(clock.Now(), (Hlc{kT, 2}));
  EXPECT_EQ(clock.last_issued(), (Hlc{kT, 2}));
}

TEST(HybridClockTest, NewMillisecondRestartsCounter) {
  ManualClock wall(kT);
  HybridClock clock(&wall);
  (void)clock.Now();
  (void)clock.Now();
  wall.Advance(1);
  EXPECT_EQ(clock.Now(), (Hlc{kT + 1, 0}));
  wall.Advance(40);
  EXPECT_EQ(clock.Now(), (Hlc{kT + 41, 0}));
}

TEST(HybridClockTest, FirstReadingIsNeverZero) {
  ManualClock wall(-5);  // a clock before 1970 reads as 0
  HybridClock clock(&wall);
  const Hlc first = clock.Now();
  EXPECT_FALSE(first.IsZero());
  EXPECT_EQ(first, (Hlc{0, 1}));
}

TEST(HybridClockTest, WallClockJumpingBackADayKeepsReadingsIncreasing) {
  ManualClock wall(kT);
  HybridClock clock(&wall);
  Hlc previous = clock.Now();
  ASSERT_EQ(previous, (Hlc{kT, 0}));

  wall.Set(kT - kDayMs);
  for (int i = 0; i < 1000; ++i) {
    const Hlc reading = clock.Now();
    ASSERT_GT(reading, previous);
    // The physical part stays at the highest time seen; only the counter moves.
    ASSERT_EQ(reading.physical_ms, kT);
    previous = reading;
    wall.Advance(kDayMs / 1000 - 1);  // wall time passes, still behind kT
  }
  EXPECT_EQ(previous, (Hlc{kT, 1000}));

  // Wall time reaching kT still counts up; passing it, the clock follows wall time again.
  wall.Set(kT);
  EXPECT_EQ(clock.Now(), (Hlc{kT, 1001}));
  wall.Set(kT + 1);
  EXPECT_EQ(clock.Now(), (Hlc{kT + 1, 0}));
}

TEST(HybridClockTest, WallClockJumpingForwardIsFollowed) {
  ManualClock wall(kT);
  HybridClock clock(&wall);
  (void)clock.Now();
  wall.Set(kT + kDayMs);
  EXPECT_EQ(clock.Now(), (Hlc{kT + kDayMs, 0}));
}

TEST(HybridClockTest, ObservingAReadingAheadMakesTheNextReadingGreater) {
  ManualClock wall(kT);
  HybridClock clock(&wall);
  (void)clock.Now();
  const Hlc remote{kT + 60'000, 7};
  ASSERT_THAT(clock.Observe(remote), IsOk());
  const Hlc next = clock.Now();
  EXPECT_GT(next, remote);
  EXPECT_EQ(next, (Hlc{kT + 60'000, 8}));
  wall.Set(kT + 60'001);
  EXPECT_EQ(clock.Now(), (Hlc{kT + 60'001, 0}));
}

TEST(HybridClockTest, ObservingAReadingBehindChangesNothing) {
  ManualClock wall(kT);
  HybridClock clock(&wall);
  ASSERT_EQ(clock.Now(), (Hlc{kT, 0}));
  ASSERT_THAT(clock.Observe(Hlc{kT - 1'000, 99}), IsOk());
  EXPECT_EQ(clock.last_issued(), (Hlc{kT, 0}));
  EXPECT_EQ(clock.Now(), (Hlc{kT, 1}));
}

TEST(HybridClockTest, ObserveAcceptsAReadingFarAhead) {
  // The device takes the server's clock as authoritative; CheckSkew protects the server.
  ManualClock wall(kT);
  HybridClock clock(&wall);
  ASSERT_THAT(clock.Observe(Hlc{kT + kDayMs, 0}), IsOk());
  EXPECT_EQ(clock.Now(), (Hlc{kT + kDayMs, 1}));
}

TEST(HybridClockTest, ObserveRejectsInvalidReadings) {
  ManualClock wall(kT);
  HybridClock clock(&wall);
  ASSERT_EQ(clock.Now(), (Hlc{kT, 0}));
  EXPECT_THAT(clock.Observe(Hlc{-1, 0}), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(clock.Observe(Hlc{kMaxHlcPhysicalMs + 1, 0}), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(clock.Observe(Hlc{std::numeric_limits<std::int64_t>::max(), kMaxCounter}),
              StatusIs(StatusCode::kInvalidArgument));
  EXPECT_EQ(clock.last_issued(), (Hlc{kT, 0}));
  EXPECT_THAT(clock.Observe(Hlc{kMaxHlcPhysicalMs, 0}), IsOk());  // the bound itself is valid
}

TEST(HybridClockTest, RestartWithLastIssuedStaysMonotonic) {
  ManualClock wall(kT);
  Hlc persisted;
  {
    HybridClock clock(&wall);
    for (int i = 0; i < 5; ++i) (void)clock.Now();
    persisted = clock.last_issued();
  }
  ASSERT_EQ(persisted, (Hlc{kT, 4}));
  wall.Set(kT - kDayMs);  // the tablet rebooted with its clock a day back
  HybridClock restored(&wall, persisted);
  EXPECT_EQ(restored.Now(), (Hlc{kT, 5}));
}

TEST(HybridClockTest, RestartRestoresOffset) {
  ManualClock wall(kT);
  std::int64_t persisted_offset = 0;
  {
    HybridClock clock(&wall);
    clock.AdjustToServerTime(kT + 30'000);
    persisted_offset = clock.offset_ms();
  }
  EXPECT_EQ(persisted_offset, 30'000);
  HybridClock restored(&wall, Hlc{}, persisted_offset);
  EXPECT_EQ(restored.offset_ms(), 30'000);
  EXPECT_EQ(restored.Now(), (Hlc{kT + 30'000, 0}));
}

TEST(HybridClockTest, CounterOverflowBorrowsTheNextMillisecond) {
  ManualClock wall(kT - kDayMs);
  HybridClock clock(&wall, Hlc{kT, kMaxCounter - 1});
  EXPECT_EQ(clock.Now(), (Hlc{kT, kMaxCounter}));
  EXPECT_EQ(clock.Now(), (Hlc{kT + 1, 0}));
  EXPECT_EQ(clock.Now(), (Hlc{kT + 1, 1}));
}

TEST(HybridClockTest, ObservedReadingWithMaxCounterBorrowsTheNextMillisecond) {
  ManualClock wall(kT);
  HybridClock clock(&wall);
  ASSERT_THAT(clock.Observe(Hlc{kT + 10, kMaxCounter}), IsOk());
  EXPECT_EQ(clock.Now(), (Hlc{kT + 11, 0}));
}

TEST(HybridClockTest, ConcurrentReadingsAreUniqueAndIncreasingPerThread) {
  ManualClock wall(kT);
  HybridClock clock(&wall);
  constexpr int kThreads = 4;
  constexpr int kReadingsPerThread = 10'000;
  std::vector<std::vector<Hlc>> readings(kThreads);
  std::atomic<bool> done{false};
  // Meanwhile the wall clock wanders forward and back.
  std::thread wanderer([&] {
    for (int step = 0; !done.load(); ++step) wall.Advance(step % 3 == 0 ? -5 : 3);
  });
  std::vector<std::thread> writers;
  for (int t = 0; t < kThreads; ++t) {
    writers.emplace_back([&, t] {
      for (int i = 0; i < kReadingsPerThread; ++i) readings[t].push_back(clock.Now());
    });
  }
  for (std::thread& writer : writers) writer.join();
  done.store(true);
  wanderer.join();

  std::set<Hlc> all;
  for (const std::vector<Hlc>& thread_readings : readings) {
    for (std::size_t i = 1; i < thread_readings.size(); ++i) {
      ASSERT_LT(thread_readings[i - 1], thread_readings[i]);
    }
    all.insert(thread_readings.begin(), thread_readings.end());
  }
  EXPECT_EQ(all.size(), std::size_t{kThreads * kReadingsPerThread});
  EXPECT_EQ(*all.rbegin(), clock.last_issued());
}

}  // namespace
}  // namespace outreach::model
