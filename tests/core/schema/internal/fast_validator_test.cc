// The fast path against valijson on the real record schemas: a valid record of every type is
// decided without valijson, and on thousands of randomly broken copies every answer the fast
// path gives alone is valijson's. (json_schema_suite_test.cc holds it to the suite's answers.)
#include "core/schema/internal/fast_validator.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "core/schema/internal/json_schema_validator.h"
#include "core/schema/schema_registry.h"
#include "tests/core/schema/schema_test_util.h"

namespace outreach::schema::detail {
namespace {

using Json = nlohmann::json;

constexpr const char* kCollections[] = {"young_person", "contact",  "cse_screening",
                                        "missing_episode", "referral", "intelligence_report",
                                        "consent"};

// Values a broken record may hold where another belongs.
std::vector<Json> Replacements() {
  return {nullptr, true, false, 0, -3, 7, 1.5, 1e300, 18446744073709551615ULL,
          9223372036854775808ULL, "", "x", std::string(300, 'y'),
          "0190a2b4-1c2d-7e3f-8a9b-0c1d2e3f4a5b", "0190A2B4-1C2D-7E3F-8A9B-0C1D2E3F4A5B",
          "2026-02-30T10:00:00Z", "2026-01-01T10:00:00Z", "2026-01-01", "caf\u00e9", "\u00e9",
          std::string("nul\0inside", 10), "submitted", "reviewed", "draft", Json::array(),
          Json::array({"a", "a"}), Json::object(), Json{{"code", "older_partner"}},
          Json{{"id", "0190a2b4-1c2d-7e3f-8a9b-0c1d2e3f4a5b"}, {"text", "t"}}};
}

// Every node of `value` by JSON pointer.
void Pointers(const Json& value, const Json::json_pointer& at, std::vector<Json::json_pointer>& out) {
  out.push_back(at);
  if (value.is_object()) {
    for (const auto& [key, child] : value.items()) Pointers(child, at / key, out);
  } else if (value.is_array()) {
    for (std::size_t i = 0; i < value.size(); ++i) Pointers(value[i], at / i, out);
  }
}

// One random break: a value replaced, a member removed, a member added, an item repeated.
Json Broken(const Json& record, std::mt19937& random) {
  static const std::vector<Json> replacements = Replacements();
  Json broken = record;
  const int changes = 1 + static_cast<int>(random() % 3);
  for (int n = 0; n < changes; ++n) {
    std::vector<Json::json_pointer> pointers;
    Pointers(broken, Json::json_pointer(), pointers);
    const Json::json_pointer at = pointers[random() % pointers.size()];
    Json& target = broken[at];
    switch (random() % 4) {
      case 0:
        target = replacements[random() % replacements.size()];
        break;
      case 1:
        if (!at.empty()) {
          Json& parent = broken[at.parent_pointer()];
          if (parent.is_array()) {
            parent.erase(static_cast<std::size_t>(std::stoul(at.back())));
          } else {
            parent.erase(at.back());
          }
        }
        break;
      case 2:
        if (target.is_object()) target["status"] = replacements[random() % replacements.size()];
        break;
      default:
        if (target.is_array() && !target.empty()) target.push_back(target[0]);
        break;
    }
  }
  return broken;
}

// One schema compiled twice: with the fast path, and valijson alone (the reference).
struct Compared {
  JsonSchemaValidator with_fast;
  JsonSchemaValidator valijson;
};

std::optional<Compared> CompileBoth(const Json& schema) {
  auto with_fast = JsonSchemaValidator::Compile(schema);
  auto valijson = JsonSchemaValidator::Compile(schema, {}, JsonSchemaValidator::FastPath::kOff);
  if (!with_fast.ok() || !valijson.ok()) return std::nullopt;
  return Compared{std::move(with_fast).value(), std::move(valijson).value()};
}

TEST(FastValidatorTest, DecidesValidRecordsAlone) {
  for (const char* collection : kCollections) {
    SCOPED_TRACE(collection);
    const RecordSchema* schema = testing::RealSchemas()->Find(collection);
    ASSERT_NE(schema, nullptr);
    auto validator = JsonSchemaValidator::Compile(schema->document());
    ASSERT_TRUE(validator.ok());
    EXPECT_EQ(validator->FastVerdictOf(testing::ValidExample(collection)), FastVerdict::kValid);
  }
}

TEST(FastValidatorTest, AgreesWithValijsonOnBrokenRecords) {
  std::mt19937 random(20261126);
  int conclusive = 0, invalid = 0, total = 0;
  for (const char* collection : kCollections) {
    SCOPED_TRACE(collection);
    const Json& document = testing::RealSchemas()->Find(collection)->document();
    std::optional<Compared> compiled = CompileBoth(document);
    ASSERT_TRUE(compiled.has_value());
    const Json example = testing::ValidExample(collection);
    for (int i = 0; i < 1500; ++i) {
      const Json record = Broken(example, random);
      const FastVerdict fast = compiled->with_fast.FastVerdictOf(record);
      ++total;
      if (fast == FastVerdict::kUnknown) continue;
      ++conclusive;
      const bool valid = compiled->valijson.Validate(record).empty();
      invalid += !valid;
      ASSERT_EQ(fast == FastVerdict::kValid, valid) << collection << ": " << record.dump();
    }
  }
  // Both answers are exercised, and most records are decided without valijson.
  EXPECT_GT(invalid, total / 10);
  EXPECT_GT(conclusive, total / 2);
}

// Each verdict the fast path gives on hand-made schemas is valijson's: keywords that share a
// subschema ("const" with "enum") and numbers valijson reads its own way (past INT64_MAX).
TEST(FastValidatorTest, AgreesWithValijsonOnKeywordCorners) {
  const Json schemas[] = {
      Json{{"const", "a"}, {"enum", {"a", "b"}}},
      Json{{"type", "integer"}, {"minimum", 0}},
      Json{{"type", "integer"}, {"maximum", 10}},
      Json{{"not", {{"minimum", 0}}}},
      Json{{"properties", {{"n", {{"minimum", 0}, {"maximum", 5}}}}}},
  };
  const Json instances[] = {"a", "b", 0, -1, 3, 11, 9223372036854775807LL,
                            9223372036854775808ULL, 18446744073709551615ULL, 2.5, -2.5,
                            Json{{"n", 18446744073709551615ULL}}, Json{{"n", 4}}};
  int decided = 0;
  for (const Json& schema : schemas) {
    std::optional<Compared> compiled = CompileBoth(schema);
    ASSERT_TRUE(compiled.has_value()) << schema.dump();
    for (const Json& instance : instances) {
      const FastVerdict fast = compiled->with_fast.FastVerdictOf(instance);
      if (fast == FastVerdict::kUnknown) continue;
      ++decided;
      EXPECT_EQ(fast == FastVerdict::kValid, compiled->valijson.Validate(instance).empty())
          << schema.dump() << " on " << instance.dump();
    }
  }
  EXPECT_GT(decided, 20);
}

// A string's length as valijson counts it (code points, up to a NUL): plain ASCII is counted
// by its bytes, anything else the long way; each verdict is valijson's.
TEST(FastValidatorTest, AgreesWithValijsonOnStringLengths) {
  const std::string pieces[] = {"a", " ", "~", "\x7f", std::string(1, '\0'), "\xc3\xa9",
                                "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\xff", "\x80"};
  std::mt19937 random(1127);
  int decided = 0;
  for (const int min_length : {0, 3, 8}) {
    for (const int max_length : {2, 5, 9, 600}) {
      std::optional<Compared> compiled = CompileBoth(
          Json{{"type", "string"}, {"minLength", min_length}, {"maxLength", max_length}});
      ASSERT_TRUE(compiled.has_value());
      for (int i = 0; i < 300; ++i) {
        std::string text;
        const bool plain = i % 2 == 0;
        const int length = static_cast<int>(random() % 14) + (i % 10 == 0 ? 590 : 0);
        for (int k = 0; k < length; ++k) text += plain ? "a" : pieces[random() % std::size(pieces)];
        const FastVerdict fast = compiled->with_fast.FastVerdictOf(Json(text));
        if (fast == FastVerdict::kUnknown) continue;
        ++decided;
        ASSERT_EQ(fast == FastVerdict::kValid, compiled->valijson.Validate(Json(text)).empty())
            << "min " << min_length << " max " << max_length << " length " << text.size();
      }
    }
  }
  EXPECT_GT(decided, 2000);
}

// The top-level field a problem is under ("" for the record itself).
std::string FieldOf(const ValidationProblem& problem) {
  if (problem.pointer.size() < 2) return "";
  return problem.pointer.substr(1, problem.pointer.find('/', 1) - 1);
}

// "required" and "properties" meet an object's members in one walk by name: every mix of
// seven names before, between, after and among them (a required name listed twice, names both
// required and typed), each absent, a string or a number, gets valijson's verdict; checked
// for two of the names only, it is valid exactly when those two are.
TEST(FastValidatorTest, AgreesWithValijsonOnEveryMixOfMembers) {
  const Json schema = {{"required", {"d", "b", "d", "f"}},
                       {"properties",
                        {{"b", {{"type", "string"}}}, {"c", {{"type", "string"}}},
                         {"e", {{"type", "string"}}}, {"f", {{"type", "string"}}}}}};
  std::optional<Compared> compiled = CompileBoth(schema);
  ASSERT_TRUE(compiled.has_value());
  const std::string names[] = {"a", "b", "c", "d", "e", "f", "g"};
  const std::set<std::string, std::less<>> fields{"c", "d"};
  int valid = 0, fields_valid = 0;
  int mix = 1;
  for (std::size_t i = 0; i < std::size(names); ++i) mix *= 3;
  for (int code = 0; code < mix; ++code) {
    Json instance = Json::object();
    for (int rest = code, i = 0; i < static_cast<int>(std::size(names)); rest /= 3, ++i) {
      if (rest % 3 == 1) instance[names[i]] = "v";
      if (rest % 3 == 2) instance[names[i]] = 7;
    }
    const FastVerdict fast = compiled->with_fast.FastVerdictOf(instance);
    ASSERT_NE(fast, FastVerdict::kUnknown) << instance.dump();
    valid += fast == FastVerdict::kValid;
    ASSERT_EQ(fast == FastVerdict::kValid, compiled->valijson.Validate(instance).empty())
        << instance.dump();
    const bool fields_hold =
        instance.contains("d") && (!instance.contains("c") || instance["c"].is_string());
    fields_valid += fields_hold;
    ASSERT_EQ(compiled->with_fast.FastVerdictOf(instance, &fields),
              fields_hold ? FastVerdict::kValid : FastVerdict::kInvalid)
        << instance.dump();
  }
  EXPECT_GT(valid, 10);
  EXPECT_GT(fields_valid, valid);
}

// A partial write (an update) keeps only problems of the fields it writes: where the fast path
// calls those fields valid, valijson reports no problem under any of them.
TEST(FastValidatorTest, APartialCheckMissesNoProblemOfTheFieldsItChecks) {
  std::mt19937 random(112026);
  int decided = 0, total = 0;
  for (const char* collection : kCollections) {
    SCOPED_TRACE(collection);
    const Json& document = testing::RealSchemas()->Find(collection)->document();
    std::optional<Compared> compiled = CompileBoth(document);
    ASSERT_TRUE(compiled.has_value());
    const Json example = testing::ValidExample(collection);
    for (int i = 0; i < 1500; ++i) {
      const Json record = Broken(example, random);
      if (!record.is_object()) continue;
      std::set<std::string, std::less<>> fields{"id"};
      for (const auto& [name, value] : record.items()) {
        if (random() % 3 == 0) fields.insert(name);
      }
      ++total;
      if (compiled->with_fast.FastVerdictOf(record, &fields) != FastVerdict::kValid) continue;
      ++decided;
      for (const ValidationProblem& problem : compiled->valijson.Validate(record)) {
        ASSERT_EQ(fields.count(FieldOf(problem)), 0u)
            << collection << ": " << problem.pointer << " " << problem.message << " in "
            << record.dump();
      }
    }
  }
  EXPECT_GT(decided, total / 2);
}

}  // namespace
}  // namespace outreach::schema::detail
