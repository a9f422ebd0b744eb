// Builders for merge tests: a small schema with one field of every policy, and changes made
// by named devices at given clock readings.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "core/merge/merge.h"
#include "core/merge/record_view.h"
#include "core/model/change.h"
#include "core/schema/schema_registry.h"

namespace outreach::merge::testing {

// "probe": imm (immutable), notes (append), consent_events (append, review if concurrent),
// tasks (append, x-entry-forward state open..done), tags (set), risk (review, ordered
// low..high), place (review, unordered), nick (lww), status (forward draft..closed).
inline constexpr const char* kProbeSchema = R"({
  "$schema": "http://json-schema.org/draft-07/schema#",
  "$id": "urn:outreach:schema:probe",
  "title": "probe",
  "x-schema-version": "1.2",
  "x-retention": {"rule": "none"},
  "type": "object",
  "additionalProperties": true,
  "properties": {
    "id": {"type": "string", "x-merge": "immutable", "x-class": "operational"},
    "imm": {"type": "string", "x-merge": "immutable", "x-class": "personal"},
    "notes": {"type": "array", "items": {"type": "object", "required": ["id"]},
              "x-merge": "append", "x-class": "special_category"},
    "consent_events": {"type": "array", "items": {"type": "object", "required": ["id"]},
              "x-merge": "append", "x-class": "personal",
              "x-review-if-concurrent": {"kind": ["given", "withdrawn"]}},
    "tasks": {"type": "array", "items": {"type": "object", "required": ["id"]},
              "x-merge": "append", "x-class": "personal",
              "x-entry-forward": {"state": ["open", "done"]}},
    "tags": {"type": "array", "uniqueItems": true, "x-merge": "set", "x-class": "personal"},
    "risk": {"enum": ["low", "medium", "high"], "x-merge": "review", "x-order": ["low", "medium", "high"],
             "x-class": "special_category"},
    "place": {"type": "string", "x-merge": "review", "x-class": "personal"},
    "nick": {"type": "string", "x-merge": "lww", "x-class": "personal"},
    "status": {"enum": ["draft", "submitted", "reviewed", "closed"], "x-merge": "forward",
               "x-order": ["draft", "submitted", "reviewed", "closed"], "x-class": "operational"}
  }
})";

inline model::Version V(const std::string& device, std::int64_t ms, std::uint32_t counter = 0) {
  return model::Version{model::Hlc{ms, counter}, device};
}

inline model::VersionVector Base(std::initializer_list<model::Version> versions) {
  model::VersionVector base;
  for (const auto& version : versions) base.Add(version);
  return base;
}

inline model::Change NewChange(const model::Version& version, model::ChangeKind kind =
                                                                  model::ChangeKind::kUpdate) {
  model::Change change;
  change.change_id = "change-" + version.device_id + "-" + std::to_string(version.hlc.physical_ms) +
                     "-" + std::to_string(version.hlc.counter);
  change.record_id = "0190a6c2-0000-7000-8000-000000000001";
  change.collection = "probe";
  change.team = "team-a";
  change.schema_version = "1.0";
  change.kind = kind;
  change.version = version;
  change.author = "user-" + version.device_id;
  change.author_role = "worker";
  return change;
}

inline model::Change SetField(const model::Version& version, const std::string& field,
                              model::Json value, model::VersionVector base = {}) {
  model::Change change = NewChange(version);
  change.registers[field] = model::RegisterWrite{std::move(value), std::move(base)};
  return change;
}

// Applies the changes in order, asserting none is rejected; returns the final state.
model::RecordState ApplyAll(const schema::RecordSchema& schema,
                            const std::vector<model::Change>& changes);

// A fixture holding the "probe" schema.
class ProbeSchemaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto registry = schema::SchemaRegistry::LoadFromStrings({{"probe", kProbeSchema}});
    ASSERT_TRUE(registry.ok()) << registry.status().ToString();
    registry_ = std::make_unique<schema::SchemaRegistry>(std::move(registry).value());
    schema_ = registry_->Find("probe");
    ASSERT_NE(schema_, nullptr);
  }

  model::Json Values(const model::RecordState& state) { return CurrentValues(*schema_, state); }

  std::unique_ptr<schema::SchemaRegistry> registry_;
  const schema::RecordSchema* schema_ = nullptr;
};

}  // namespace outreach::merge::testing
