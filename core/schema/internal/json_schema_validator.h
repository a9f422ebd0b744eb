// A compiled JSON Schema (draft-07) document that validates JSON values. The one place valijson
// is used: its headers stay in json_schema_validator.cc (compile time), and its exceptions never
// leave it. RecordSchema uses it for record values; tests run the JSON-Schema-Test-Suite
// through it.
#pragma once

#include <memory>
#include <set>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "core/base/status.h"
#include "core/schema/internal/fast_validator.h"
#include "core/schema/internal/schema_bundle.h"
#include "core/schema/validation_problem.h"

namespace outreach::schema::detail {

class JsonSchemaValidator {
 public:
  // Compiles `schema` (draft-07; also a boolean schema). "$id" and "$ref" follow draft-07,
  // resolved by BundleSchema (schema_bundle.h): a "$ref" reaches the schema's own subschemas
  // and the `documents` given, which are copied in; nothing is ever fetched. Record schemas are
  // self-contained and pass none; tests pass the JSON-Schema-Test-Suite's remote documents.
  // Formats "date", "time" and "date-time" are checked as RFC 3339 in linear time
  // (schema_preparation.h); other formats are annotations only. invalid_argument if valijson
  // rejects the schema (bad keyword value, "$ref" to a missing pointer), a "$ref" names
  // nothing known, or a "pattern" is not a valid ECMAScript regex. `documents` need not
  // outlive the call.
  // `fast_path` kOff: valijson alone, the reference the fast path is tested against.
  enum class FastPath { kOn, kOff };
  static Result<JsonSchemaValidator> Compile(const nlohmann::json& schema,
                                             const SchemaDocuments& documents = {},
                                             FastPath fast_path = FastPath::kOn);

  JsonSchemaValidator(JsonSchemaValidator&&) noexcept;
  JsonSchemaValidator& operator=(JsonSchemaValidator&&) noexcept;
  JsonSchemaValidator(const JsonSchemaValidator&) = delete;
  JsonSchemaValidator& operator=(const JsonSchemaValidator&) = delete;
  ~JsonSchemaValidator();

  // Every way `instance` breaks the schema, value-free (see problem_text.h); empty if valid.
  // Each broken entry of the top-level "allOf" (record schemas' if/then rules) is reported, not
  // only the first as valijson alone would; an "allOf" deeper down still reports its first
  // broken entry only. Documents over the limits of instance_limits.h get only those problems.
  // Const and safe to call from several threads at once.
  // `only_fields` (a partial write): the caller keeps only problems under those top-level
  // properties, so the fast path may leave the others unchecked (FastValidator::CheckFields).
  std::vector<ValidationProblem> Validate(
      const nlohmann::json& instance,
      const std::set<std::string, std::less<>>* only_fields = nullptr) const;
  // The fast path's answer alone (fast_validator.h): Validate takes its "valid" and asks
  // valijson otherwise. Tests hold it to the suite's answers and to valijson's.
  FastVerdict FastVerdictOf(const nlohmann::json& instance,
                            const std::set<std::string, std::less<>>* only_fields = nullptr) const;

 private:
  struct Compiled;
  explicit JsonSchemaValidator(std::unique_ptr<const Compiled> compiled);

  std::unique_ptr<const Compiled> compiled_;
};

}  // namespace outreach::schema::detail
