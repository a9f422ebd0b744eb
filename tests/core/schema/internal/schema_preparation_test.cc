// PrepareSchemaForValijson: "format" keywords renamed, everything else untouched, bad regexes
// refused.
#include "core/schema/internal/schema_preparation.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/testing/status_matchers.h"

namespace outreach::schema::detail {
namespace {

using ::outreach::testing::StatusIs;
using Json = nlohmann::json;

TEST(SchemaPreparationTest, RenamesFormatKeywordsAtEveryDepth) {
  const Json schema = Json::parse(R"({
    "format": "date",
    "properties": {"when": {"type": "string", "format": "date-time"}},
    "items": [{"format": "time"}],
    "definitions": {"d": {"allOf": [{"format": "email"}]}}
  })");
  ASSERT_OK_AND_ASSIGN(Json prepared, PrepareSchemaForValijson(schema));
  EXPECT_EQ(prepared, Json::parse(R"({
    "x-outreach-format": "date",
    "properties": {"when": {"type": "string", "x-outreach-format": "date-time"}},
    "items": [{"x-outreach-format": "time"}],
    "definitions": {"d": {"allOf": [{"x-outreach-format": "email"}]}}
  })"));
}

TEST(SchemaPreparationTest, LeavesPropertiesNamedFormatAndDataAlone) {
  const Json schema = Json::parse(R"({
    "properties": {"format": {"type": "string"}},
    "required": ["format"],
    "enum": [{"format": "date"}],
    "const": {"format": "date"},
    "default": {"format": "date"}
  })");
  ASSERT_OK_AND_ASSIGN(Json prepared, PrepareSchemaForValijson(schema));
  EXPECT_EQ(prepared, schema);
}

TEST(SchemaPreparationTest, PropertiesNamedLikeDataKeywordsAreSchemas) {
  const Json schema = Json::parse(R"({
    "properties": {"enum": {"format": "date"}, "default": {"pattern": "[a-"}}
  })");
  EXPECT_THAT(PrepareSchemaForValijson(schema), StatusIs(StatusCode::kInvalidArgument));
  ASSERT_OK_AND_ASSIGN(
      Json prepared, PrepareSchemaForValijson({{"properties", {{"enum", {{"format", "date"}}}}}}));
  EXPECT_EQ(prepared["properties"]["enum"], Json({{"x-outreach-format", "date"}}));
}

TEST(SchemaPreparationTest, RefusesInvalidRegexes) {
  EXPECT_THAT(PrepareSchemaForValijson({{"pattern", "[a-"}}),
              StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(PrepareSchemaForValijson({{"items", {{"pattern", "(?<"}}}}),
              StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(PrepareSchemaForValijson({{"patternProperties", {{"*", true}}}}),
              StatusIs(StatusCode::kInvalidArgument));
  EXPECT_TRUE(PrepareSchemaForValijson({{"enum", {{{"pattern", "[a-"}}}}}).ok());
}

}  // namespace
}  // namespace outreach::schema::detail
