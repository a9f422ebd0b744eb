#include "core/schema/validation_problem.h"

#include <algorithm>

namespace outreach::schema {
namespace {

constexpr std::size_t kMaxListedProblems = 20;

}  // namespace

std::vector<ValidationProblem> NewProblems(const std::vector<ValidationProblem>& before,
                                           const std::vector<ValidationProblem>& after) {
  std::vector<ValidationProblem> added;
  for (const ValidationProblem& problem : after) {
    if (std::find(before.begin(), before.end(), problem) == before.end()) added.push_back(problem);
  }
  return added;
}

Status ProblemsToStatus(const std::vector<ValidationProblem>& problems, std::string_view what) {
  if (problems.empty()) return Status::Ok();
  std::string message(what);
  message += " failed schema validation: ";
  for (std::size_t i = 0; i < problems.size() && i < kMaxListedProblems; ++i) {
    if (i > 0) message += "; ";
    message += problems[i].pointer.empty() ? "(root)" : problems[i].pointer;
    message += ": ";
    message += problems[i].message;
  }
  if (problems.size() > kMaxListedProblems) {
    message += "; and " + std::to_string(problems.size() - kMaxListedProblems) + " more";
  }
  return InvalidArgumentError(std::move(message));
}

}  // namespace outreach::schema
