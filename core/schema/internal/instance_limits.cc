#include "core/schema/internal/instance_limits.h"

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>

#include "core/schema/internal/json_pointer.h"

namespace outreach::schema::detail {
namespace {

bool HasLongDigitRun(std::string_view text) {
  std::size_t run = 0;
  for (char c : text) {
    run = (c >= '0' && c <= '9') ? run + 1 : 0;
    if (run > kMaxDigitRun) return true;
  }
  return false;
}

struct Pending {
  const nlohmann::json* value;
  std::string pointer;
  std::size_t depth;
};

}  // namespace

std::vector<ValidationProblem> CheckInstanceLimits(const nlohmann::json& document) {
  std::vector<ValidationProblem> problems;
  const std::string digits_message =
      "contains more than " + std::to_string(kMaxDigitRun) + " consecutive digits";
  bool reported_depth = false;
  std::vector<Pending> stack;
  stack.push_back({&document, "", 1});
  while (!stack.empty()) {
    Pending current = std::move(stack.back());
    stack.pop_back();
    const nlohmann::json& value = *current.value;
    if (value.is_string()) {
      if (HasLongDigitRun(value.get_ref<const std::string&>())) {
        problems.push_back({current.pointer, digits_message});
      }
      continue;
    }
    if (!value.is_structured()) continue;
    if (current.depth > kMaxNestingDepth) {
      if (!reported_depth) {
        problems.push_back(
            {current.pointer,
             "is nested more than " + std::to_string(kMaxNestingDepth) + " levels deep"});
        reported_depth = true;
      }
      continue;
    }
    if (value.is_object()) {
      for (auto it = value.begin(); it != value.end(); ++it) {
        std::string child_pointer = AppendPointerToken(current.pointer, it.key());
        if (HasLongDigitRun(it.key())) {
          problems.push_back(
              {child_pointer,
               "has a key with more than " + std::to_string(kMaxDigitRun) + " consecutive digits"});
        }
        stack.push_back({&it.value(), std::move(child_pointer), current.depth + 1});
      }
    } else {
      for (std::size_t index = 0; index < value.size(); ++index) {
        stack.push_back({&value[index], AppendPointerToken(current.pointer, std::to_string(index)),
                         current.depth + 1});
      }
    }
  }
  return problems;
}

}  // namespace outreach::schema::detail
