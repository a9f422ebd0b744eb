#include "core/schema/internal/rule_free_fields.h"

#include <string_view>

namespace outreach::schema::detail {
namespace {

using nlohmann::json;

bool IsAnnotation(std::string_view key) {
  return key == "title" || key == "description" || key == "$comment" || key == "$schema" ||
         key == "$id" || key == "examples" || key == "default" || key.rfind("x-", 0) == 0;
}

bool IsRuleKeyword(std::string_view key) {
  return key == "allOf" || key == "anyOf" || key == "oneOf" || key == "not" || key == "if" ||
         key == "then" || key == "else";
}

// Adds to `named` every field `rule` (a schema applied to the whole record) names; false if it
// holds a keyword that may read fields it does not name.
bool CollectNamed(const json& rule, std::set<std::string, std::less<>>& named) {
  if (rule.is_boolean()) return true;  // true / false: read no field
  if (!rule.is_object()) return false;
  for (const auto& [key, value] : rule.items()) {
    if (IsAnnotation(key) || key == "type") continue;  // "type": of the record, an object
    if (key == "required") {
      if (!value.is_array()) return false;
      for (const json& name : value) {
        if (!name.is_string()) return false;
        named.insert(name.get<std::string>());
      }
    } else if (key == "properties") {
      // Each subschema reads only the property it is under.
      if (!value.is_object()) return false;
      for (const auto& [name, subschema] : value.items()) named.insert(name);
    } else if (key == "allOf" || key == "anyOf" || key == "oneOf") {
      if (!value.is_array()) return false;
      for (const json& each : value) {
        if (!CollectNamed(each, named)) return false;
      }
    } else if (key == "not" || key == "if" || key == "then" || key == "else") {
      if (!CollectNamed(value, named)) return false;
    } else {
      return false;  // additionalProperties, const, enum, $ref, minProperties, ...
    }
  }
  return true;
}

}  // namespace

std::set<std::string, std::less<>> RuleFreeFields(const json& document, bool has_derived_fields) {
  if (has_derived_fields || !document.is_object()) return {};
  const auto properties = document.find("properties");
  if (properties == document.end() || !properties->is_object()) return {};
  std::set<std::string, std::less<>> named{"id"};
  for (const auto& [key, value] : document.items()) {
    if (IsAnnotation(key) || key == "type" || key == "required" || key == "properties" ||
        key == "definitions" || key == "$defs") {
      // "required" only asks that a field be there, which a value written keeps; a property's
      // schema reads that property alone; definitions are read through a $ref only.
      continue;
    }
    if (key == "additionalProperties") {
      continue;  // reads fields not among the properties, which are never free
    }
    if (!IsRuleKeyword(key)) return {};
    if (!CollectNamed(json{{key, value}}, named)) return {};
  }
  std::set<std::string, std::less<>> free;
  for (const auto& [name, subschema] : properties->items()) {
    if (named.count(name) == 0) free.insert(name);
  }
  return free;
}

}  // namespace outreach::schema::detail
