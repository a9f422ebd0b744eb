#include "core/schema/internal/schema_preparation.h"

#include <nlohmann/json.hpp>
#include <regex>
#include <string>

namespace outreach::schema::detail {
namespace {

// Keywords whose values are data, not schemas: nothing inside them is a keyword.
bool IsDataKeyword(std::string_view key) {
  return key == "enum" || key == "const" || key == "default" || key == "examples";
}

Status CheckRegex(const std::string& pattern) {
  try {
    std::regex compiled(pattern);
  } catch (const std::regex_error&) {
    return InvalidArgumentError("schema has a pattern that is not a valid ECMAScript regex");
  }
  return Status::Ok();
}

// Rewrites `node` in place.
Status Prepare(nlohmann::json& node) {
  if (node.is_array()) {
    for (nlohmann::json& item : node) OUTREACH_RETURN_IF_ERROR(Prepare(item));
    return Status::Ok();
  }
  if (!node.is_object()) return Status::Ok();
  if (const auto format = node.find("format"); format != node.end() && format->is_string()) {
    nlohmann::json value = std::move(*format);
    node.erase("format");
    node[std::string(kFormatKeyword)] = std::move(value);
  }
  for (auto it = node.begin(); it != node.end(); ++it) {
    if (IsDataKeyword(it.key())) continue;
    if (it.key() == "pattern" && it->is_string()) {
      OUTREACH_RETURN_IF_ERROR(CheckRegex(it->get<std::string>()));
    } else if (it.key() == "patternProperties" && it->is_object()) {
      for (auto pattern = it->begin(); pattern != it->end(); ++pattern) {
        OUTREACH_RETURN_IF_ERROR(CheckRegex(pattern.key()));
      }
    }
    OUTREACH_RETURN_IF_ERROR(Prepare(*it));
  }
  return Status::Ok();
}

}  // namespace

Result<nlohmann::json> PrepareSchemaForValijson(const nlohmann::json& schema) {
  nlohmann::json prepared = schema;
  OUTREACH_RETURN_IF_ERROR(Prepare(prepared));
  return prepared;
}

}  // namespace outreach::schema::detail
