#include "core/schema/record_schema.h"

#include <algorithm>
#include <set>
#include <utility>

#include "core/schema/derived_fields.h"
#include "core/schema/internal/field_spec_parser.h"
#include "core/schema/internal/json_pointer.h"
#include "core/schema/internal/rule_free_fields.h"

namespace outreach::schema {
namespace {

Status DocumentError(const std::string& collection, const std::string& what) {
  return InvalidArgumentError(collection + ": " + what);
}

Result<SchemaVersion> ReadVersion(const std::string& collection, const nlohmann::json& document) {
  const auto found = document.find("x-schema-version");
  if (found == document.end()) return DocumentError(collection, "x-schema-version is missing");
  const std::optional<SchemaVersion> version =
      found->is_string() ? ParseSchemaVersion(found->get<std::string>()) : std::nullopt;
  if (!version) return DocumentError(collection, "x-schema-version must be \"major.minor\"");
  return *version;
}

Result<std::set<std::string>> ReadRequired(const std::string& collection,
                                           const nlohmann::json& document) {
  std::set<std::string> required;
  const auto found = document.find("required");
  if (found == document.end()) return required;
  if (!found->is_array()) return DocumentError(collection, "required must be an array");
  for (const nlohmann::json& name : *found) {
    if (!name.is_string()) return DocumentError(collection, "required must hold property names");
    required.insert(name.get<std::string>());
  }
  return required;
}

Result<std::vector<FieldSpec>> ReadFields(const std::string& collection,
                                          const nlohmann::json& document) {
  const auto properties = document.find("properties");
  if (properties == document.end() || !properties->is_object()) {
    return DocumentError(collection, "properties must be an object");
  }
  OUTREACH_ASSIGN_OR_RETURN(std::set<std::string> required, ReadRequired(collection, document));
  for (const std::string& name : required) {
    if (!properties->contains(name)) {
      return DocumentError(collection, "required names '" + name + "', which is not a property");
    }
  }
  std::vector<FieldSpec> fields;
  for (auto it = properties->begin(); it != properties->end(); ++it) {
    OUTREACH_ASSIGN_OR_RETURN(
        FieldSpec field,
        detail::ParseFieldSpec(collection, it.key(), it.value(), required.count(it.key()) > 0));
    fields.push_back(std::move(field));
  }
  for (const FieldSpec& field : fields) {
    if (!field.immutable_after.empty() && !properties->contains(field.immutable_after)) {
      return DocumentError(collection, "property '" + field.name + "': x-immutable-after names '" +
                                           field.immutable_after + "', which is not a property");
    }
  }
  // Every record has an id that never changes (DESIGN.md section 3).
  const auto id = properties->find("id");
  if (id == properties->end()) return DocumentError(collection, "has no id property");
  if (id->value("x-merge", "") != "immutable") {
    return DocumentError(collection, "property 'id' must have x-merge immutable");
  }
  return fields;
}

// The retention job reads the fields the policy names: each must be a property (a subject
// pointer such as "children_in_household/*/young_person_ref" by its first step).
Status CheckRetentionFields(const std::string& collection, const RetentionPolicy& policy,
                            const nlohmann::json& document) {
  const nlohmann::json& properties = document["properties"];
  std::vector<std::string> named = policy.subject_fields;
  if (!policy.from_field.empty()) named.push_back(policy.from_field);
  for (const std::string& pointer : named) {
    const std::string field = pointer.substr(0, pointer.find('/'));
    if (!properties.contains(field)) {
      return DocumentError(collection, "x-retention names '" + field + "', which is not a property");
    }
  }
  return Status::Ok();
}

}  // namespace

RecordSchema::RecordSchema(std::string name, SchemaVersion version, nlohmann::json document,
                           RetentionPolicy retention_policy, std::vector<FieldSpec> fields,
                           detail::JsonSchemaValidator validator)
    : name_(std::move(name)),
      version_(version),
      document_(std::move(document)),
      retention_policy_(std::move(retention_policy)),
      fields_(std::move(fields)),
      validator_(std::move(validator)) {
  // Sorted by name, as fields() promises and Validate's merged walk needs (they come from a
  // JSON object's keys, already sorted: this only makes sure).
  std::sort(fields_.begin(), fields_.end(),
            [](const FieldSpec& a, const FieldSpec& b) { return a.name < b.name; });
  bool has_derived_fields = false;
  for (std::size_t index = 0; index < fields_.size(); ++index) {
    field_index_.emplace(fields_[index].name, index);
    has_derived_fields = has_derived_fields || !fields_[index].derived.empty();
  }
  rule_free_ = detail::RuleFreeFields(document_, has_derived_fields);
}

Result<RecordSchema> RecordSchema::FromDocument(const std::string& collection,
                                                const nlohmann::json& document) {
  if (!document.is_object()) return DocumentError(collection, "schema must be a JSON object");
  const auto title = document.find("title");
  if (title != document.end() && *title != collection) {
    return DocumentError(collection, "title must be the collection name");
  }
  OUTREACH_ASSIGN_OR_RETURN(SchemaVersion version, ReadVersion(collection, document));
  const auto retention = document.find("x-retention");
  if (retention == document.end() || !retention->is_object()) {
    return DocumentError(collection, "x-retention must be an object");
  }
  OUTREACH_ASSIGN_OR_RETURN(RetentionPolicy retention_policy,
                            ParseRetentionPolicy(collection, *retention));
  OUTREACH_ASSIGN_OR_RETURN(std::vector<FieldSpec> fields, ReadFields(collection, document));
  OUTREACH_RETURN_IF_ERROR(CheckRetentionFields(collection, retention_policy, document));

  Result<detail::JsonSchemaValidator> validator = detail::JsonSchemaValidator::Compile(document);
  if (!validator.ok()) return DocumentError(collection, validator.status().message());
  return RecordSchema(collection, version, document, std::move(retention_policy),
                      std::move(fields), std::move(validator).value());
}

const FieldSpec* RecordSchema::Field(std::string_view name) const {
  const auto found = field_index_.find(name);
  return found == field_index_.end() ? nullptr : &fields_[found->second];
}

std::vector<ValidationProblem> RecordSchema::Validate(const nlohmann::json& values,
                                                      ValidationMode mode) const {
  if (!values.is_object()) return validator_.Validate(values);
  return Validate(nlohmann::json(values), mode);
}

std::vector<ValidationProblem> RecordSchema::Validate(
    nlohmann::json&& values, ValidationMode mode,
    const std::set<std::string, std::less<>>* only_fields) const {
  if (!values.is_object()) return validator_.Validate(values);
  nlohmann::json& effective = values;
  // The derived fields the caller wrote. And, since merge never stores an empty list, an
  // append or set field with nothing in it is absent from a record (and from the change that
  // created it): absent and empty are the same list, so a device creating {"summary": []} and
  // the server validating the change it sent agree. The fields and the members are both
  // sorted by name: one merged walk finds both (a lookup a field cost ~3% of the server's
  // instructions on a push of creates).
  std::vector<const FieldSpec*> written_derived;
  auto& members = effective.get_ref<nlohmann::json::object_t&>();
  auto member = members.begin();
  for (const FieldSpec& field : fields_) {
    while (member != members.end() && member->first < field.name) ++member;
    if (member != members.end() && member->first == field.name) {
      if (mode != ValidationMode::kStoredState && !field.derived.empty()) {
        written_derived.push_back(&field);
      }
      continue;
    }
    if (field.policy == MergePolicy::kAppend || field.policy == MergePolicy::kSet) {
      member = members.emplace_hint(member, field.name, nlohmann::json::array());
    }
  }
  if (mode == ValidationMode::kStoredState) return validator_.Validate(effective, only_fields);
  std::vector<ValidationProblem> problems;
  for (const FieldSpec* field : written_derived) {
    problems.push_back(
        {detail::AppendPointerToken("", field->name), "derived: computed by the engine"});
    effective.erase(field->name);
  }
  // Rules that read derived fields (a rationale when assessed_level differs from
  // computed_level) judge the values the engine is about to compute.
  const nlohmann::json derived = ComputeDerived(*this, effective);
  for (auto it = derived.begin(); it != derived.end(); ++it) effective[it.key()] = it.value();
  std::vector<ValidationProblem> schema_problems = validator_.Validate(effective, only_fields);
  problems.insert(problems.end(), schema_problems.begin(), schema_problems.end());
  return problems;
}

bool RecordSchema::AcceptsVersion(SchemaVersion change_version) const {
  return change_version.major == version_.major;
}

}  // namespace outreach::schema
