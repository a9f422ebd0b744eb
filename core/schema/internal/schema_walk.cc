#include "core/schema/internal/schema_walk.h"

namespace outreach::schema::detail {

bool IsDataKeyword(std::string_view key) {
  return key == "enum" || key == "const" || key == "default" || key == "examples";
}

bool IsSchemaMapKeyword(std::string_view key) {
  return key == "properties" || key == "patternProperties" || key == "definitions" ||
         key == "dependencies";
}

}  // namespace outreach::schema::detail
