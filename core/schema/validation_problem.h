// One way a record's values break its schema, located by a JSON pointer. Messages never contain
// field values (record contents must not reach logs or error strings), only pointers, property
// names from the schema and fixed text.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"

namespace outreach::schema {

struct ValidationProblem {
  // RFC 6901 pointer into the validated values: "/summary/0/id"; "" is the root object. For a
  // missing required property it points at the property that should be there ("/known_as").
  std::string pointer;
  std::string message;  // "is required", "is not one of the allowed values", ...

  bool operator==(const ValidationProblem&) const = default;
};

// What Validate reports when the validator itself failed on the values (they could not be
// checked): a problem of the whole record, whichever fields caused it.
inline constexpr std::string_view kUncheckedMessage = "could not be checked against the schema";
inline bool IsUncheckedProblem(const ValidationProblem& problem) {
  return problem.pointer.empty() && problem.message == kUncheckedMessage;
}

// The problems of `after` that `before` did not have: what an edit adds to a record that
// may already break rules (a rule conflict kept for review is not the next editor's doing).
std::vector<ValidationProblem> NewProblems(const std::vector<ValidationProblem>& before,
                                           const std::vector<ValidationProblem>& after);

// OK if `problems` is empty; otherwise invalid_argument "<what> failed schema validation: /a: ...;
// /b: ..." listing each problem ("(root)" for the root), at most 20 then "and N more".
// `what` names the thing validated by ids only ("contact 0190c2e4-..."), never by contents.
Status ProblemsToStatus(const std::vector<ValidationProblem>& problems,
                        std::string_view what = "record");

}  // namespace outreach::schema
