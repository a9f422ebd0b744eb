#include "core/schema/internal/json_schema_validator.h"

#include <cstddef>
#include <exception>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>
#include <vector>

#include "core/schema/internal/fast_validator.h"
#include "core/schema/internal/instance_limits.h"
#include "core/schema/internal/problem_text.h"
#include "core/schema/internal/schema_bundle.h"
#include "core/schema/internal/schema_preparation.h"
#include "core/schema/internal/valijson_format_constraint.h"

namespace outreach::schema::detail {

struct JsonSchemaValidator::Compiled {
  // Decides most valid instances without valijson (fast_validator.h); none when turned off.
  std::optional<FastValidator> fast;
  valijson::Schema schema;
  // One schema per entry of the top-level "allOf", if it has two or more. valijson stops an
  // allOf at its first failing entry, so an invalid instance is checked against each entry on
  // its own, to report every rule it breaks.
  std::vector<std::unique_ptr<valijson::Schema>> top_level_rules;
};

namespace {

// Compiles `document` into `schema`. Throws what valijson throws.
void Populate(const nlohmann::json& document, valijson::Schema& schema) {
  valijson::SchemaParser parser(valijson::SchemaParser::kDraft7);
  parser.addConstraintBuilder(std::string(kFormatKeyword), new FormatConstraintBuilder());
  valijson::adapters::NlohmannJsonAdapter adapter(document);
  // No fetcher: every "$ref" is a pointer into the bundle by now, and valijson refuses any
  // other with an exception.
  parser.populateSchema(adapter, schema);
}

// Compiles each entry of the top-level "allOf" of `document` as a schema of its own, unless it
// has fewer than two or a top-level "$ref" makes valijson ignore it. Throws what valijson throws.
std::vector<std::unique_ptr<valijson::Schema>> PopulateTopLevelRules(nlohmann::json document) {
  std::vector<std::unique_ptr<valijson::Schema>> rules;
  if (!document.is_object() || document.contains("$ref")) return rules;
  const auto all_of = document.find("allOf");
  if (all_of == document.end() || !all_of->is_array() || all_of->size() < 2) return rules;
  const std::size_t rule_count = all_of->size();
  for (std::size_t index = 0; index < rule_count; ++index) {
    // A root "$ref" to the entry, in the whole document: "$ref"s inside it still resolve.
    document["$ref"] = "#/allOf/" + std::to_string(index);
    rules.push_back(std::make_unique<valijson::Schema>());
    Populate(document, *rules.back());
  }
  return rules;
}

// Validates `instance` against `schema`, appending valijson's errors, rephrased, to `problems`.
// False if invalid. Throws what valijson throws.
bool ValidateInto(const valijson::Schema& schema,
                  const valijson::adapters::NlohmannJsonAdapter& instance,
                  std::vector<RephrasedProblem>& problems) {
  // One Validator per thread: it caches compiled "pattern" regexes (keyed by pattern text, so
  // shareable between schemas) and that cache is not safe to share between threads.
  thread_local valijson::Validator validator(valijson::Validator::kStrongTypes);
  // Without a results object valijson stops at the first error and records nothing: most
  // writes are valid, so that pass decides; only an invalid instance is walked again for
  // every error.
  if (validator.validate(schema, instance, nullptr)) return true;
  valijson::ValidationResults results;
  if (validator.validate(schema, instance, &results)) return true;
  valijson::ValidationResults::Error error;
  while (results.popError(error)) {
    std::optional<RephrasedProblem> problem =
        RephraseValijsonError(error.context, error.description);
    if (problem) problems.push_back(std::move(*problem));
  }
  return false;
}

}  // namespace

JsonSchemaValidator::JsonSchemaValidator(std::unique_ptr<const Compiled> compiled)
    : compiled_(std::move(compiled)) {}
JsonSchemaValidator::JsonSchemaValidator(JsonSchemaValidator&&) noexcept = default;
JsonSchemaValidator& JsonSchemaValidator::operator=(JsonSchemaValidator&&) noexcept = default;
JsonSchemaValidator::~JsonSchemaValidator() = default;

Result<JsonSchemaValidator> JsonSchemaValidator::Compile(const nlohmann::json& schema,
                                                         const SchemaDocuments& documents,
                                                         FastPath fast_path) {
  OUTREACH_ASSIGN_OR_RETURN(const nlohmann::json bundled, BundleSchema(schema, documents));
  OUTREACH_ASSIGN_OR_RETURN(const nlohmann::json prepared, PrepareSchemaForValijson(bundled));
  auto compiled = std::make_unique<Compiled>();
  if (fast_path == FastPath::kOn) compiled->fast.emplace(prepared);
  try {
    Populate(prepared, compiled->schema);
    compiled->top_level_rules = PopulateTopLevelRules(prepared);
  } catch (const std::exception& error) {
    // valijson's text quotes schema keywords and URIs, never instance data.
    return InvalidArgumentError(std::string("not a usable draft-07 schema: ") + error.what());
  }
  return JsonSchemaValidator(std::move(compiled));
}

FastVerdict JsonSchemaValidator::FastVerdictOf(
    const nlohmann::json& instance, const std::set<std::string, std::less<>>* only_fields) const {
  try {
    if (!compiled_->fast) return FastVerdict::kUnknown;
    return only_fields != nullptr ? compiled_->fast->CheckFields(instance, *only_fields)
                                  : compiled_->fast->Check(instance);
  } catch (const std::exception&) {
    return FastVerdict::kUnknown;  // valijson decides, and says what it could not check
  }
}

std::vector<ValidationProblem> JsonSchemaValidator::Validate(
    const nlohmann::json& instance, const std::set<std::string, std::less<>>* only_fields) const {
  std::vector<ValidationProblem> limit_problems = CheckInstanceLimits(instance);
  if (!limit_problems.empty()) return limit_problems;

  if (FastVerdictOf(instance, only_fields) == FastVerdict::kValid) return {};
  std::vector<RephrasedProblem> rephrased;
  try {
    const valijson::adapters::NlohmannJsonAdapter adapter(instance);
    if (ValidateInto(compiled_->schema, adapter, rephrased)) return {};
    // The whole schema reported only the first top-level rule broken; each rule on its own
    // reports itself. The first one's problems come twice, and CollapseProblems drops copies.
    for (const auto& rule : compiled_->top_level_rules) ValidateInto(*rule, adapter, rephrased);
  } catch (const std::exception&) {
    return {ValidationProblem{"", std::string(kUncheckedMessage)}};
  }
  std::vector<ValidationProblem> problems = CollapseProblems(rephrased);
  if (problems.empty()) problems.push_back({"", "does not satisfy the schema"});
  return problems;
}

}  // namespace outreach::schema::detail
