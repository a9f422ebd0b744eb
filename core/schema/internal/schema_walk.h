// Visits the objects of a JSON Schema document that are (sub)schemas, with the JSON pointer of
// each. Both rewrites done before valijson sees a schema (schema_preparation.h and
// schema_bundle.h) need the same notion of where keywords are: not inside data ("enum",
// "const", "default", "examples"), and not the keys of name maps ("properties", ...), where a
// property called "format" or "$ref" is a name, not a keyword.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/base/status.h"
#include "core/schema/internal/json_pointer.h"

namespace outreach::schema::detail {

// Keywords whose values are data: nothing inside them is a keyword.
bool IsDataKeyword(std::string_view key);

// Keywords whose values map names to subschemas: properties, patternProperties, definitions,
// dependencies.
bool IsSchemaMapKeyword(std::string_view key);

// Calls `visit(object, pointer, context)` on every object of `node` that stands where a schema
// can: `node` itself, values of keywords, items of arrays, values of name maps. Values of
// unknown keywords count too, because a "$ref" may point anywhere in a document. Each object
// is visited before its children, and `visit` may change `context` for them (a copy: siblings
// are unaffected). `Json` is nlohmann::json, const or not; `visit` returns a Status, and the
// first error stops the walk.
template <typename Json, typename Context, typename Visit>
Status WalkSchemaObjects(Json& node, const std::string& pointer, Context context, Visit& visit) {
  if (node.is_array()) {
    for (std::size_t index = 0; index < node.size(); ++index) {
      OUTREACH_RETURN_IF_ERROR(WalkSchemaObjects(
          node[index], AppendPointerToken(pointer, std::to_string(index)), context, visit));
    }
    return Status::Ok();
  }
  if (!node.is_object()) return Status::Ok();
  OUTREACH_RETURN_IF_ERROR(visit(node, pointer, context));
  for (auto keyword = node.begin(); keyword != node.end(); ++keyword) {
    if (IsDataKeyword(keyword.key())) continue;
    const std::string keyword_pointer = AppendPointerToken(pointer, keyword.key());
    if (!IsSchemaMapKeyword(keyword.key()) || !keyword->is_object()) {
      OUTREACH_RETURN_IF_ERROR(WalkSchemaObjects(*keyword, keyword_pointer, context, visit));
      continue;
    }
    for (auto entry = keyword->begin(); entry != keyword->end(); ++entry) {
      OUTREACH_RETURN_IF_ERROR(WalkSchemaObjects(
          *entry, AppendPointerToken(keyword_pointer, entry.key()), context, visit));
    }
  }
  return Status::Ok();
}

}  // namespace outreach::schema::detail
