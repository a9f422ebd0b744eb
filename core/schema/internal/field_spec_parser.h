// Reads one top-level property of a record schema document into a FieldSpec, checking its
// annotations (x-merge, x-class, x-class-also, x-order, x-derived, x-entry-forward,
// x-immutable-after). Other x-* annotations are left for whoever needs them.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>

#include "core/base/status.h"
#include "core/schema/field_spec.h"

namespace outreach::schema::detail {

// invalid_argument naming `collection` and `name` if the property is not an object, or an
// annotation is missing (x-merge, x-class), has an unknown value, or does not fit the policy
// (x-order only on forward/review fields, and equal as a set to the property's "enum" if it has
// one; x-entry-forward only on append fields; x-derived a known derivation).
Result<FieldSpec> ParseFieldSpec(const std::string& collection, const std::string& name,
                                 const nlohmann::json& property, bool required);

}  // namespace outreach::schema::detail
