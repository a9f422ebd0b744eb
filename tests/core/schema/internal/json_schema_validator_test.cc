// JsonSchemaValidator: compile errors, value-free problems at precise pointers, and the limits
// that keep std::regex from overflowing the stack.
#include "core/schema/internal/json_schema_validator.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include <nlohmann/json.hpp>

#include "core/schema/internal/instance_limits.h"
#include "tests/core/schema/schema_test_util.h"
#include "tests/testing/status_matchers.h"

namespace outreach::schema::detail {
namespace {

using ::outreach::testing::StatusIs;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using Json = nlohmann::json;

JsonSchemaValidator CompileOrDie(const Json& schema) {
  Result<JsonSchemaValidator> compiled = JsonSchemaValidator::Compile(schema);
  EXPECT_TRUE(compiled.ok()) << compiled.status().ToString();
  if (!compiled.ok()) std::abort();
  return std::move(compiled).value();
}

TEST(JsonSchemaValidatorTest, RemoteReferencesAreNeverFetched) {
  const Json schema = {{"$ref", "http://localhost:1234/integer.json"}};
  EXPECT_THAT(JsonSchemaValidator::Compile(schema), StatusIs(StatusCode::kInvalidArgument));
  const SchemaDocuments documents = {{"http://localhost:1234/integer.json", {{"type", "integer"}}}};
  ASSERT_OK_AND_ASSIGN(JsonSchemaValidator validator,
                       JsonSchemaValidator::Compile(schema, documents));
  EXPECT_THAT(validator.Validate(3), IsEmpty());
  EXPECT_THAT(validator.Validate("3"), ElementsAre(ValidationProblem{"", "has the wrong type"}));
}

TEST(JsonSchemaValidatorTest, BadSchemasDoNotCompile) {
  EXPECT_THAT(JsonSchemaValidator::Compile({{"pattern", "(unclosed"}}),
              StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(JsonSchemaValidator::Compile({{"patternProperties", {{"[z-a]", true}}}}),
              StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(JsonSchemaValidator::Compile({{"$ref", "#/definitions/missing"}}),
              StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(JsonSchemaValidator::Compile({{"minLength", "three"}}),
              StatusIs(StatusCode::kInvalidArgument));
}

TEST(JsonSchemaValidatorTest, PatternInsideEnumDataIsNotARegex) {
  const Json schema = {{"enum", {{{"pattern", "(unclosed"}}}}};
  EXPECT_TRUE(JsonSchemaValidator::Compile(schema).ok());
}

TEST(JsonSchemaValidatorTest, PointsAtTheDeepestFailureOnly) {
  const JsonSchemaValidator validator = CompileOrDie(Json::parse(R"({
    "type": "object",
    "properties": {
      "notes": {"type": "array", "items": {
        "type": "object", "required": ["id"],
        "properties": {"id": {"type": "string", "pattern": "^[0-9a-f]{4}$"}}}}
    }
  })"));
  EXPECT_THAT(validator.Validate(Json::parse(R"({"notes": [{"id": "abcd"}, {"id": "SECRET"}]})")),
              ElementsAre(ValidationProblem{"/notes/1/id", "does not match the required pattern"}));
  EXPECT_THAT(validator.Validate(Json::parse(R"({"notes": [{}]})")),
              ElementsAre(ValidationProblem{"/notes/0/id", "is required"}));
}

TEST(JsonSchemaValidatorTest, EscapesPointerTokens) {
  const JsonSchemaValidator validator =
      CompileOrDie({{"properties", {{"a/b~c", {{"type", "integer"}}}}}});
  EXPECT_THAT(validator.Validate({{"a/b~c", "x"}}),
              ElementsAre(ValidationProblem{"/a~1b~0c", "has the wrong type"}));
}

TEST(JsonSchemaValidatorTest, FalseSchemaIsReportedWhereItApplies) {
  const JsonSchemaValidator validator =
      CompileOrDie({{"properties", {{"outer", {{"properties", {{"inner", false}}}}}}}});
  EXPECT_THAT(validator.Validate({{"outer", {{"inner", 1}}}}),
              ElementsAre(ValidationProblem{"/outer/inner", "does not satisfy the schema"}));
}

TEST(JsonSchemaValidatorTest, MessagesNeverQuoteValues) {
  const JsonSchemaValidator validator = CompileOrDie(Json::parse(R"({
    "type": "object",
    "additionalProperties": false,
    "properties": {
      "name": {"type": "string", "maxLength": 3, "pattern": "^a", "enum": ["abc"]},
      "when": {"type": "string", "format": "date-time"},
      "tags": {"type": "array", "uniqueItems": true},
      "count": {"type": "integer", "multipleOf": 7, "maximum": 10},
      "kind": {"const": "fixed"}
    }
  })"));
  const Json values = {{"name", "Skye Example"},   {"when", "Skye at the station"},
                       {"tags", {"Skye", "Skye"}}, {"count", 12},
                       {"kind", "Skye"},           {"Skye-key", 1}};
  std::string all_messages;
  for (const ValidationProblem& problem : validator.Validate(values)) {
    all_messages += problem.message + "\n";
  }
  EXPECT_THAT(all_messages, ::testing::Not(HasSubstr("Skye ")));
  EXPECT_THAT(all_messages, ::testing::Not(HasSubstr("12")));
  EXPECT_THAT(all_messages, HasSubstr("is too long"));
  EXPECT_THAT(all_messages, HasSubstr("is not a valid RFC 3339 date-time"));
  EXPECT_THAT(validator.Validate(values),
              Contains(ValidationProblem{"/Skye-key", "is not an allowed property"}));
}

TEST(JsonSchemaValidatorTest, ReportsEveryBrokenTopLevelAllOfEntry) {
  const JsonSchemaValidator validator = CompileOrDie(Json::parse(R"({
    "definitions": {"text": {"type": "string", "minLength": 1}},
    "allOf": [
      {"if": {"required": ["disclosure_made"]}, "then": {"required": ["disclosure_details"]}},
      {"if": {"required": ["status"]}, "then": {"properties": {"summary": {"$ref": "#/definitions/text"}}}},
      {"properties": {"kind": {"enum": ["a", "b"]}}}
    ]
  })"));
  EXPECT_THAT(validator.Validate({{"disclosure_made", true}, {"status", "x"}, {"summary", ""}}),
              ElementsAre(ValidationProblem{"/disclosure_details", "is required"},
                          ValidationProblem{"", "breaks a conditional rule (if/then/else)"},
                          ValidationProblem{"/summary", "is too short"}));
  EXPECT_THAT(validator.Validate({{"status", "x"}, {"summary", ""}, {"kind", "c"}}),
              ElementsAre(ValidationProblem{"/summary", "is too short"},
                          ValidationProblem{"", "breaks a conditional rule (if/then/else)"},
                          ValidationProblem{"/kind", "is not one of the allowed values"}));
  EXPECT_THAT(validator.Validate({{"status", "x"}, {"summary", "fine"}}), IsEmpty());
}

TEST(JsonSchemaValidatorTest, LongDigitRunsAreRefusedBeforeAnyRegexRuns) {
  // std::regex recurses per repeated character: ~40,000 digits against "^[0-9]+$" would
  // overflow the stack.
  const JsonSchemaValidator validator =
      CompileOrDie({{"properties", {{"code", {{"type", "string"}, {"pattern", "^[0-9]+$"}}}}}});
  EXPECT_THAT(validator.Validate({{"code", std::string(200000, '7')}}),
              ElementsAre(ValidationProblem{"/code", "contains more than 256 consecutive digits"}));
  EXPECT_THAT(validator.Validate({{"code", std::string(256, '7')}}), IsEmpty());
  // Deep inside, and in a key: each named by its JSON pointer (escaped), keys before values.
  const std::string digits(300, '1');
  const auto problems = validator.Validate(
      {{"code", "1"}, {"a/b~c", Json::array({"x", Json{{digits, "y"}, {"z", Json::array({digits})}}})}});
  EXPECT_THAT(problems,
              ElementsAre(ValidationProblem{"/a~1b~0c/1/" + digits,
                                            "has a key with more than 256 consecutive digits"},
                          ValidationProblem{"/a~1b~0c/1/z/0", "contains more than 256 consecutive digits"}));
  // Siblings are reported last first, as they always were.
  EXPECT_THAT(validator.Validate({{"p", digits}, {"q", digits}}),
              ElementsAre(ValidationProblem{"/q", "contains more than 256 consecutive digits"},
                          ValidationProblem{"/p", "contains more than 256 consecutive digits"}));
}

// The check looks at one place in 257 and follows the digits it finds there: it finds every
// run of 257 digits or more wherever it lies, and no shorter one (a plain scan is the judge).
TEST(JsonSchemaValidatorTest, EveryLongDigitRunIsFoundWhereverItLies) {
  const JsonSchemaValidator validator = CompileOrDie({{"type", "object"}});
  const auto longest_run = [](const std::string& text) {
    std::size_t run = 0, longest = 0;
    for (const char c : text) {
      run = c >= '0' && c <= '9' ? run + 1 : 0;
      longest = std::max(longest, run);
    }
    return longest;
  };
  std::mt19937 random(271126);
  int long_ones = 0;
  for (int i = 0; i < 3000; ++i) {
    std::string text(random() % 1200, 'x');
    // A few runs, of lengths around the limit, at random places.
    for (int run = static_cast<int>(random() % 4); run > 0; --run) {
      if (text.empty()) break;
      const std::size_t length = 250 + random() % 12;
      const std::size_t at = random() % text.size();
      for (std::size_t k = at; k < std::min(text.size(), at + length); ++k) text[k] = '0' + k % 10;
    }
    const bool too_long = longest_run(text) > 256;
    long_ones += too_long;
    EXPECT_EQ(validator.Validate({{"v", text}}).empty(), !too_long)
        << "longest run " << longest_run(text) << " in " << text.size() << " characters";
  }
  EXPECT_GT(long_ones, 300);
  EXPECT_LT(long_ones, 2700);
  // Exactly at the limit and one past it, at every place in a notes-sized text.
  for (std::size_t at = 0; at + 257 <= 900; ++at) {
    std::string text(900, 'x');
    text.replace(at, 256, std::string(256, '9'));
    ASSERT_TRUE(validator.Validate({{"v", text}}).empty()) << "256 digits at " << at;
    text[at + 256] = '9';
    ASSERT_FALSE(validator.Validate({{"v", text}}).empty()) << "257 digits at " << at;
  }
}

TEST(JsonSchemaValidatorTest, FormatsAreCheckedWithoutRegexes) {
  const JsonSchemaValidator validator = CompileOrDie(Json::parse(R"({"properties": {
    "when": {"format": "date-time"}, "day": {"format": "date"}, "at": {"format": "time"},
    "mail": {"format": "email"}}})"));
  EXPECT_THAT(validator.Validate({{"when", "2024-05-01T21:30:00Z"},
                                  {"day", "2024-02-29"},
                                  {"at", "21:30:00Z"},
                                  {"mail", "not checked"},
                                  {"n", 5}}),
              IsEmpty());
  EXPECT_THAT(validator.Validate({{"when", "2024-05-01"}, {"day", "2023-02-29"}, {"at", "9pm"}}),
              ElementsAre(ValidationProblem{"/at", "is not a valid RFC 3339 time"},
                          ValidationProblem{"/day", "is not a valid date (YYYY-MM-DD)"},
                          ValidationProblem{"/when", "is not a valid RFC 3339 date-time"}));
  EXPECT_THAT(validator.Validate({{"when", 20240501}}), IsEmpty());  // format constrains strings
}

TEST(JsonSchemaValidatorTest, DeepNestingIsRefused) {
  const JsonSchemaValidator validator = CompileOrDie({{"type", "object"}});
  Json deep = Json::array();
  for (int i = 0; i < 1000; ++i) deep = Json::array({std::move(deep)});
  const auto problems = validator.Validate({{"tags", deep}});
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_THAT(problems[0].message, HasSubstr("nested more than 64 levels"));
}

TEST(InstanceLimitsTest, KeysAreCheckedToo) {
  const Json values = {{std::string(300, '1'), true}};
  EXPECT_THAT(CheckInstanceLimits(values), ::testing::SizeIs(1));
  EXPECT_THAT(CheckInstanceLimits({{"fine", std::string(10000, 'x')}}), IsEmpty());
}

TEST(JsonSchemaValidatorTest, IsMovable) {
  JsonSchemaValidator first = CompileOrDie({{"type", "integer"}});
  JsonSchemaValidator second = std::move(first);
  EXPECT_THAT(second.Validate(1), IsEmpty());
}

}  // namespace
}  // namespace outreach::schema::detail
