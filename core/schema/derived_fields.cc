#include "core/schema/derived_fields.h"

#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>

#include "core/schema/internal/rfc3339.h"
#include "core/schema/record_schema.h"

namespace outreach::schema {
namespace {

constexpr std::string_view kSerafScore = "seraf_score";
constexpr std::string_view kSerafLevel = "seraf_level";
constexpr std::string_view kRhiDueBy = "rhi_due_by";

// The string member `key` of `object`, or nullopt if missing or not a string.
std::optional<std::string> StringMember(const nlohmann::json& object, const char* key) {
  const auto found = object.find(key);
  if (found == object.end() || !found->is_string()) return std::nullopt;
  return found->get<std::string>();
}

// The score of one indicator entry; nullopt if the entry is malformed.
std::optional<int> IndicatorScore(const nlohmann::json& indicator) {
  if (!indicator.is_object()) return std::nullopt;
  const auto present = StringMember(indicator, "present");
  const auto severity = StringMember(indicator, "severity");
  const auto timing = StringMember(indicator, "timing");
  if (!present || !severity || !timing) return std::nullopt;
  if (*present != "yes" && *present != "no" && *present != "possible") return std::nullopt;
  if (*timing != "current" && *timing != "recent") return std::nullopt;
  const bool current = *timing == "current";
  int score = 0;
  if (*severity == "moderate") {
    score = current ? 1 : 0;  // moderate indicators count within the last 6 months only
  } else if (*severity == "significant") {
    score = current ? 5 : 1;
  } else {
    return std::nullopt;
  }
  return *present == "yes" ? score : 0;
}

std::optional<int> SerafScore(const nlohmann::json& values) {
  if (StringMember(values, "tool") != "seraf") return std::nullopt;
  const auto indicators = values.find("indicators");
  if (indicators == values.end() || !indicators->is_array()) return std::nullopt;

  // Per code, the highest score: a set merged from two devices may hold one indicator twice
  // with different evidence, and must not count it twice.
  std::map<std::string, int> best_by_code;
  for (const nlohmann::json& indicator : *indicators) {
    const std::optional<int> score = IndicatorScore(indicator);
    const auto code = indicator.is_object() ? StringMember(indicator, "code") : std::nullopt;
    if (!score || !code) return std::nullopt;
    int& best = best_by_code[*code];
    if (*score > best) best = *score;
  }
  int total = 0;
  for (const auto& [code, score] : best_by_code) total += score;

  const auto vulnerabilities = values.find("vulnerabilities");
  if (vulnerabilities != values.end()) {
    if (!vulnerabilities->is_array()) return std::nullopt;
    std::set<std::string> codes;
    for (const nlohmann::json& vulnerability : *vulnerabilities) {
      if (!vulnerability.is_string()) return std::nullopt;
      codes.insert(vulnerability.get<std::string>());
    }
    total += static_cast<int>(codes.size());
  }
  return total;
}

std::optional<std::string> RhiDueBy(const nlohmann::json& values) {
  const auto returned_at = StringMember(values, "returned_at");
  if (!returned_at) return std::nullopt;
  std::optional<detail::UtcTimestamp> timestamp = detail::ParseRfc3339(*returned_at);
  if (!timestamp) return std::nullopt;
  // DfE 2014: the return home interview is due within 72 hours of return.
  timestamp->seconds += std::chrono::hours{72};
  return detail::FormatRfc3339Utc(*timestamp);
}

}  // namespace

bool IsKnownDerivation(std::string_view name) {
  return name == kSerafScore || name == kSerafLevel || name == kRhiDueBy;
}

std::string_view SerafLevelForScore(int score) {
  if (score <= 5) return "not_at_risk";
  if (score <= 10) return "mild";
  if (score <= 15) return "moderate";
  return "significant";
}

nlohmann::json ComputeDerived(const RecordSchema& schema, const nlohmann::json& values) {
  nlohmann::json derived = nlohmann::json::object();
  if (!values.is_object()) return derived;
  for (const FieldSpec& field : schema.fields()) {
    if (field.derived == kSerafScore || field.derived == kSerafLevel) {
      const std::optional<int> score = SerafScore(values);
      if (!score) continue;
      if (field.derived == kSerafScore) {
        derived[field.name] = *score;
      } else {
        derived[field.name] = SerafLevelForScore(*score);
      }
    } else if (field.derived == kRhiDueBy) {
      const std::optional<std::string> due_by = RhiDueBy(values);
      if (due_by) derived[field.name] = *due_by;
    }
  }
  return derived;
}

}  // namespace outreach::schema
