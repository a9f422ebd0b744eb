// SchemaRegistry: loading schemas/ and strings, and the typed errors of bad schema files.
#include "core/schema/schema_registry.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "tests/core/schema/schema_test_util.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace outreach::schema {
namespace {

using ::outreach::testing::IsOk;
using ::outreach::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr const char* kMinimalSchema = R"({
  "$schema": "http://json-schema.org/draft-07/schema#",
  "title": "note",
  "x-schema-version": "2.3",
  "x-retention": {"rule": "none"},
  "type": "object",
  "required": ["id"],
  "properties": {
    "id": {"type": "string", "x-merge": "immutable", "x-class": "operational"},
    "text": {"type": "string", "x-merge": "lww", "x-class": "personal"}
  }
})";

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

// kMinimalSchema with `from` replaced by `to` (once).
std::string Edited(const std::string& from, const std::string& to) {
  std::string text = kMinimalSchema;
  const std::size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

TEST(SchemaRegistryTest, LoadsEverySchemaFile) {
  const SchemaRegistry* registry = testing::RealSchemas();
  ASSERT_NE(registry, nullptr);
  EXPECT_THAT(registry->Collections(),
              ElementsAre("consent", "contact", "cse_screening", "intelligence_report",
                          "missing_episode", "referral", "young_person"));
  for (const std::string& collection : registry->Collections()) {
    const RecordSchema* schema = registry->Find(collection);
    ASSERT_NE(schema, nullptr) << collection;
    EXPECT_EQ(schema->name(), collection);
    EXPECT_EQ(schema->version(), (SchemaVersion{1, 0})) << collection;
  }
  EXPECT_EQ(registry->Find("case_note"), nullptr);
}

TEST(SchemaRegistryTest, MissingDirectoryIsNotFound) {
  outreach::testing::TempDir dir;
  EXPECT_THAT(SchemaRegistry::LoadDirectory(dir.File("nowhere")), StatusIs(StatusCode::kNotFound));
}

TEST(SchemaRegistryTest, DirectoryWithoutSchemasIsNotFound) {
  outreach::testing::TempDir dir;
  WriteFile(dir.File("README.md"), "# nothing here");
  EXPECT_THAT(SchemaRegistry::LoadDirectory(dir.path()), StatusIs(StatusCode::kNotFound));
}

TEST(SchemaRegistryTest, FileInsteadOfDirectoryIsInvalid) {
  outreach::testing::TempDir dir;
  WriteFile(dir.File("note.schema.json"), kMinimalSchema);
  EXPECT_THAT(SchemaRegistry::LoadDirectory(dir.File("note.schema.json")),
              StatusIs(StatusCode::kInvalidArgument));
}

TEST(SchemaRegistryTest, LoadsOnlySchemaFilesNamedAfterTheirCollection) {
  outreach::testing::TempDir dir;
  WriteFile(dir.File("note.schema.json"), kMinimalSchema);
  WriteFile(dir.File("note.json"), "not json at all");
  WriteFile(dir.File("README.md"), "# schemas");
  ASSERT_OK_AND_ASSIGN(SchemaRegistry registry, SchemaRegistry::LoadDirectory(dir.path()));
  EXPECT_THAT(registry.Collections(), ElementsAre("note"));
  EXPECT_EQ(registry.Find("note")->version(), (SchemaVersion{2, 3}));
}

TEST(SchemaRegistryTest, MalformedJsonNamesTheFile) {
  outreach::testing::TempDir dir;
  WriteFile(dir.File("note.schema.json"), kMinimalSchema);
  WriteFile(dir.File("broken.schema.json"), R"({"title": "broken", )");
  const auto loaded = SchemaRegistry::LoadDirectory(dir.path());
  EXPECT_THAT(loaded, StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(loaded.status().message(), HasSubstr("broken.schema.json"));
  EXPECT_THAT(loaded.status().message(), HasSubstr("not valid JSON"));
}

TEST(SchemaRegistryTest, BadAnnotationsNameTheFileAndProperty) {
  struct Case {
    const char* from;
    const char* to;
    const char* expected;
  };
  const Case cases[] = {
      {R"("x-merge": "lww")", R"("x-merge": "newest")", "x-merge 'newest'"},
      {R"("x-merge": "lww", )", "", "x-merge is missing"},
      {R"("x-class": "personal")", R"("x-class": "secret")", "x-class 'secret'"},
      {R"("x-class": "personal")", R"("x-class": 3)", "x-class must be a string"},
      {R"("x-schema-version": "2.3",)", "", "x-schema-version is missing"},
      {R"("x-schema-version": "2.3")", R"("x-schema-version": "2")", "major.minor"},
      {R"("x-retention": {"rule": "none"},)", "", "x-retention"},
      {R"({"rule": "none"})", R"({"years": 7})", "rule must be a non-empty string"},
      {R"({"rule": "none"})", R"({"rule": "none", "years": "seven"})", "years must be"},
      {R"({"rule": "none"})", R"({"rule": "none", "legal_hold": "yes"})", "legal_hold"},
      {R"({"rule": "none"})", R"({"rule": "none", "delete_by": "device"})",
       "delete_by must be reviewed_server_job"},
      {R"({"rule": "none"})", R"({"rule": "none", "from_field": "born"})",
       "x-retention names 'born'"},
      {R"({"rule": "none"})", R"({"rule": "none", "subject_fields": ["who/*/ref"]})",
       "x-retention names 'who'"},
      {R"("title": "note")", R"("title": "memo")", "title"},
      {R"("required": ["id"])", R"("required": ["id", "body"])", "'body'"},
      {R"("x-merge": "immutable")", R"("x-merge": "review")", "'id' must have x-merge immutable"},
      {R"("type": "string", "x-merge": "lww")",
       R"("type": "string", "x-order": ["a", "b"], "x-merge": "lww")",
       "x-order is only for forward and review fields"},
      {R"("type": "string", "x-merge": "lww")",
       R"("type": "string", "x-derived": "mood_score", "x-merge": "lww")",
       "x-derived 'mood_score'"},
      {R"("type": "string", "x-merge": "lww")",
       R"("type": "string", "x-immutable-after": "sent_at", "x-merge": "lww")", "'sent_at'"},
      {R"("type": "string", "x-merge": "lww")",
       R"("type": "string", "pattern": "(", "x-merge": "lww")", "pattern"},
  };
  for (const Case& test_case : cases) {
    SCOPED_TRACE(test_case.expected);
    outreach::testing::TempDir dir;
    WriteFile(dir.File("note.schema.json"), Edited(test_case.from, test_case.to));
    const auto loaded = SchemaRegistry::LoadDirectory(dir.path());
    EXPECT_THAT(loaded, StatusIs(StatusCode::kInvalidArgument));
    EXPECT_THAT(loaded.status().message(), HasSubstr("note.schema.json"));
    EXPECT_THAT(loaded.status().message(), HasSubstr(test_case.expected));
  }
}

TEST(SchemaRegistryTest, OrderMustListExactlyTheEnum) {
  const std::string text =
      Edited(R"("text": {"type": "string", "x-merge": "lww", "x-class": "personal"})",
             R"("level": {"enum": ["low", "high", "extreme"], "x-order": ["low", "high"],
                   "x-merge": "review", "x-class": "special_category"})");
  const auto loaded = SchemaRegistry::LoadFromStrings({{"note", text}});
  EXPECT_THAT(loaded, StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(loaded.status().message(), HasSubstr("x-order must list exactly the values of enum"));
}

TEST(SchemaRegistryTest, LoadsFromStrings) {
  ASSERT_OK_AND_ASSIGN(SchemaRegistry registry,
                       SchemaRegistry::LoadFromStrings({{"note", kMinimalSchema}}));
  ASSERT_NE(registry.Find("note"), nullptr);
  EXPECT_EQ(registry.Find("note")->Field("text")->policy, MergePolicy::kLww);
}

TEST(SchemaRegistryTest, StringErrorsNameTheCollection) {
  const auto loaded = SchemaRegistry::LoadFromStrings({{"note", "[1, 2"}});
  EXPECT_THAT(loaded, StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(loaded.status().message(), HasSubstr("note: not valid JSON"));
  EXPECT_THAT(SchemaRegistry::LoadFromStrings({{"Note", kMinimalSchema}}),
              StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(SchemaRegistry::LoadFromStrings({{"../note", kMinimalSchema}}),
              StatusIs(StatusCode::kInvalidArgument));
}

TEST(SchemaRegistryTest, FindSurvivesMovingTheRegistry) {
  ASSERT_OK_AND_ASSIGN(SchemaRegistry registry,
                       SchemaRegistry::LoadFromStrings({{"note", kMinimalSchema}}));
  const RecordSchema* before = registry.Find("note");
  SchemaRegistry moved = std::move(registry);
  EXPECT_EQ(moved.Find("note"), before);
}

}  // namespace
}  // namespace outreach::schema
