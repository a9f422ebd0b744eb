#include "core/schema/internal/json_schema_validator.h"

#include <exception>
#include <nlohmann/json.hpp>
#include <utility>
#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>

#include "core/schema/internal/instance_limits.h"
#include "core/schema/internal/problem_text.h"
#include "core/schema/internal/schema_bundle.h"
#include "core/schema/internal/schema_preparation.h"
#include "core/schema/internal/valijson_format_constraint.h"

namespace outreach::schema::detail {

struct JsonSchemaValidator::Compiled {
  valijson::Schema schema;
};

JsonSchemaValidator::JsonSchemaValidator(std::unique_ptr<const Compiled> compiled)
    : compiled_(std::move(compiled)) {}
JsonSchemaValidator::JsonSchemaValidator(JsonSchemaValidator&&) noexcept = default;
JsonSchemaValidator& JsonSchemaValidator::operator=(JsonSchemaValidator&&) noexcept = default;
JsonSchemaValidator::~JsonSchemaValidator() = default;

Result<JsonSchemaValidator> JsonSchemaValidator::Compile(const nlohmann::json& schema,
                                                         const SchemaDocuments& documents) {
  OUTREACH_ASSIGN_OR_RETURN(const nlohmann::json bundled, BundleSchema(schema, documents));
  OUTREACH_ASSIGN_OR_RETURN(const nlohmann::json prepared, PrepareSchemaForValijson(bundled));
  auto compiled = std::make_unique<Compiled>();
  try {
    valijson::SchemaParser parser(valijson::SchemaParser::kDraft7);
    parser.addConstraintBuilder(std::string(kFormatKeyword), new FormatConstraintBuilder());
    valijson::adapters::NlohmannJsonAdapter adapter(prepared);
    // No fetcher: every "$ref" is a pointer into the bundle by now, and valijson refuses any
    // other with an exception.
    parser.populateSchema(adapter, compiled->schema);
  } catch (const std::exception& error) {
    // valijson's text quotes schema keywords and URIs, never instance data.
    return InvalidArgumentError(std::string("not a usable draft-07 schema: ") + error.what());
  }
  return JsonSchemaValidator(std::move(compiled));
}

std::vector<ValidationProblem> JsonSchemaValidator::Validate(const nlohmann::json& instance) const {
  std::vector<ValidationProblem> limit_problems = CheckInstanceLimits(instance);
  if (!limit_problems.empty()) return limit_problems;

  // One Validator per thread: it caches compiled "pattern" regexes (keyed by pattern text, so
  // shareable between schemas) and that cache is not safe to share between threads.
  thread_local valijson::Validator validator(valijson::Validator::kStrongTypes);
  valijson::ValidationResults results;
  bool valid = false;
  try {
    valijson::adapters::NlohmannJsonAdapter adapter(instance);
    valid = validator.validate(compiled_->schema, adapter, &results);
  } catch (const std::exception&) {
    return {ValidationProblem{"", "could not be checked against the schema"}};
  }
  if (valid) return {};

  std::vector<RephrasedProblem> rephrased;
  valijson::ValidationResults::Error error;
  while (results.popError(error)) {
    std::optional<RephrasedProblem> problem =
        RephraseValijsonError(error.context, error.description);
    if (problem) rephrased.push_back(std::move(*problem));
  }
  std::vector<ValidationProblem> problems = CollapseProblems(rephrased);
  if (problems.empty()) problems.push_back({"", "does not satisfy the schema"});
  return problems;
}

}  // namespace outreach::schema::detail
