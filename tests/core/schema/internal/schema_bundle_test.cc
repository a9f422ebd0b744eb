// BundleSchema: "$ref"s resolved against "$id" base URIs and rewritten as pointers into one
// self-contained document.
#include "core/schema/internal/schema_bundle.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/testing/status_matchers.h"

namespace outreach::schema::detail {
namespace {

using ::outreach::testing::StatusIs;
using Json = nlohmann::json;

TEST(SchemaBundleTest, LocalPointersStayAsTheyAre) {
  const Json schema = Json::parse(R"({
    "$id": "urn:outreach:schema:contact",
    "properties": {"id": {"$ref": "#/definitions/uuid"}, "self": {"$ref": "#"}},
    "definitions": {"uuid": {"type": "string"}}
  })");
  ASSERT_OK_AND_ASSIGN(const Json bundled, BundleSchema(schema, {}));
  EXPECT_EQ(bundled, schema);
}

TEST(SchemaBundleTest, RelativeRefsFollowTheBaseUriOfTheirIds) {
  const Json schema = Json::parse(R"({
    "$id": "http://example.test/tree",
    "items": {"$ref": "node"},
    "definitions": {
      "node": {"$id": "node", "properties": {"subtree": {"$ref": "tree"}}},
      "named": {"$id": "#leaf", "type": "integer"},
      "folder": {"$id": "folder/", "items": {"$ref": "../tree#/definitions/named"}}
    },
    "properties": {"leaf": {"$ref": "#leaf"}, "folder": {"$ref": "folder/"}}
  })");
  ASSERT_OK_AND_ASSIGN(const Json bundled, BundleSchema(schema, {}));
  EXPECT_EQ(bundled["items"]["$ref"], "#/definitions/node");
  EXPECT_EQ(bundled["definitions"]["node"]["properties"]["subtree"]["$ref"], "#");
  EXPECT_EQ(bundled["definitions"]["folder"]["items"]["$ref"], "#/definitions/named");
  EXPECT_EQ(bundled["properties"]["leaf"]["$ref"], "#/definitions/named");
  EXPECT_EQ(bundled["properties"]["folder"]["$ref"], "#/definitions/folder");
}

TEST(SchemaBundleTest, CopiesInOnlyTheDocumentsRefsReach) {
  const SchemaDocuments documents = {
      {"http://example.test/a.json", Json::parse(R"({"items": {"$ref": "b.json#/x~1y"}})")},
      {"http://example.test/b.json", Json::parse(R"({"x/y": {"type": "integer"}})")},
      {"http://example.test/unused.json", Json::parse(R"({"type": "string"})")}};
  const Json schema = {{"$ref", "http://example.test/a.json"}};
  ASSERT_OK_AND_ASSIGN(const Json bundled, BundleSchema(schema, documents));
  EXPECT_EQ(bundled, Json::parse(R"({
    "$ref": "#/x-outreach-bundled-documents/0",
    "x-outreach-bundled-documents": [
      {"items": {"$ref": "#/x-outreach-bundled-documents/1/x~1y"}},
      {"x/y": {"type": "integer"}}
    ]
  })"));
}

TEST(SchemaBundleTest, KeywordsAreFoundOnlyWhereSchemasAre) {
  const Json schema = Json::parse(R"({
    "properties": {"$ref": {"type": "string"}, "$id": {"type": "string"}},
    "enum": [{"$ref": "http://example.test/not-a-ref"}],
    "definitions": {
      "withId": {"$ref": "#/definitions/target", "$id": "http://elsewhere.test/"},
      "target": {"type": "integer"}
    },
    "items": {"$ref": "#/definitions/withId"}
  })");
  ASSERT_OK_AND_ASSIGN(const Json bundled, BundleSchema(schema, {}));
  EXPECT_EQ(bundled, schema);  // the sibling "$id" names nothing: "#/..." stays in this document
}

TEST(SchemaBundleTest, RefusesRefsToUnknownDocuments) {
  EXPECT_THAT(BundleSchema({{"$ref", "http://example.test/missing.json"}}, {}),
              StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(BundleSchema({{"$ref", "other.json"}}, {{"other.json", Json::object()}}),
              StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(BundleSchema({{"$ref", "#nowhere"}}, {}), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(BundleSchema({{"x-outreach-bundled-documents", 1}}, {}),
              StatusIs(StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace outreach::schema::detail
