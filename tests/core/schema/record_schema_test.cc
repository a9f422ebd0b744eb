// RecordSchema: field specs, versions, retention, and the two validation modes.
#include "core/schema/record_schema.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/schema/schema_registry.h"
#include "tests/core/schema/schema_test_util.h"
#include "tests/testing/status_matchers.h"

namespace outreach::schema {
namespace {

using ::outreach::testing::StatusIs;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr const char* kNoteSchema = R"({
  "title": "note",
  "x-schema-version": "1.4",
  "x-retention": {"rule": "created_plus_years", "years": 7, "legal_hold": true},
  "type": "object",
  "additionalProperties": true,
  "required": ["id", "status"],
  "properties": {
    "id": {"type": "string", "x-merge": "immutable", "x-class": "operational"},
    "status": {"enum": ["draft", "sent"], "x-merge": "forward", "x-order": ["draft", "sent"],
               "x-class": "operational"},
    "words": {"type": "string", "x-merge": "lww", "x-class": "special_category",
              "x-class-also": ["offence"]},
    "entries": {"type": "array", "x-merge": "append", "x-class": "personal",
                "x-entry-forward": {"state": ["open", "done"]}},
    "body": {"type": "string", "x-merge": "review", "x-class": "personal",
             "x-immutable-after": "status"}
  }
})";

Result<RecordSchema> NoteSchema() {
  return RecordSchema::FromDocument("note", nlohmann::json::parse(kNoteSchema));
}

TEST(RecordSchemaTest, ReadsFieldSpecsSortedByName) {
  ASSERT_OK_AND_ASSIGN(RecordSchema schema, NoteSchema());
  EXPECT_EQ(schema.name(), "note");
  EXPECT_EQ(schema.version(), (SchemaVersion{1, 4}));
  std::vector<std::string> names;
  for (const FieldSpec& field : schema.fields()) names.push_back(field.name);
  EXPECT_THAT(names, ElementsAre("body", "entries", "id", "status", "words"));

  const FieldSpec* status = schema.Field("status");
  ASSERT_NE(status, nullptr);
  EXPECT_EQ(status->policy, MergePolicy::kForward);
  EXPECT_EQ(status->data_class, DataClass::kOperational);
  EXPECT_THAT(status->order, ElementsAre("draft", "sent"));
  EXPECT_TRUE(status->required);

  const FieldSpec* words = schema.Field("words");
  ASSERT_NE(words, nullptr);
  EXPECT_FALSE(words->required);
  EXPECT_THAT(words->also_classes, ElementsAre(DataClass::kOffence));
  EXPECT_THAT(words->order, IsEmpty());

  EXPECT_THAT(schema.Field("entries")->entry_forward.at("state"), ElementsAre("open", "done"));
  EXPECT_EQ(schema.Field("body")->immutable_after, "status");
  EXPECT_EQ(schema.Field("mood"), nullptr);
}

TEST(RecordSchemaTest, ExposesRetentionAndDocument) {
  ASSERT_OK_AND_ASSIGN(RecordSchema schema, NoteSchema());
  EXPECT_EQ(schema.retention()["years"], 7);
  EXPECT_EQ(schema.retention()["legal_hold"], true);
  EXPECT_EQ(schema.document()["title"], "note");
  const RetentionPolicy& policy = schema.retention_policy();
  EXPECT_EQ(policy.rule, "created_plus_years");
  EXPECT_EQ(policy.years, 7);
  EXPECT_TRUE(policy.legal_hold);
  EXPECT_EQ(policy.delete_by, "reviewed_server_job") << "the only way records go";
  EXPECT_THAT(policy.subject_fields, IsEmpty());
}

TEST(RecordSchemaTest, AcceptsAnyMinorOfItsMajorVersion) {
  ASSERT_OK_AND_ASSIGN(RecordSchema schema, NoteSchema());  // 1.4
  EXPECT_TRUE(schema.AcceptsVersion({1, 0}));
  EXPECT_TRUE(schema.AcceptsVersion({1, 4}));
  EXPECT_TRUE(schema.AcceptsVersion({1, 9}));  // only optional fields added: kept unvalidated
  EXPECT_FALSE(schema.AcceptsVersion({0, 4}));
  EXPECT_FALSE(schema.AcceptsVersion({2, 0}));
}

TEST(RecordSchemaTest, UnknownFieldsAreAccepted) {
  ASSERT_OK_AND_ASSIGN(RecordSchema schema, NoteSchema());
  const nlohmann::json values = {
      {"id", "n1"}, {"status", "draft"}, {"added_in_1_5", {{"anything", true}}}};
  EXPECT_THAT(schema.Validate(values, ValidationMode::kUserInput), IsEmpty());
  EXPECT_THAT(schema.Validate(values, ValidationMode::kStoredState), IsEmpty());
}

TEST(RecordSchemaTest, RealSchemasKeepUnknownFields) {
  const SchemaRegistry* registry = testing::RealSchemas();
  ASSERT_NE(registry, nullptr);
  for (const std::string& collection : registry->Collections()) {
    SCOPED_TRACE(collection);
    nlohmann::json values = testing::ValidExample(collection);
    values["field_from_schema_1_1"] = {{"nested", {1, 2, 3}}};
    EXPECT_THAT(registry->Find(collection)->Validate(values, ValidationMode::kUserInput),
                IsEmpty());
    EXPECT_EQ(registry->Find(collection)->Field("field_from_schema_1_1"), nullptr);
  }
}

TEST(RecordSchemaTest, NonObjectValuesAreInvalid) {
  ASSERT_OK_AND_ASSIGN(RecordSchema schema, NoteSchema());
  for (ValidationMode mode : {ValidationMode::kUserInput, ValidationMode::kStoredState}) {
    EXPECT_THAT(schema.Validate(nlohmann::json::array(), mode),
                Contains(ValidationProblem{"", "has the wrong type"}));
  }
}

TEST(RecordSchemaTest, ProblemsBecomeOneInvalidArgument) {
  ASSERT_OK_AND_ASSIGN(RecordSchema schema, NoteSchema());
  const auto problems =
      schema.Validate({{"id", "n1"}, {"status", "lost"}}, ValidationMode::kUserInput);
  EXPECT_THAT(problems,
              ElementsAre(ValidationProblem{"/status", "is not one of the allowed values"}));
  const Status status = ProblemsToStatus(problems, "note n1");
  EXPECT_THAT(status, StatusIs(StatusCode::kInvalidArgument));
  EXPECT_EQ(status.message(),
            "note n1 failed schema validation: /status: is not one of the allowed values");
}

TEST(RecordSchemaTest, NotARecordSchemaIsInvalid) {
  EXPECT_THAT(RecordSchema::FromDocument("note", nlohmann::json::array()),
              StatusIs(StatusCode::kInvalidArgument));
  nlohmann::json no_properties = nlohmann::json::parse(kNoteSchema);
  no_properties.erase("properties");
  EXPECT_THAT(RecordSchema::FromDocument("note", no_properties),
              StatusIs(StatusCode::kInvalidArgument));
  nlohmann::json no_id = nlohmann::json::parse(kNoteSchema);
  no_id["properties"].erase("id");
  no_id["required"] = {"status"};
  EXPECT_THAT(RecordSchema::FromDocument("note", no_id), StatusIs(StatusCode::kInvalidArgument));
  nlohmann::json boolean_property = nlohmann::json::parse(kNoteSchema);
  boolean_property["properties"]["words"] = true;
  EXPECT_THAT(RecordSchema::FromDocument("note", boolean_property),
              StatusIs(StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace outreach::schema
