#include "core/model/uuid.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

namespace outreach::model {
namespace {

using ::testing::MatchesRegex;
using ::testing::Optional;

constexpr std::int64_t kNowMs = 1'764'070'000'000;
constexpr std::int64_t kMaxTimestampMs = (std::int64_t{1} << 48) - 1;

TEST(UuidTest, NewUuidV7IsCanonicalText) {
  const std::string id = NewUuidV7(kNowMs);
  EXPECT_THAT(id, MatchesRegex("[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-"
                               "[0-9a-f]{12}"));
  EXPECT_TRUE(IsUuid(id));
}

TEST(UuidTest, NewUuidV7SetsVersionAndVariantBits) {
  for (int i = 0; i < 1000; ++i) {
    const std::string id = NewUuidV7(kNowMs + i / 10);
    ASSERT_EQ(id[14], '7') << id;  // version nibble
    // Variant 10: the top two bits of the 9th byte, the first digit of the fourth group.
    const int variant_digit = std::stoi(id.substr(19, 1), nullptr, 16);
    ASSERT_EQ(variant_digit >> 2, 0b10) << id;
  }
}

TEST(UuidTest, TimestampRoundTrips) {
  for (std::int64_t unix_ms :
       {std::int64_t{0}, std::int64_t{1}, kNowMs, kNowMs + 1, kMaxTimestampMs}) {
    const std::string id = NewUuidV7(unix_ms);
    EXPECT_THAT(UuidV7Timestamp(id), Optional(unix_ms)) << id;
  }
  EXPECT_EQ(NewUuidV7(kNowMs).substr(0, 13), "019abac4-0580");  // kNowMs is 0x019abac40580
}

TEST(UuidTest, TimestampIsClampedToFortyEightBits) {
  EXPECT_THAT(UuidV7Timestamp(NewUuidV7(-5)), Optional(0));
  EXPECT_THAT(UuidV7Timestamp(NewUuidV7(kMaxTimestampMs + 1)), Optional(kMaxTimestampMs));
}

TEST(UuidTest, RfcExampleParses) {
  // RFC 9562 appendix A.6, lowercased.
  const std::string id = "017f22e2-79b0-7cc3-98c4-dc0c0c07398f";
  EXPECT_TRUE(IsUuid(id));
  EXPECT_THAT(UuidV7Timestamp(id), Optional(0x017F22E279B0));
}

TEST(UuidTest, HundredThousandIdsAreUnique) {
  std::unordered_set<std::string> ids;
  for (int i = 0; i < 100'000; ++i) ids.insert(NewUuidV7(kNowMs + i / 1000));
  EXPECT_EQ(ids.size(), 100'000u);
}

TEST(UuidTest, IdsSortByTime) {
  // Increasing ms, with steps that carry across hex digits and the 32-bit boundary. Made in
  // reverse so that the order can only come from the timestamps.
  std::vector<std::int64_t> times = {0, 1, 15, 16, 255, 256, 0xffffffff, 0x100000000};
  times.insert(times.end(), {kNowMs, kNowMs + 1, kNowMs + 65'536, kNowMs * 2, kMaxTimestampMs});
  ASSERT_TRUE(std::is_sorted(times.begin(), times.end()));
  std::vector<std::string> ids(times.size());
  for (std::size_t i = times.size(); i-- > 0;) ids[i] = NewUuidV7(times[i]);
  for (std::size_t i = 1; i < ids.size(); ++i) EXPECT_LT(ids[i - 1], ids[i]) << times[i];
}

TEST(UuidTest, IdsInOneMillisecondSortInTheOrderTheyWereMade) {
  std::vector<std::string> ids;
  for (int i = 0; i < 10'000; ++i) ids.push_back(NewUuidV7(kNowMs + 5'000));
  for (std::size_t i = 1; i < ids.size(); ++i) ASSERT_LT(ids[i - 1], ids[i]);
}

TEST(UuidTest, ConcurrentIdsAreUnique) {
  constexpr int kThreads = 4;
  constexpr int kIdsPerThread = 25'000;
  std::vector<std::vector<std::string>> made(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&made, t] {
      for (int i = 0; i < kIdsPerThread; ++i) made[t].push_back(NewUuidV7(kNowMs + 9'000));
    });
  }
  for (std::thread& thread : threads) thread.join();
  std::unordered_set<std::string> ids;
  for (const std::vector<std::string>& thread_ids : made) {
    // One millisecond and one process-wide counter: each thread's ids come out in order.
    EXPECT_TRUE(std::is_sorted(thread_ids.begin(), thread_ids.end()));
    ids.insert(thread_ids.begin(), thread_ids.end());
  }
  EXPECT_EQ(ids.size(), std::size_t{kThreads * kIdsPerThread});
}

TEST(UuidTest, IsUuidAcceptsAnyVersionInCanonicalForm) {
  EXPECT_TRUE(IsUuid("f47ac10b-58cc-4372-a567-0e02b2c3d479"));  // v4
  EXPECT_TRUE(IsUuid("00000000-0000-0000-0000-000000000000"));  // nil
  EXPECT_TRUE(IsUuid("ffffffff-ffff-ffff-ffff-ffffffffffff"));  // max
}

TEST(UuidTest, IsUuidRejectsMalformedText) {
  EXPECT_FALSE(IsUuid(""));
  EXPECT_FALSE(IsUuid("F47AC10B-58CC-4372-A567-0E02B2C3D479"));    // uppercase
  EXPECT_FALSE(IsUuid("f47ac10b-58cc-4372-a567-0e02b2c3d47A"));    // one uppercase digit
  EXPECT_FALSE(IsUuid("f47ac10b-58cc-4372-a567-0e02b2c3d47"));     // too short
  EXPECT_FALSE(IsUuid("f47ac10b-58cc-4372-a567-0e02b2c3d4790"));   // too long
  EXPECT_FALSE(IsUuid("f47ac10g-58cc-4372-a567-0e02b2c3d479"));    // not hex
  EXPECT_FALSE(IsUuid("f47ac10b 58cc-4372-a567-0e02b2c3d479"));    // space for a dash
  EXPECT_FALSE(IsUuid("f47ac10b58cc4372a5670e02b2c3d479"));        // no dashes
  EXPECT_FALSE(IsUuid("f47ac10b5-8cc-4372-a567-0e02b2c3d479"));    // dash misplaced
  EXPECT_FALSE(IsUuid("{f47ac10b-58cc-4372-a567-0e02b2c3d479}"));  // braces
  EXPECT_FALSE(IsUuid("f47ac10b-58cc-4372-a567-0e02b2c3d47\n"));   // trailing newline
  EXPECT_FALSE(IsUuid(std::string_view("f47ac10b-58cc-4372-a567-0e02b2c3d47\0", 36)));
}

TEST(UuidTest, UuidV7TimestampRejectsOtherVersionsAndMalformedText) {
  EXPECT_EQ(UuidV7Timestamp("f47ac10b-58cc-4372-a567-0e02b2c3d479"), std::nullopt);  // v4
  EXPECT_EQ(UuidV7Timestamp("017f22e2-79b0-7cc3-c8c4-dc0c0c07398f"), std::nullopt);  // variant 110
  EXPECT_EQ(UuidV7Timestamp("017f22e2-79b0-7cc3-08c4-dc0c0c07398f"), std::nullopt);  // variant 0
  EXPECT_EQ(UuidV7Timestamp("017F22E2-79B0-7CC3-98C4-DC0C0C07398F"), std::nullopt);  // uppercase
  EXPECT_EQ(UuidV7Timestamp("not a uuid"), std::nullopt);
}

}  // namespace
}  // namespace outreach::model
