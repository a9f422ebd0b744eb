// RFC 3339 parsing to UTC and formatting back.
#include "core/schema/internal/rfc3339.h"

#include <gtest/gtest.h>

namespace outreach::schema::detail {
namespace {

std::optional<std::string> RoundTrip(const std::string& text) {
  const auto parsed = ParseRfc3339(text);
  if (!parsed) return std::nullopt;
  return FormatRfc3339Utc(*parsed);
}

TEST(Rfc3339Test, NormalisesToUtc) {
  EXPECT_EQ(RoundTrip("2024-05-01T21:30:00Z"), "2024-05-01T21:30:00Z");
  EXPECT_EQ(RoundTrip("2024-05-01T21:30:00+01:00"), "2024-05-01T20:30:00Z");
  EXPECT_EQ(RoundTrip("2024-05-01T00:30:00+01:00"), "2024-04-30T23:30:00Z");
  EXPECT_EQ(RoundTrip("2024-12-31T23:30:00-01:00"), "2025-01-01T00:30:00Z");
  EXPECT_EQ(RoundTrip("2024-05-01t21:30:00.123456789z"), "2024-05-01T21:30:00.123456789Z");
}

TEST(Rfc3339Test, LeapSecondRollsIntoTheNextMinute) {
  EXPECT_EQ(RoundTrip("2016-12-31T23:59:60Z"), "2017-01-01T00:00:00Z");
}

TEST(Rfc3339Test, RejectsMalformedOrImpossibleTimes) {
  for (const char* text :
       {"", "2024-05-01", "2024-05-01T21:30Z", "2024-05-01 21:30:00Z", "2024-05-01T21:30:00",
        "2024-13-01T00:00:00Z", "2023-02-29T00:00:00Z", "2024-04-31T00:00:00Z",
        "2024-05-01T24:00:00Z", "2024-05-01T21:60:00Z", "2024-05-01T21:30:61Z",
        "2024-05-01T21:30:00.Z", "2024-05-01T21:30:00.1234567890Z", "2024-05-01T21:30:00+1:00",
        "2024-05-01T21:30:00+24:00", "2024-05-01T21:30:00Zjunk", "24-05-01T21:30:00Z",
        "+2024-05-01T21:30:00Z"}) {
    EXPECT_EQ(ParseRfc3339(text), std::nullopt) << text;
  }
}

TEST(Rfc3339Test, AcceptsLeapDay) {
  EXPECT_EQ(RoundTrip("2024-02-29T12:00:00Z"), "2024-02-29T12:00:00Z");
}

TEST(Rfc3339Test, NoFormatPastYear9999) {
  auto parsed = ParseRfc3339("9999-12-31T23:00:00Z");
  ASSERT_TRUE(parsed.has_value());
  parsed->seconds += std::chrono::hours{72};
  EXPECT_EQ(FormatRfc3339Utc(*parsed), std::nullopt);
}

}  // namespace
}  // namespace outreach::schema::detail

namespace outreach::schema::detail {
namespace {

TEST(Rfc3339FormatTest, Dates) {
  EXPECT_TRUE(IsRfc3339Date("2024-02-29"));
  EXPECT_TRUE(IsRfc3339Date("0001-01-01"));
  for (const char* text : {"2023-02-29", "2024-2-29", "2024-02-29T00:00:00Z", "20240229", "",
                           "12024-01-01", "2024-00-10", "2024-01-32"}) {
    EXPECT_FALSE(IsRfc3339Date(text)) << text;
  }
}

TEST(Rfc3339FormatTest, Times) {
  EXPECT_TRUE(IsRfc3339Time("21:30:00Z"));
  EXPECT_TRUE(IsRfc3339Time("21:30:00.5+01:00"));
  EXPECT_TRUE(IsRfc3339Time("23:59:60z"));
  for (const char* text :
       {"21:30:00", "21:30Z", "24:00:00Z", "21:30:00+0100", "2024-01-01T21:30:00Z"}) {
    EXPECT_FALSE(IsRfc3339Time(text)) << text;
  }
}

TEST(Rfc3339FormatTest, DateTimesAreWhatParseAccepts) {
  EXPECT_TRUE(IsRfc3339DateTime("2024-05-01T21:30:00+01:00"));
  EXPECT_FALSE(IsRfc3339DateTime("2024-05-01T21:30:00"));
  EXPECT_FALSE(IsRfc3339DateTime(std::string(100000, '7') + "-01-01T00:00:00Z"));
}

}  // namespace
}  // namespace outreach::schema::detail
