// Turns valijson's error descriptions into value-free ValidationProblems. valijson words its
// errors for debugging and some embed text from the validated document; we keep only pointers,
// schema property names and fixed messages, so record contents never reach a Status or a log.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/schema/validation_problem.h"

namespace outreach::schema::detail {

// A rephrased valijson error. `propagated` marks errors that only report that a child failed
// ("Failed to validate item #2 in array."): they are dropped when a more precise problem exists
// at or below their pointer.
struct RephrasedProblem {
  ValidationProblem problem;
  bool propagated = false;
};

// `context` is valijson's path ("<root>", "[summary]", "[0]", ...); `description` its text.
// nullopt for errors that carry no information of their own (each non-matching enum value).
std::optional<RephrasedProblem> RephraseValijsonError(const std::vector<std::string>& context,
                                                      const std::string& description);

// Drops propagated problems that have a precise problem at or below their pointer, and
// duplicates; keeps the first-seen order otherwise.
std::vector<ValidationProblem> CollapseProblems(const std::vector<RephrasedProblem>& problems);

}  // namespace outreach::schema::detail
