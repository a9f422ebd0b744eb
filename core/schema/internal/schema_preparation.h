// Rewrites a JSON Schema document into the form JsonSchemaValidator hands to valijson.
// valijson checks "format" with a std::regex it builds on every check: slow (milliseconds per
// record) and recursive per character (a long string overflows the stack). So "format" keywords
// are renamed to kFormatKeyword, which JsonSchemaValidator checks with the linear parsers of
// rfc3339.h. Also compiles every "pattern" once, so a bad regex is a load error.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string_view>

#include "core/base/status.h"

namespace outreach::schema::detail {

inline constexpr std::string_view kFormatKeyword = "x-outreach-format";

// `schema` with every string-valued "format" keyword of a (sub)schema renamed kFormatKeyword.
// Values of data keywords (enum, const, default, examples) are copied untouched, and a property
// *named* "format" is not a keyword (its value is a schema, never a string). invalid_argument if
// a "pattern" or "patternProperties" key is not a valid ECMAScript regex.
Result<nlohmann::json> PrepareSchemaForValijson(const nlohmann::json& schema);

}  // namespace outreach::schema::detail
