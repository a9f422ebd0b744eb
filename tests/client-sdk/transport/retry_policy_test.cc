#include "client-sdk/transport/retry_policy.h"

#include <gtest/gtest.h>

#include <chrono>

namespace outreach::client {
namespace {

using std::chrono::sys_days;
using std::chrono::system_clock;

constexpr BackoffSchedule kSchedule{/*initial_ms=*/100, /*max_ms=*/1'000};

// 2024-05-01 12:00:00 UTC.
system_clock::time_point Noon() {
  using namespace std::chrono;
  return sys_days{year{2024} / May / 1} + hours{12};
}

TEST(RetryPolicyTest, CeilingDoublesFromInitialUpToMax) {
  EXPECT_EQ(BackoffCeilingMs(kSchedule, 1), 100);
  EXPECT_EQ(BackoffCeilingMs(kSchedule, 2), 200);
  EXPECT_EQ(BackoffCeilingMs(kSchedule, 3), 400);
  EXPECT_EQ(BackoffCeilingMs(kSchedule, 4), 800);
  EXPECT_EQ(BackoffCeilingMs(kSchedule, 5), 1'000);
  EXPECT_EQ(BackoffCeilingMs(kSchedule, 1'000'000), 1'000);  // no overflow for huge counts
}

TEST(RetryPolicyTest, FullJitterStaysWithinZeroAndCeiling) {
  for (int retry = 1; retry <= 8; ++retry) {
    const long ceiling = BackoffCeilingMs(kSchedule, retry);
    for (double draw : {0.0, 0.25, 0.5, 0.999999, 1.0}) {
      const long delay = FullJitterBackoffMs(kSchedule, retry, draw);
      EXPECT_GE(delay, 0) << "retry " << retry << " draw " << draw;
      EXPECT_LE(delay, ceiling) << "retry " << retry << " draw " << draw;
    }
    EXPECT_EQ(FullJitterBackoffMs(kSchedule, retry, 0.0), 0);
    EXPECT_EQ(FullJitterBackoffMs(kSchedule, retry, 0.999999), ceiling);
  }
}

TEST(RetryPolicyTest, FullJitterSpreadsAcrossTheRange) {
  // Draws spread evenly over [0, 1) must give delays spread over the whole range, not
  // clustered at the ceiling as plain exponential backoff would.
  long low = 0, high = 0;
  for (int step = 0; step < 100; ++step) {
    const long delay = FullJitterBackoffMs(kSchedule, 4, step / 100.0);
    (delay < 400 ? low : high) += 1;
  }
  EXPECT_NEAR(low, 50, 2);
  EXPECT_NEAR(high, 50, 2);
}

TEST(RetryPolicyTest, RetryableStatusesAre5xxAnd429) {
  EXPECT_TRUE(IsRetryableHttpStatus(429));
  EXPECT_TRUE(IsRetryableHttpStatus(500));
  EXPECT_TRUE(IsRetryableHttpStatus(503));
  EXPECT_TRUE(IsRetryableHttpStatus(599));
  EXPECT_FALSE(IsRetryableHttpStatus(200));
  EXPECT_FALSE(IsRetryableHttpStatus(400));
  EXPECT_FALSE(IsRetryableHttpStatus(401));
  EXPECT_FALSE(IsRetryableHttpStatus(413));
}

TEST(RetryPolicyTest, RetryAfterDeltaSeconds) {
  EXPECT_EQ(ParseRetryAfterMs("1", Noon()), 1'000);
  EXPECT_EQ(ParseRetryAfterMs("0", Noon()), 0);
  EXPECT_EQ(ParseRetryAfterMs(" 120 ", Noon()), 120'000);
  // Absurd values saturate instead of overflowing.
  EXPECT_GT(ParseRetryAfterMs("99999999999999999999999", Noon()).value(), 1'000'000);
}

TEST(RetryPolicyTest, RetryAfterHttpDate) {
  EXPECT_EQ(ParseRetryAfterMs("Wed, 01 May 2024 12:00:30 GMT", Noon()), 30'000);
  EXPECT_EQ(ParseRetryAfterMs("Wednesday, 01-May-24 12:01:00 GMT", Noon()), 60'000);
  EXPECT_EQ(ParseRetryAfterMs("Wed May  1 12:00:05 2024", Noon()), 5'000);
  // A date in the past means "now".
  EXPECT_EQ(ParseRetryAfterMs("Wed, 01 May 2024 11:00:00 GMT", Noon()), 0);
  // Centuries ahead must not overflow the clock's nanoseconds.
  EXPECT_GT(ParseRetryAfterMs("Fri, 31 Dec 9999 23:59:59 GMT", Noon()).value(), 1'000'000);
}

TEST(RetryPolicyTest, MalformedRetryAfterIsIgnored) {
  for (const char* value : {"", "soon", "-5", "1.5", "10s", "Wed, 01 May 2024 12:00:30 PST",
                            "Wed, 31 Feb 2024 12:00:30 GMT", "Wed, 01 May 2024 25:00:00 GMT"}) {
    EXPECT_FALSE(ParseRetryAfterMs(value, Noon()).has_value()) << value;
  }
}

TEST(RetryPolicyTest, DelayPrefersRetryAfterButCapsIt) {
  EXPECT_EQ(RetryDelayMs(kSchedule, 1, 0.5, 700), 700);
  EXPECT_EQ(RetryDelayMs(kSchedule, 1, 0.5, 0), 0);
  EXPECT_EQ(RetryDelayMs(kSchedule, 1, 0.5, 3'600'000), 1'000);  // capped at max_ms
  EXPECT_EQ(RetryDelayMs(kSchedule, 1, 0.5, std::nullopt), FullJitterBackoffMs(kSchedule, 1, 0.5));
}

}  // namespace
}  // namespace outreach::client
