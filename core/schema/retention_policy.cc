#include "core/schema/retention_policy.h"

#include <nlohmann/json.hpp>

namespace outreach::schema {
namespace {

constexpr int kMaxRetentionYears = 200;  // allegations against adults: 100 (Devon); room to spare

Status PolicyError(const std::string& collection, const std::string& what) {
  return InvalidArgumentError(collection + ": x-retention: " + what);
}

// Reads the optional string member `key` into `out`; an error if present and not a string.
Status ReadString(const std::string& collection, const nlohmann::json& retention, const char* key,
                  std::string& out) {
  const auto found = retention.find(key);
  if (found == retention.end()) return Status::Ok();
  if (!found->is_string()) return PolicyError(collection, std::string(key) + " must be a string");
  out = found->get<std::string>();
  return Status::Ok();
}

}  // namespace

Result<RetentionPolicy> ParseRetentionPolicy(const std::string& collection,
                                             const nlohmann::json& retention) {
  if (!retention.is_object()) return PolicyError(collection, "must be an object");
  RetentionPolicy policy;
  const auto rule = retention.find("rule");
  if (rule == retention.end() || !rule->is_string() || rule->get<std::string>().empty()) {
    return PolicyError(collection, "rule must be a non-empty string");
  }
  policy.rule = rule->get<std::string>();
  OUTREACH_RETURN_IF_ERROR(ReadString(collection, retention, "from_field", policy.from_field));
  OUTREACH_RETURN_IF_ERROR(ReadString(collection, retention, "delete_by", policy.delete_by));
  OUTREACH_RETURN_IF_ERROR(ReadString(collection, retention, "device_purge", policy.device_purge));
  OUTREACH_RETURN_IF_ERROR(ReadString(collection, retention, "basis", policy.basis));
  if (policy.delete_by != "reviewed_server_job") {
    return PolicyError(collection, "delete_by must be reviewed_server_job: records are deleted "
                                   "only by the reviewed server job");
  }
  const auto years = retention.find("years");
  if (years != retention.end()) {
    if (!years->is_number_integer() || *years < 0 || *years > kMaxRetentionYears) {
      return PolicyError(collection, "years must be a whole number from 0 to 200");
    }
    policy.years = years->get<int>();
  }
  const auto hold = retention.find("legal_hold");
  if (hold != retention.end()) {
    if (!hold->is_boolean()) return PolicyError(collection, "legal_hold must be true or false");
    policy.legal_hold = hold->get<bool>();
  }
  const auto subjects = retention.find("subject_fields");
  if (subjects != retention.end()) {
    if (!subjects->is_array()) return PolicyError(collection, "subject_fields must be an array");
    for (const nlohmann::json& pointer : *subjects) {
      if (!pointer.is_string()) return PolicyError(collection, "subject_fields must hold strings");
      policy.subject_fields.push_back(pointer.get<std::string>());
    }
  }
  return policy;
}

}  // namespace outreach::schema
