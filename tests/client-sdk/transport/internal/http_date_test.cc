#include "client-sdk/transport/internal/http_date.h"

#include <gtest/gtest.h>

namespace outreach::client::detail {
namespace {

std::chrono::sys_seconds Expected() {
  using namespace std::chrono;
  return sys_days{year{1994} / November / 6} + hours{8} + minutes{49} + seconds{37};
}

TEST(HttpDateTest, AcceptsAllThreeFormats) {
  EXPECT_EQ(ParseHttpDate("Sun, 06 Nov 1994 08:49:37 GMT"), Expected());   // IMF-fixdate
  EXPECT_EQ(ParseHttpDate("Sunday, 06-Nov-94 08:49:37 GMT"), Expected());  // RFC 850
  EXPECT_EQ(ParseHttpDate("Sun Nov  6 08:49:37 1994"), Expected());        // asctime
}

TEST(HttpDateTest, TwoDigitYearsBelowSeventyAreThisCentury) {
  using namespace std::chrono;
  EXPECT_EQ(ParseHttpDate("Friday, 01-Mar-30 00:00:00 GMT"),
            sys_seconds{sys_days{year{2030} / March / 1}});
}

TEST(HttpDateTest, RejectsWhatIsNotAnHttpDate) {
  for (const char* text :
       {"", "GMT", "Sun, 06 Nov 1994 08:49:37", "Sun, 06 Nov 1994 08:49:37 UTC",
        "Sun, 06 Foo 1994 08:49:37 GMT", "Sun, 32 Nov 1994 08:49:37 GMT",
        "Sun, 06 Nov 1994 08:60:37 GMT", "Sun, 06 Nov 1994 8:49:37 GMT",
        "Sun, 06 Nov 1994 08:49:37 GMT extra", "Sun Nov  6 08:49:37 1994 GMT GMT",
        "123, 06 Nov 1994 08:49:37 GMT", "Sun, 06 Nov 19945 08:49:37 GMT"}) {
    EXPECT_FALSE(ParseHttpDate(text).has_value()) << text;
  }
}

}  // namespace
}  // namespace outreach::client::detail
