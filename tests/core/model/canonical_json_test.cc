// Canonical JSON: one spelling per value, whatever order or number form it was built with.
#include "core/model/canonical_json.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <random>
#include <string>

namespace outreach::model {
namespace {

using Json = nlohmann::json;

// A string is spelled as dump() spells it, whatever it holds: quotes, backslashes, control
// characters, DEL, UTF-8 and invalid UTF-8 (replaced), and plain text (quoted as it is).
TEST(CanonicalJsonTest, StringsAreSpelledAsDumpSpellsThem) {
  const std::string pieces[] = {"a", "Z", " ", "~", "0", "\"", "\\", "\n", "\t",
                                std::string(1, '\0'), "\x1f", "\x7f", "\xc3\xa9",
                                "\xf0\x9f\x98\x80", "\xff", "\x80", "\xc3", "-", "/"};
  std::mt19937 random(20261127);
  for (int i = 0; i < 20000; ++i) {
    std::string text;
    const int length = static_cast<int>(random() % 12);
    for (int k = 0; k < length; ++k) text += pieces[random() % std::size(pieces)];
    const Json value(text);
    ASSERT_EQ(CanonicalJson(value), value.dump(-1, ' ', false, Json::error_handler_t::replace))
        << "piece count " << length;
  }
  EXPECT_EQ(CanonicalJson(Json("0190a6c2-0000-7000-8000-0000000000e1")),
            "\"0190a6c2-0000-7000-8000-0000000000e1\"");
  EXPECT_EQ(CanonicalJson(Json("")), "\"\"");
}

// A random value with no number of two spellings: objects and arrays nested three deep of
// strings (plain or not, keys too), booleans, null and integers (signed and unsigned).
Json RandomValue(std::mt19937& random, int depth) {
  static const std::string kTexts[] = {
      "", "code", "older_partner", "a\"b", "back\\", "tab\t", "caf\xc3\xa9", "\xff",
      "0190a6c2-0000-7000-8000-0000000000e1"};
  const auto text = [&] { return kTexts[random() % std::size(kTexts)]; };
  switch (random() % (depth < 3 ? 8 : 6)) {
    case 0: return Json(text());
    case 1: return Json(random() % 2 == 0);
    case 2: return Json(nullptr);
    case 3: return Json(static_cast<std::int64_t>(random()) - (1LL << 31));
    case 4: return Json(std::numeric_limits<std::int64_t>::min() + static_cast<int>(random() % 2));
    case 5: return Json(std::numeric_limits<std::uint64_t>::max() - random() % 2);
    case 6: {
      Json object = Json::object();
      for (int n = static_cast<int>(random() % 4); n > 0; --n) {
        object[text()] = RandomValue(random, depth + 1);
      }
      return object;
    }
    default: {
      Json array = Json::array();
      for (int n = static_cast<int>(random() % 4); n > 0; --n) {
        array.push_back(RandomValue(random, depth + 1));
      }
      return array;
    }
  }
}

// Objects and arrays are spelled as dump() spells them, plain or not, at every depth.
TEST(CanonicalJsonTest, StructuresAreSpelledAsDumpSpellsThem) {
  std::mt19937 random(1127);
  int structured = 0;
  for (int i = 0; i < 20000; ++i) {
    const Json value = RandomValue(random, 0);
    structured += value.is_structured();
    ASSERT_EQ(CanonicalJson(value), value.dump(-1, ' ', false, Json::error_handler_t::replace));
  }
  EXPECT_GT(structured, 5000);
}

TEST(CanonicalJsonTest, SortsKeysAndDropsWhitespace) {
  const Json value = Json::parse(R"({ "b": 1, "a": {"z": true, "y": null}, "c": [3, 2] })");
  EXPECT_EQ(CanonicalJson(value), R"({"a":{"y":null,"z":true},"b":1,"c":[3,2]})");
}

TEST(CanonicalJsonTest, OneSpellingPerNumber) {
  EXPECT_EQ(CanonicalJson(Json(1.0)), "1");
  EXPECT_EQ(CanonicalJson(Json(-0.0)), "0");
  EXPECT_EQ(CanonicalJson(Json(1u)), "1");
  EXPECT_EQ(CanonicalJson(Json(0.1)), "0.1");
  EXPECT_EQ(CanonicalJson(Json(1e300)), "1e+300");
  EXPECT_EQ(CanonicalJson(Json::parse("[1.50, 2e0]")), "[1.5,2]");
  // Deep inside objects and arrays too, next to values that need nothing.
  EXPECT_EQ(CanonicalJson(Json::parse(R"({"a": [{"b": 2.0, "c": "x"}], "d": 3})")),
            R"({"a":[{"b":2,"c":"x"}],"d":3})");
}

TEST(CanonicalJsonTest, KeepsUnicodeAsUtf8) {
  EXPECT_EQ(CanonicalJson(Json("Zoë \"Skye\"")), "\"Zoë \\\"Skye\\\"\"");
}

TEST(CanonicalJsonTest, EqualValuesHashEqual) {
  const Json first = Json::parse(R"({"x": 1.0, "y": [true]})");
  const Json second = Json::parse(R"({"y": [true], "x": 1})");
  EXPECT_EQ(CanonicalHash(first), CanonicalHash(second));
  EXPECT_NE(CanonicalHash(first), CanonicalHash(Json::parse(R"({"x": 2})")));
}

}  // namespace
}  // namespace outreach::model
