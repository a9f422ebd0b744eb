// Which top-level fields no rule across fields reads. The server checks a record's rules on
// the record as merged after every update (sync-server/sync/merged_rules.h); for a field that
// only its own property schema constrains, a new value that passed that schema cannot make a
// valid record break a rule, and the check (the record's values made and validated whole) is
// most of an edit's cost on the server.
#pragma once

#include <functional>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

namespace outreach::schema::detail {

// The properties of `document` (a record schema) that no rule across fields can read:
// - the document's top level holds only keywords whose reach is known (type, required,
//   properties, additionalProperties, the rule keywords allOf, anyOf, oneOf, not, if, then,
//   else, definitions, and annotations); anything else (patternProperties, minProperties,
//   dependencies, $ref, ...) may read any field, and then no field is free;
// - inside the rules, every schema object holds only keywords that read the fields they name
//   (required, properties) or combine other such schemas; a keyword that reads fields it does
//   not name (additionalProperties, const and enum on the whole record, $ref, ...) makes no
//   field free;
// - a field a rule names, as a property or as required, is not free; neither is "id";
// - `has_derived_fields`: derived values are computed from other fields, which rules may read
//   through them: no field is free.
// Conservative by construction: a schema it cannot read through frees nothing.
std::set<std::string, std::less<>> RuleFreeFields(const nlohmann::json& document,
                                                  bool has_derived_fields);

}  // namespace outreach::schema::detail
