#include "core/base/hex.h"

#include <array>
#include <cstdint>

#include <gtest/gtest.h>

namespace outreach {
namespace {

TEST(HexTest, TwoLowercaseDigitsPerByteInOrder) {
  const std::array<std::uint8_t, 5> bytes{0x00, 0x0f, 0xa5, 0x7c, 0xff};
  EXPECT_EQ(ToHex(bytes), "000fa57cff");
}

TEST(HexTest, NoBytesIsEmpty) { EXPECT_EQ(ToHex({}), ""); }

TEST(HexTest, AHashIsSixtyFourDigits) {
  std::array<std::uint8_t, 32> hash{};
  hash.back() = 1;
  EXPECT_EQ(ToHex(hash), std::string(62, '0') + "01");
}

}  // namespace
}  // namespace outreach
