// Makes a schema self-contained before valijson compiles it. valijson follows "$ref" only as a
// JSON pointer into the document it is reading, or by fetching an absolute URI; it ignores
// draft-07's "$id", so a relative "$ref" under a base URI changed by "$id", or a "$ref" to a
// subschema named by "$id", resolves against the wrong document. So we resolve every "$ref"
// ourselves (RFC 3986, against the base URI that the enclosing "$id"s set), copy each other
// document it names into the schema, and rewrite it as "#<pointer>" into the result.
#pragma once

#include <map>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>

#include "core/base/status.h"

namespace outreach::schema::detail {

// Documents a "$ref" may name by absolute URI, keyed by that URI without fragment
// ("http://localhost:1234/integer.json"). Held in memory: bundling never fetches anything.
using SchemaDocuments = std::map<std::string, nlohmann::json>;

// Top-level keyword of a bundled schema under which the copied documents go, as an array.
// Unknown keywords are annotations, so validation ignores it.
inline constexpr std::string_view kBundledDocumentsKeyword = "x-outreach-bundled-documents";

// `schema` with each "$ref" replaced by "#<JSON pointer>" to the same subschema inside the
// result, and every document of `documents` that a "$ref" reaches (directly or through another
// document) copied under kBundledDocumentsKeyword. A "$ref" resolves against the base URI set by
// the nearest enclosing "$id" (a "$ref"'s own sibling "$id" is ignored, as draft-07 says), to a
// document of `documents`, a subschema carrying that "$id" (also a plain-name "$id": "#name"),
// or a JSON pointer into either. `schema` without "$id" has a base URI no "$ref" can name by
// accident. invalid_argument if a "$ref" names a URI that is none of these, if its fragment is
// neither a JSON pointer nor a known name, or if `schema` already uses
// kBundledDocumentsKeyword.
Result<nlohmann::json> BundleSchema(const nlohmann::json& schema, const SchemaDocuments& documents);

}  // namespace outreach::schema::detail
