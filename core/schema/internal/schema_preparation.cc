#include "core/schema/internal/schema_preparation.h"

#include <nlohmann/json.hpp>
#include <regex>
#include <string>

#include "core/schema/internal/schema_walk.h"

namespace outreach::schema::detail {
namespace {

Status CheckRegex(const std::string& pattern) {
  try {
    std::regex compiled(pattern);
  } catch (const std::regex_error&) {
    return InvalidArgumentError("schema has a pattern that is not a valid ECMAScript regex");
  }
  return Status::Ok();
}

// Rewrites one (sub)schema object in place; WalkSchemaObjects reaches the nested ones.
Status PrepareObject(nlohmann::json& object) {
  if (const auto format = object.find("format"); format != object.end() && format->is_string()) {
    nlohmann::json value = std::move(*format);
    object.erase("format");
    object[std::string(kFormatKeyword)] = std::move(value);
  }
  if (const auto pattern = object.find("pattern");
      pattern != object.end() && pattern->is_string()) {
    OUTREACH_RETURN_IF_ERROR(CheckRegex(pattern->get<std::string>()));
  }
  if (const auto patterns = object.find("patternProperties");
      patterns != object.end() && patterns->is_object()) {
    for (auto entry = patterns->begin(); entry != patterns->end(); ++entry) {
      OUTREACH_RETURN_IF_ERROR(CheckRegex(entry.key()));
    }
  }
  return Status::Ok();
}

}  // namespace

Result<nlohmann::json> PrepareSchemaForValijson(const nlohmann::json& schema) {
  nlohmann::json prepared = schema;
  struct NoContext {};
  auto visit = [](nlohmann::json& object, const std::string&, NoContext&) {
    return PrepareObject(object);
  };
  OUTREACH_RETURN_IF_ERROR(WalkSchemaObjects(prepared, "", NoContext{}, visit));
  return prepared;
}

}  // namespace outreach::schema::detail
