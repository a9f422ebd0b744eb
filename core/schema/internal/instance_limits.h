// Limits checked on every document before valijson sees it. libstdc++'s std::regex recurses once
// per character a repetition consumes: valijson's own "format" regex ("^([0-9]+)-...") overflowed
// an 8 MiB stack on a date-time field of ~40,000 digits. Formats no longer go through std::regex
// (schema_preparation.h), but "pattern" still does, so a long digit run is refused up front as a
// second line of defence, as is deep nesting (valijson and uniqueItems recurse per level).
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <vector>

#include "core/schema/validation_problem.h"

namespace outreach::schema::detail {

// Longest run of ASCII digits allowed in any string value or object key.
inline constexpr std::size_t kMaxDigitRun = 256;
// Deepest nesting of arrays and objects allowed (the root object is depth 1).
inline constexpr std::size_t kMaxNestingDepth = 64;

// Problems for every string or key over kMaxDigitRun and every container deeper than
// kMaxNestingDepth (reported once, at the first such container). Recursion stops there: a
// document nested deeper costs no more stack. Empty if the document is within limits.
std::vector<ValidationProblem> CheckInstanceLimits(const nlohmann::json& document);

}  // namespace outreach::schema::detail
