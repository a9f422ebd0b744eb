// One record type's schema (schemas/<type>.schema.json): its fields with their merge policies,
// data classes and orders, its retention policy, and validation of a record's values against
// it. Immutable once built; every const method may be called from any thread.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/base/status.h"
#include "core/schema/field_spec.h"
#include "core/schema/internal/json_schema_validator.h"
#include "core/schema/retention_policy.h"
#include "core/schema/schema_version.h"
#include "core/schema/validation_problem.h"

namespace outreach::schema {

// Who wrote the values being validated.
enum class ValidationMode {
  // Typed by a user (a change a device makes): derived fields must be absent, since the engine
  // computes them; rules that read derived fields apply to the values the engine would compute.
  kUserInput,
  // Record state as stored or merged, derived fields included.
  kStoredState,
};

class RecordSchema {
 public:
  // Builds the schema of `collection` from its parsed document. invalid_argument, naming
  // `collection`, if the document is not a record schema: not an object; "title" present but not
  // `collection`; "x-schema-version" missing or not "major.minor"; "x-retention" not an object, or
  // malformed (retention_policy.h), or its from_field / subject_fields naming no property;
  // no "properties" or no "id" property with x-merge immutable; "required" naming a missing
  // property; a property whose annotations are missing or wrong (see field_spec_parser.h), or
  // whose x-immutable-after names no property; or a document valijson cannot compile.
  static Result<RecordSchema> FromDocument(const std::string& collection,
                                           const nlohmann::json& document);

  RecordSchema(RecordSchema&&) noexcept = default;
  RecordSchema& operator=(RecordSchema&&) noexcept = default;
  RecordSchema(const RecordSchema&) = delete;
  RecordSchema& operator=(const RecordSchema&) = delete;

  // The collection (record type) name, e.g. "contact".
  const std::string& name() const { return name_; }
  SchemaVersion version() const { return version_; }
  // The "x-retention" object as written (rule, years, legal_hold, ...), for the retention job.
  const nlohmann::json& retention() const { return document_["x-retention"]; }
  // The same, parsed and checked (retention_policy.h).
  const RetentionPolicy& retention_policy() const { return retention_policy_; }
  // The whole schema document, e.g. for the server to send to devices.
  const nlohmann::json& document() const { return document_; }

  // The spec of top-level field `name`, or nullptr if the schema does not declare it (an unknown
  // field: kept as written by whoever merges it). Valid as long as this RecordSchema.
  const FieldSpec* Field(std::string_view name) const;
  // All declared fields, sorted by name (nlohmann::json keeps object keys sorted).
  const std::vector<FieldSpec>& fields() const { return fields_; }

  // Every way `values` (a record's values object) breaks this schema: JSON Schema validation
  // (types, required, enums, formats, if/then rules) plus, in kUserInput mode, one problem
  // "derived: computed by the engine" per derived field present. Unknown fields are accepted.
  // Empty if valid. Messages carry no field values (ProblemsToStatus turns them into a Status).
  std::vector<ValidationProblem> Validate(const nlohmann::json& values, ValidationMode mode) const;
  // The same, working on `values` in place (no copy of the record): the members given stay in
  // it with their values, but for derived fields (taken out and computed again), so a caller
  // may lend it values and take them back afterwards. With `only_fields`, the
  // caller keeps only problems of those top-level fields (a partial write): problems of other
  // fields may be left out, which lets the fast path decide more writes without valijson.
  std::vector<ValidationProblem> Validate(
      nlohmann::json&& values, ValidationMode mode,
      const std::set<std::string, std::less<>>* only_fields = nullptr) const;

  // True when no rule across fields reads `field` (internal/rule_free_fields.h): only its own
  // property schema constrains it, so a value that passes that schema, written over a valid
  // record, leaves the record valid. False for "id", undeclared fields, and every field of a
  // schema whose rules cannot be read through (or that has derived fields).
  bool RuleFree(std::string_view field) const { return rule_free_.count(field) != 0; }

  // Whether a change written against `change_version` of this type may be applied here: true for
  // the same major version, whatever the minor. An older minor lacks only optional fields; a
  // newer minor only adds optional fields, which we keep unvalidated (additionalProperties is
  // true). A different major is refused: the device or server must update its schemas first.
  bool AcceptsVersion(SchemaVersion change_version) const;

 private:
  RecordSchema(std::string name, SchemaVersion version, nlohmann::json document,
               RetentionPolicy retention_policy, std::vector<FieldSpec> fields,
               detail::JsonSchemaValidator validator);

  std::string name_;
  SchemaVersion version_;
  nlohmann::json document_;
  RetentionPolicy retention_policy_;
  std::vector<FieldSpec> fields_;
  // Hashed by the name's bytes, found by a string_view without making a string.
  struct NameHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view name) const noexcept {
      return std::hash<std::string_view>{}(name);
    }
  };
  // name -> index in fields_. Hashed: a pushed change looks its fields up a few hundred times
  // (shape, admission, merge), and the tree's string comparisons were 4% of the server's
  // instructions on a push of creates (callgrind).
  std::unordered_map<std::string, std::size_t, NameHash, std::equal_to<>> field_index_;
  std::set<std::string, std::less<>> rule_free_;
  detail::JsonSchemaValidator validator_;
};

}  // namespace outreach::schema
