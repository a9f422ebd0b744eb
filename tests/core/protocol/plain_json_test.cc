// The plain-JSON fast path must agree with nlohmann exactly: what it writes is dump()'s text,
// and what it reads is parse()'s value; anything it declines goes to nlohmann unchanged.
#include "core/protocol/internal/plain_json.h"

#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/protocol/binary_codec.h"
#include "protocol_samples.h"
#include "tests/testing/status_matchers.h"

namespace outreach::protocol::internal {
namespace {

using model::Json;

// UTF-8 as dump() judges it (it throws on anything else).
bool AnyUtf8(std::string_view text) {
  try {
    (void)Json(std::string(text)).dump();
    return true;
  } catch (const Json::exception&) {
    return false;
  }
}

std::vector<Json> SampleValues() {
  return {"plain text", "", "quote \" inside", "back\\slash", "tab\tand\nnewline",
          "caf\u00e9 \u2014 \U0001F600", "\u0001", "\u007f del", "/slash", true, false,
          nullptr, 7, -1.5, Json::array({"a", true}), Json::object(),
          Json{{"author", "w1"}, {"at", "2026-01-01T00:00:00Z"}, {"text", "seen near the park"}},
          Json{{"code", "older_partner"}}, Json{{"flag", false}, {"name", "x"}},
          Json{{"text", "with \"quotes\""}}, Json{{"key \"q\"", "v"}}, Json{{"n", 1}},
          Json{{"nested", Json{{"a", "b"}}}}, Json{{"list", Json::array()}},
          Json{{"null", nullptr}}, Json{{"caf\u00e9", "\u2014"}}};
}

TEST(PlainJson, WritesExactlyWhatDumpWrites) {
  for (const Json& value : SampleValues()) {
    std::string fast = "prefix";
    if (WritePlainJson(value, AnyUtf8, fast)) {
      EXPECT_EQ(fast, "prefix" + value.dump()) << value.dump();
    } else {
      EXPECT_EQ(fast, "prefix") << "a declined value must leave nothing behind: " << value.dump();
    }
  }
  // The values records hold most are taken by the fast path.
  std::string out;
  EXPECT_TRUE(WritePlainJson(SampleValues()[16], AnyUtf8, out));
  EXPECT_TRUE(WritePlainJson(SampleValues()[0], AnyUtf8, out));
  EXPECT_FALSE(WritePlainJson(Json{{"text", "with \"quotes\""}}, AnyUtf8, out));
}

// Eight bytes at a time must find what one at a time finds, at every offset and length.
TEST(PlainJson, PlainAndUtf8ChecksFindEveryByteAnywhere) {
  const std::string base = "seen near the bus station with two older males again friday";
  for (std::size_t at = 0; at < 40; ++at) {
    for (const std::string& odd : {std::string("\""), std::string("\\"), std::string("\n"),
                                   std::string(1, '\x1f'), std::string(1, '\0')}) {
      std::string text = base.substr(0, at) + odd + base.substr(at);
      EXPECT_FALSE(IsPlainText(text)) << at;
      EXPECT_TRUE(IsUtf8(text)) << at;
    }
    const std::string accented = base.substr(0, at) + "caf\u00e9 \U0001F600" + base.substr(at);
    EXPECT_TRUE(IsPlainText(accented)) << at;
    EXPECT_TRUE(IsUtf8(accented)) << at;
    for (const std::string& bad : {std::string("\xC3\x28"), std::string("\xED\xA0\x80"),
                                   std::string("\xC0\xAF"), std::string("\xF4\x90\x80\x80"),
                                   std::string("\xE2\x82")}) {
      EXPECT_FALSE(IsUtf8(base.substr(0, at) + bad + base.substr(at))) << at;
      EXPECT_EQ(IsUtf8(base.substr(0, at) + bad), AnyUtf8(base.substr(0, at) + bad)) << at;
    }
  }
  // Bytes a word-wide check could mistake, inside the words checked eight at a time.
  EXPECT_TRUE(IsPlainText("\x7f\x80\xff " + base));
  EXPECT_FALSE(IsUtf8("\x7f\x80\xff " + base));
  EXPECT_TRUE(IsUtf8("\x7f\xc2\xa0 " + base));
  EXPECT_TRUE(IsPlainText(""));
  EXPECT_TRUE(IsUtf8(""));
}

// The one-pass check says yes exactly for plain, well-formed texts without a byte from 0x80,
// whatever byte sits wherever: a yes always means both checks say yes.
TEST(PlainJson, PlainAsciiIsPlainAndUtf8WithoutHighBytes) {
  const std::string base = "seen near the bus station with two older males again friday";
  for (std::size_t at = 0; at <= 40; ++at) {
    for (int byte = 0; byte < 256; ++byte) {
      const std::string text = base.substr(0, at) + std::string(1, static_cast<char>(byte)) +
                               base.substr(0, at % 9);
      const bool expected = byte < 0x80 && IsPlainText(text) && IsUtf8(text);
      EXPECT_EQ(IsPlainAscii(text), expected) << "byte " << byte << " at " << at;
    }
  }
  EXPECT_TRUE(IsPlainAscii(""));
  EXPECT_TRUE(IsPlainAscii("\x7f del"));
  EXPECT_FALSE(IsPlainAscii("caf\u00e9"));  // plain and UTF-8, but not ASCII: the two checks decide
  std::string out;
  EXPECT_TRUE(WritePlainJson(Json("caf\u00e9"), IsUtf8, out));
  EXPECT_EQ(out, Json("caf\u00e9").dump());
}

TEST(PlainJson, ReadsExactlyWhatParseReads) {
  const std::vector<std::string> texts = {
      "true", "false", "\"x\"", "\"\"", "{}", "{\"a\":\"b\"}", "{\"a\":true,\"b\":\"c\"}",
      // Declined (nlohmann decides): escapes, whitespace, numbers, nesting, repeats, junk.
      "{\"a\":\"b\\\"c\"}", "{ \"a\":\"b\"}", "{\"a\": \"b\"}", "{\"a\":1}", "{\"a\":{}}",
      "{\"a\":\"x\",\"a\":\"y\"}", "{\"a\":\"b\"}x", "{\"a\":\"b\",}", "{\"a\"}", "{\"a\":}",
      "{\"a\":tru}", "{\"a\":\"b\"", "{", "\"unterminated", "\"a\"b\"", "null", "{\"a\":null}",
      "{\"b\":\"1\",\"a\":\"2\"}", "truex", " true"};
  for (const std::string& text : texts) {
    Json fast = "untouched";
    const Json parsed = Json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (ReadPlainJson(text, fast)) {
      ASSERT_FALSE(parsed.is_discarded()) << text;
      EXPECT_EQ(fast, parsed) << text;
      EXPECT_EQ(fast.dump(), parsed.dump()) << text;
    } else {
      EXPECT_EQ(fast, "untouched") << text;
    }
  }
  Json value;
  EXPECT_TRUE(ReadPlainJson("{\"author\":\"w1\",\"text\":\"seen\"}", value));
  EXPECT_FALSE(ReadPlainJson("{\"a\":\"x\",\"a\":\"y\"}", value));
}

// Random texts built from the pieces plain JSON is made of, and the ones it is not: wherever
// the fast reader takes one, parse() reads the same value from it.
TEST(PlainJson, AgreesWithTheParserOnRandomTexts) {
  const std::vector<std::string> pieces = {"{", "}", "\"", ":", ",", "a", "b", "true", "false",
                                           "\\", " ", "1", "\"k\"", "\"v\"", "null", "\n"};
  std::mt19937 random(20261126);
  int taken = 0;
  for (int i = 0; i < 200000; ++i) {
    std::string text;
    const int length = 1 + static_cast<int>(random() % 12);
    for (int k = 0; k < length; ++k) text += pieces[random() % pieces.size()];
    Json fast;
    if (!ReadPlainJson(text, fast)) continue;
    ++taken;
    const Json parsed = Json::parse(text, nullptr, /*allow_exceptions=*/false);
    ASSERT_FALSE(parsed.is_discarded()) << text;
    ASSERT_EQ(fast, parsed) << text;
  }
  EXPECT_GT(taken, 100);  // the generator does reach the fast path
}

// Through the archive: a record whose values are flat objects comes back equal, in the same
// bytes as before this path existed (the serializer's).
TEST(PlainJson, RecordsWithFlatObjectsRoundTripInTheSerializersBytes) {
  model::RecordState state = testing::SampleRecord(2);
  const Json entry{{"author", "w1"}, {"at", "2026-01-01T00:00:00Z"}, {"text", "seen \u2014 ok"}};
  state.registers["risk"].candidates.at(0).value = entry;
  const std::string bytes = EncodeRecordState(state);
  EXPECT_NE(bytes.find(entry.dump()), std::string::npos);
  ASSERT_OK_AND_ASSIGN(model::RecordState decoded, DecodeRecordState(bytes));
  EXPECT_EQ(decoded, state);
}

// A device reads a pulled record in place (ScanSimpleRecord) only when its values' texts are
// exactly dump()'s: no other spelling is taken as it is.
TEST(DumpedFlatValue, EveryCharacterAsDumpWritesItIsTakenAndNoOtherSpelling) {
  for (int c = 0; c < 128; ++c) {
    const std::string text = Json(std::string(1, static_cast<char>(c))).dump();
    EXPECT_TRUE(ReadDumpedFlatValue(text).has_value()) << c;
    char hex[8];
    std::snprintf(hex, sizeof(hex), "\\u%04x", static_cast<unsigned>(c));
    const std::string long_form = std::string("\"") + hex + "\"";
    EXPECT_EQ(ReadDumpedFlatValue(long_form).has_value(), long_form == text) << c;
    std::snprintf(hex, sizeof(hex), "\\u%04X", static_cast<unsigned>(c));
    const std::string upper = std::string("\"") + hex + "\"";
    EXPECT_EQ(ReadDumpedFlatValue(upper).has_value(), upper == text) << c;
  }
  for (const char* other : {"\"\\/\"", "\"a\" ", " \"a\"", "\"\\x\"", "null", "1", "[]", "{\"b\":1}",
                            "{\"b\":true,\"a\":true}", "{\"a\":true,\"a\":false}", "{ }",
                            "{\"a\":{}}", "{\"a\":\"x\" }", "\"\xC0\xAF\"", "{\"a\\n\":true}"}) {
    EXPECT_FALSE(ReadDumpedFlatValue(other).has_value()) << other;
  }
  const auto entry = ReadDumpedFlatValue(R"({"at":"t","id":"e-1","supersedes":"e-0","x":false})");
  ASSERT_TRUE(entry.has_value());
  EXPECT_TRUE(entry->object && entry->string_id && entry->supersedes);
  const auto flag_id = ReadDumpedFlatValue(R"({"id":true})");
  ASSERT_TRUE(flag_id.has_value());
  EXPECT_FALSE(flag_id->string_id);
}

// Notes run long, and their texts are read eight bytes at a time: each character dump()
// escapes, at every place in a long text, is taken as dump() writes it and refused raw, and the
// text's end is found exactly (a member follows it).
TEST(DumpedFlatValue, LongTextsAreReadWhateverSitsWhere) {
  const std::string base = "seen near the bus station with two older males again friday";
  for (std::size_t at = 0; at <= 40; ++at) {
    for (const std::string& odd : {std::string("\""), std::string("\\"), std::string("\n"),
                                   std::string(1, '\x1f'), std::string(1, '\x7f'),
                                   std::string("caf\u00e9")}) {
      const std::string value = base.substr(0, at) + odd + base.substr(at);
      const std::string text = Json{{"at", value}, {"x", true}}.dump();
      EXPECT_TRUE(ReadDumpedFlatValue(text).has_value()) << at << " " << text;
      EXPECT_TRUE(ReadDumpedFlatValue(Json(value).dump()).has_value()) << at;
    }
    // Raw, or a backslash that starts no escape.
    for (const std::string& raw : {std::string("\""), std::string("\\x"), std::string("\n"),
                                   std::string(1, '\x1f'), std::string(1, '\0')}) {
      const std::string text = "\"" + base.substr(0, at) + raw + base.substr(at) + "\"";
      EXPECT_FALSE(ReadDumpedFlatValue(text).has_value()) << at << " " << int{raw[0]};
    }
    const std::string unclosed = "{\"at\":\"" + base.substr(0, at);
    EXPECT_FALSE(ReadDumpedFlatValue(unclosed).has_value()) << at;
  }
}

// Random flat values: dump()'s text is taken; and any text taken parses to a value whose
// dump() is that text again.
TEST(DumpedFlatValue, AgreesWithDumpOnRandomValuesAndTexts) {
  std::mt19937 random(11);
  const std::string alphabet = std::string("ab\"\\/\n\t\x01\x1f\x7f{}[],: ") + "\u00e9\u2014";
  const auto random_text = [&] {
    std::string text;
    for (int i = random() % 8; i > 0; --i) text += alphabet[random() % alphabet.size()];
    return text;
  };
  int taken = 0;
  for (int round = 0; round < 4000; ++round) {
    Json value;
    if (round % 3 == 0) {
      value = Json(round % 2 == 0);
    } else if (round % 3 == 1) {
      value = random_text();
    } else {
      value = Json::object();
      for (int i = random() % 4; i > 0; --i) value["k" + std::to_string(random() % 5)] = random_text();
    }
    std::string text;
    try {
      text = value.dump();
    } catch (const Json::exception&) {
      continue;  // a cut multibyte character: not UTF-8
    }
    EXPECT_TRUE(ReadDumpedFlatValue(text).has_value()) << text;
    std::string mutated = text;
    if (!mutated.empty()) mutated[random() % mutated.size()] = alphabet[random() % alphabet.size()];
    if (ReadDumpedFlatValue(mutated).has_value()) {
      ++taken;
      const Json parsed = Json::parse(mutated, nullptr, /*allow_exceptions=*/false);
      ASSERT_FALSE(parsed.is_discarded()) << mutated;
      EXPECT_EQ(parsed.dump(), mutated);
    }
  }
  EXPECT_GT(taken, 100);
}

}  // namespace
}  // namespace outreach::protocol::internal
