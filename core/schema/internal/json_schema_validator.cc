#include "core/schema/internal/json_schema_validator.h"

#include <exception>
#include <new>
#include <nlohmann/json.hpp>
#include <string_view>
#include <utility>
#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/constraint_builder.hpp>
#include <valijson/constraints/concrete_constraints.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>

#include "core/schema/internal/instance_limits.h"
#include "core/schema/internal/problem_text.h"
#include "core/schema/internal/rfc3339.h"
#include "core/schema/internal/schema_bundle.h"
#include "core/schema/internal/schema_preparation.h"

namespace outreach::schema::detail {

struct JsonSchemaValidator::Compiled {
  valijson::Schema schema;
};

namespace {

enum class Format { kDate, kTime, kDateTime, kUnchecked };

// "format" (renamed kFormatKeyword by PrepareSchemaForValijson), checked without std::regex.
// Formats other than date, time and date-time are annotations only, as draft-07 allows.
class FormatConstraint : public valijson::constraints::PolyConstraint {
 public:
  explicit FormatConstraint(Format format) : format_(format) {}

  bool validate(const valijson::adapters::Adapter& target, const std::vector<std::string>& context,
                valijson::ValidationResults* results) const override {
    if (!target.isString()) return true;  // "format" constrains strings only
    const std::string text = target.getString();
    bool valid = true;
    const char* description = "";
    switch (format_) {
      case Format::kDate:
        valid = IsRfc3339Date(text);
        description = "String should be a valid date";
        break;
      case Format::kTime:
        valid = IsRfc3339Time(text);
        description = "String should be a valid time";
        break;
      case Format::kDateTime:
        valid = IsRfc3339DateTime(text);
        description = "String should be a valid date-time";
        break;
      case Format::kUnchecked:
        break;
    }
    // valijson's own wording, so problem_text.cc rephrases both the same way.
    if (!valid && results != nullptr) results->pushError(context, description);
    return valid;
  }

 private:
  Constraint* cloneInto(void* memory) const override {
    return new (memory) FormatConstraint(*this);
  }
  size_t sizeOf() const override { return sizeof(FormatConstraint); }

  Format format_;
};

class FormatConstraintBuilder : public valijson::ConstraintBuilder {
 public:
  valijson::constraints::Constraint* make(const valijson::adapters::Adapter& value) const override {
    std::string name;
    if (!value.getString(name)) valijson::throwRuntimeError("'format' must be a string");
    Format format = Format::kUnchecked;
    if (name == "date") format = Format::kDate;
    if (name == "time") format = Format::kTime;
    if (name == "date-time") format = Format::kDateTime;
    return new FormatConstraint(format);
  }
};

}  // namespace

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
