// Which fields no rule across fields reads (RecordSchema::RuleFree): the server skips checking
// the rules again after an edit of such fields only, so a field wrongly called free would let
// a record that breaks a rule pass for a valid one. Every schema it cannot read through frees
// nothing.
#include "core/schema/internal/rule_free_fields.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/schema/record_schema.h"
#include "tests/core/schema/schema_test_util.h"
#include "tests/testing/status_matchers.h"

namespace outreach::schema {
namespace {

using nlohmann::json;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

// A small record schema with one rule: a sent note has words.
json NoteDocument() {
  return json::parse(R"({
    "title": "note", "x-schema-version": "1.0", "type": "object",
    "additionalProperties": true, "required": ["id", "status"],
    "properties": {
      "id": {"type": "string"}, "status": {"enum": ["draft", "sent"]},
      "words": {"type": "string"}, "place": {"type": "string", "minLength": 1},
      "count": {"type": "integer"}
    },
    "allOf": [{"if": {"properties": {"status": {"const": "sent"}}},
               "then": {"required": ["words"]}}]
  })");
}

TEST(RuleFreeFieldsTest, FieldsARuleNamesAreNotFreeAndTheRestAre) {
  EXPECT_THAT(detail::RuleFreeFields(NoteDocument(), false), ElementsAre("count", "place"));
}

TEST(RuleFreeFieldsTest, NoFieldIsFreeWhenTheSchemaHasDerivedFields) {
  EXPECT_THAT(detail::RuleFreeFields(NoteDocument(), true), IsEmpty());
}

// Each of these reads fields it does not name, or may: nothing is free.
TEST(RuleFreeFieldsTest, AKeywordThatMayReadUnnamedFieldsFreesNothing) {
  const std::vector<std::pair<std::string, json>> top_level = {
      {"patternProperties", json{{"^p", {{"type", "string"}}}}},
      {"minProperties", 2},
      {"maxProperties", 9},
      {"dependencies", json{{"place", {"count"}}}},
      {"propertyNames", json{{"maxLength", 3}}},
      {"$ref", "#/definitions/x"},
      {"unevaluatedProperties", false},
  };
  for (const auto& [keyword, value] : top_level) {
    json document = NoteDocument();
    document[keyword] = value;
    EXPECT_THAT(detail::RuleFreeFields(document, false), IsEmpty()) << keyword;
  }
  const std::vector<json> rules = {
      json{{"additionalProperties", {{"type", "string"}}}},
      json{{"not", {{"const", {{"id", "x"}}}}}},
      json{{"enum", {json::object()}}},
      json{{"$ref", "#/definitions/rule"}},
      json{{"anyOf", {{{"minProperties", 3}}}}},
      json{{"if", {{"patternProperties", {{"^pl", {{"const", "x"}}}}}}}, {"then", false}},
      json{{"properties", json::array()}},
      json{{"required", "words"}},
      json(7),
  };
  for (const json& rule : rules) {
    json document = NoteDocument();
    document["allOf"].push_back(rule);
    EXPECT_THAT(detail::RuleFreeFields(document, false), IsEmpty()) << rule.dump();
  }
}

TEST(RuleFreeFieldsTest, RulesAtTheTopLevelAndNestedNameTheirFields) {
  json document = NoteDocument();
  document["not"] = {{"required", {"count"}}};
  document["anyOf"] = {{{"oneOf", {{{"properties", {{"words", {{"minLength", 3}}}}}}}}}, true};
  EXPECT_THAT(detail::RuleFreeFields(document, false), ElementsAre("place"));
}

TEST(RuleFreeFieldsTest, TheContactSchemaFreesWhatNoRuleReads) {
  const SchemaRegistry* schemas = testing::RealSchemas();
  ASSERT_NE(schemas, nullptr);
  const RecordSchema* contact = schemas->Find("contact");
  ASSERT_NE(contact, nullptr);
  for (const char* field : {"location_text", "geo_point", "hotspot_ref", "observations"}) {
    EXPECT_TRUE(contact->RuleFree(field)) << field;
  }
  for (const char* field : {"id", "status", "disclosure_made", "disclosure_details", "summary",
                            "immediate_risk_actions", "info_shared", "not_declared"}) {
    EXPECT_FALSE(contact->RuleFree(field)) << field;
  }
}

// What the server relies on: in every real schema, giving a free field of a valid record any
// value at all makes problems at that field only, which the check of the change's own values
// already refuses; never a broken rule elsewhere in the record.
TEST(RuleFreeFieldsTest, AnyValueOfAFreeFieldOnlyMakesProblemsOfThatField) {
  const SchemaRegistry* schemas = testing::RealSchemas();
  ASSERT_NE(schemas, nullptr);
  const std::vector<json> values = {"x", "", std::string(300, 'y'), 0, -1, 2.5, true, false,
                                    json::array(), json{1, "a"}, json::object(),
                                    json{{"lat", 1}, {"lon", 2}}, "2025-11-24T15:30:00Z"};
  int free_fields = 0;
  for (const std::string& collection : schemas->Collections()) {
    const RecordSchema* schema = schemas->Find(collection);
    const json example = testing::ValidExample(collection);
    ASSERT_THAT(schema->Validate(example, ValidationMode::kUserInput), IsEmpty()) << collection;
    for (const FieldSpec& field : schema->fields()) {
      if (!schema->RuleFree(field.name)) continue;
      ++free_fields;
      for (const json& value : values) {
        json edited = example;
        edited[field.name] = value;
        for (const ValidationProblem& problem :
             schema->Validate(edited, ValidationMode::kStoredState)) {
          const std::string& at = problem.pointer;
          EXPECT_TRUE(at == "/" + field.name || at.rfind("/" + field.name + "/", 0) == 0)
              << collection << "." << field.name << " = " << value.dump() << ": " << at << " "
              << problem.message;
        }
      }
    }
  }
  EXPECT_GT(free_fields, 10);  // the check ran on real fields
}

}  // namespace
}  // namespace outreach::schema
