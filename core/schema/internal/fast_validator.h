// FastValidator: the draft-07 keywords record schemas use, compiled into a tree of direct
// checks, run before valijson on every record validation. It answers valid, invalid or
// unknown, and each answer it gives is valijson's (with strong types) for the same schema and
// instance; a keyword it does not model, a number where equality or integer-ness would need
// valijson's own rules, or a "$ref" loop makes it answer unknown. JsonSchemaValidator takes
// its "valid" and otherwise asks valijson, whose errors name the problems: the fast path never
// writes a problem. Tested against the JSON-Schema-Test-Suite and against valijson on record
// values (fast_validator_test.cc, json_schema_suite_test.cc).
#pragma once

#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <set>
#include <string>

namespace outreach::schema::detail {

enum class FastVerdict { kValid, kInvalid, kUnknown };

class FastValidator {
 public:
  // `bundled`: BundleSchema's output (every "$ref" a "#<pointer>" into it). Never fails: what
  // it cannot model compiles to a node that answers unknown.
  explicit FastValidator(const nlohmann::json& bundled);
  FastValidator(FastValidator&&) noexcept;
  FastValidator& operator=(FastValidator&&) noexcept;
  ~FastValidator();

  // Const and safe to call from several threads at once.
  FastVerdict Check(const nlohmann::json& instance) const;
  // The same, except that the root's "required" and "properties" are checked for `fields`
  // only: "valid" means every problem valijson would report lies outside `fields` (another
  // missing property, or another one's value). Its other keywords (record rules) are checked
  // whole.
  FastVerdict CheckFields(const nlohmann::json& instance,
                          const std::set<std::string, std::less<>>& fields) const;

 private:
  struct Nodes;
  std::unique_ptr<const Nodes> nodes_;
};

}  // namespace outreach::schema::detail
