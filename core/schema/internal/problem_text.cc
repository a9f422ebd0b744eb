#include "core/schema/internal/problem_text.h"

#include <algorithm>
#include <string_view>
#include <utility>

#include "core/schema/internal/json_pointer.h"

namespace outreach::schema::detail {
namespace {

// valijson descriptions that start with a prefix -> our message. Longer prefixes first where one
// prefix extends another ("less than or equal" before "less than").
constexpr std::pair<std::string_view, std::string_view> kFixedMessages[] = {
    {"Value type not permitted by 'type' constraint", "has the wrong type"},
    {"Failed to match against any enum values", "is not one of the allowed values"},
    {"Failed to match expected value set by 'const' constraint",
     "does not have the required constant value"},
    {"Failed to match regex specified by 'pattern' constraint",
     "does not match the required pattern"},
    {"String should be a valid date-time", "is not a valid RFC 3339 date-time"},
    {"String should be a valid date", "is not a valid date (YYYY-MM-DD)"},
    {"String should be a valid time", "is not a valid RFC 3339 time"},
    {"Expected number less than or equal to", "is above the maximum"},
    {"Expected number less than", "is not below the exclusive maximum"},
    {"Expected number greater than or equal to", "is below the minimum"},
    {"Expected number greater than", "is not above the exclusive minimum"},
    {"Array should contain no more than", "has too many items"},
    {"Array should contain no fewer than", "has too few items"},
    {"String should be no more than", "is too long"},
    {"String should be no fewer than", "is too short"},
    {"Object should have no more than", "has too many properties"},
    {"Object should have no fewer than", "has too few properties"},
    {"Value should be a multiple of", "is not a multiple of the required divisor"},
    {"Value could not be converted", "is not a multiple of the required divisor"},
    {"Target should not validate against schema specified in 'not' constraint",
     "matches a schema it must not match (not)"},
    {"Failed to validate against any schemas allowed by anyOf constraint",
     "matches none of the alternatives (anyOf)"},
    {"Failed to validate against any child schemas allowed by oneOf constraint",
     "matches none of the alternatives (oneOf)"},
    {"Failed to validate against exactly one child schema",
     "matches more than one alternative (oneOf)"},
    {"Failed to validate against a conditional schema set by if-then-else constraints",
     "breaks a conditional rule (if/then/else)"},
    {"Failed to any values against subschema in 'contains' constraint",
     "has no item matching the contains schema"},
    {"Array contains more items than allowed by items constraint", "has more items than allowed"},
};

constexpr std::string_view kNotSatisfied = "does not satisfy the schema";

bool StartsWith(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

// The text between the first pair of single quotes after `prefix`: a property name from the
// schema or from the object's keys, never a value.
std::string QuotedName(std::string_view description, std::string_view prefix) {
  std::string_view rest = description.substr(prefix.size());
  const std::size_t end = rest.rfind('\'');
  return std::string(rest.substr(0, end == std::string_view::npos ? rest.size() : end));
}

// The number after the first '#' following `prefix` ("item #3 ..." -> "3").
std::string IndexAfter(std::string_view description, std::size_t from) {
  const std::size_t hash = description.find('#', from);
  if (hash == std::string_view::npos) return "";
  std::size_t end = hash + 1;
  while (end < description.size() && description[end] >= '0' && description[end] <= '9') ++end;
  return std::string(description.substr(hash + 1, end - hash - 1));
}

std::string ContextToPointer(const std::vector<std::string>& context) {
  std::string pointer;
  for (const std::string& part : context) {
    if (part == "<root>") continue;
    // valijson wraps each step in brackets: "[name]" or "[3]".
    std::string_view token = part;
    if (token.size() >= 2 && token.front() == '[' && token.back() == ']') {
      token = token.substr(1, token.size() - 2);
    }
    pointer = AppendPointerToken(pointer, token);
  }
  return pointer;
}

RephrasedProblem Precise(std::string pointer, std::string_view message) {
  return {ValidationProblem{std::move(pointer), std::string(message)}, false};
}

RephrasedProblem Propagated(std::string pointer) {
  return {ValidationProblem{std::move(pointer), std::string(kNotSatisfied)}, true};
}

bool IsAtOrBelow(std::string_view pointer, std::string_view ancestor) {
  if (!StartsWith(pointer, ancestor)) return false;
  return pointer.size() == ancestor.size() || pointer[ancestor.size()] == '/';
}

}  // namespace

std::optional<RephrasedProblem> RephraseValijsonError(const std::vector<std::string>& context,
                                                      const std::string& description) {
  const std::string pointer = ContextToPointer(context);
  const std::string_view text = description;

  // One of these per non-matching enum value; the enum's own error follows.
  if (StartsWith(text, "Target value and comparison value are not equal")) return std::nullopt;

  constexpr std::string_view kRequired = "Missing required property '";
  if (StartsWith(text, kRequired)) {
    return Precise(AppendPointerToken(pointer, QuotedName(text, kRequired)), "is required");
  }
  constexpr std::string_view kDependency = "Missing dependency '";
  if (StartsWith(text, kDependency)) {
    return Precise(AppendPointerToken(pointer, QuotedName(text, kDependency)),
                   "is required when a related field is present");
  }
  constexpr std::string_view kUnwanted = "Object contains a property that could not be validated";
  if (StartsWith(text, kUnwanted)) {
    const std::size_t colon = text.find(": '");
    const std::string name =
        colon == std::string_view::npos ? "" : QuotedName(text.substr(colon), ": '");
    return Precise(AppendPointerToken(pointer, name), "is not an allowed property");
  }
  constexpr std::string_view kUnique = "Elements at indexes #";
  if (StartsWith(text, kUnique)) {
    // "Elements at indexes #0 and #2 violate uniqueness constraint.": point at the later one.
    const std::size_t and_pos = text.find(" and ");
    const std::string later = and_pos == std::string_view::npos ? "" : IndexAfter(text, and_pos);
    return Precise(later.empty() ? pointer : AppendPointerToken(pointer, later),
                   "duplicates an earlier item (uniqueItems)");
  }

  // Reports that only say a child failed: locate the child when the text names it.
  constexpr std::string_view kPropertyFailed =
      "Failed to validate against schema associated with property name '";
  if (StartsWith(text, kPropertyFailed)) {
    return Propagated(AppendPointerToken(pointer, QuotedName(text, kPropertyFailed)));
  }
  constexpr std::string_view kItemFailed = "Failed to validate item #";
  if (StartsWith(text, kItemFailed)) {
    // "... in array." and "... against additional items schema." are reported on the array;
    // "... against corresponding item schema." already on the item.
    if (text.find("corresponding item schema") != std::string_view::npos) {
      return Propagated(pointer);
    }
    return Propagated(AppendPointerToken(pointer, IndexAfter(text, 0)));
  }
  if (StartsWith(text, "Cannot validate item #")) {
    return Precise(pointer, "has more items than allowed");
  }
  for (const auto& [prefix, message] : kFixedMessages) {
    if (StartsWith(text, prefix)) return Precise(pointer, message);
  }
  // The other "Failed to validate against ..." texts (allOf child, dependent schema, additional
  // or pattern properties) say only that something below failed.
  if (StartsWith(text, "Failed to validate against")) return Propagated(pointer);
  // An error text this code does not know: report it without its wording.
  return Precise(pointer, kNotSatisfied);
}

std::vector<ValidationProblem> CollapseProblems(const std::vector<RephrasedProblem>& problems) {
  std::vector<ValidationProblem> collapsed;
  for (const RephrasedProblem& candidate : problems) {
    if (candidate.propagated) {
      // Covered by a precise problem at or below it, or by a propagated one strictly below it
      // (the deepest report of a failure without a precise cause is the useful one).
      const std::string& pointer = candidate.problem.pointer;
      const bool covered =
          std::any_of(problems.begin(), problems.end(), [&pointer](const RephrasedProblem& other) {
            if (!IsAtOrBelow(other.problem.pointer, pointer)) return false;
            return !other.propagated || other.problem.pointer.size() > pointer.size();
          });
      if (covered) continue;
    }
    if (std::find(collapsed.begin(), collapsed.end(), candidate.problem) == collapsed.end()) {
      collapsed.push_back(candidate.problem);
    }
  }
  return collapsed;
}

}  // namespace outreach::schema::detail
