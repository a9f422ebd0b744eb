// A compiled JSON Schema (draft-07) document that validates JSON values. The one place valijson
// is used: its headers stay in json_schema_validator.cc (compile time), and its exceptions never
// leave it. RecordSchema uses it for record values; tests run the JSON-Schema-Test-Suite
// through it.
#pragma once

#include <map>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "core/base/status.h"
#include "core/schema/validation_problem.h"

namespace outreach::schema::detail {

class JsonSchemaValidator {
 public:
  // Documents a schema may "$ref" by absolute URI, keyed by URI without fragment. Only tests use
  // it (the suite's remotes); record schemas are self-contained and nothing is ever fetched.
  using RemoteDocuments = std::map<std::string, nlohmann::json>;

  // Compiles `schema` (draft-07; also a boolean schema). Formats "date", "time" and
  // "date-time" are checked as RFC 3339 in linear time (schema_preparation.h); other formats are
  // annotations only. invalid_argument if valijson rejects the schema (bad keyword value,
  // unresolvable "$ref", remote "$ref" not in `remotes`) or a "pattern" is not a valid
  // ECMAScript regex. `remotes` may be null and need not outlive the call.
  static Result<JsonSchemaValidator> Compile(const nlohmann::json& schema,
                                             const RemoteDocuments* remotes = nullptr);

  JsonSchemaValidator(JsonSchemaValidator&&) noexcept;
  JsonSchemaValidator& operator=(JsonSchemaValidator&&) noexcept;
  JsonSchemaValidator(const JsonSchemaValidator&) = delete;
  JsonSchemaValidator& operator=(const JsonSchemaValidator&) = delete;
  ~JsonSchemaValidator();

  // Every way `instance` breaks the schema, value-free (see problem_text.h); empty if valid.
  // Documents over the limits of instance_limits.h get only those problems. Const and safe to
  // call from several threads at once.
  std::vector<ValidationProblem> Validate(const nlohmann::json& instance) const;

 private:
  struct Compiled;
  explicit JsonSchemaValidator(std::unique_ptr<const Compiled> compiled);

  std::unique_ptr<const Compiled> compiled_;
};

}  // namespace outreach::schema::detail
