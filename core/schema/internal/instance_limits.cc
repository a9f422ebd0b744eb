#include "core/schema/internal/instance_limits.h"

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>

#include "core/schema/internal/json_pointer.h"

namespace outreach::schema::detail {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Every run of kMaxDigitRun + 1 places holds exactly one place p with p % (kMaxDigitRun + 1) ==
// kMaxDigitRun, so a run too long has a digit there: only those places are looked at, and a
// digit found is followed both ways. A contact's notes (600 characters) cost two looks, not
// 600 (every string of every record pushed is walked).
bool HasLongDigitRun(std::string_view text) {
  constexpr std::size_t kStride = kMaxDigitRun + 1;
  for (std::size_t probe = kMaxDigitRun; probe < text.size(); probe += kStride) {
    if (!IsDigit(text[probe])) continue;
    std::size_t begin = probe;
    while (begin > 0 && IsDigit(text[begin - 1])) --begin;
    std::size_t end = probe + 1;
    while (end < text.size() && IsDigit(text[end])) ++end;
    // A run short enough ends before the next place looked at.
    if (end - begin > kMaxDigitRun) return true;
  }
  return false;
}

// Walks a document depth first, keeping the path to the current value as references into it:
// the pointer is spelled out only for a problem (rare), not for every value (every check).
// Children are visited last first, as a stack would, so problems come in the order they
// always have.
class LimitsWalk {
 public:
  explicit LimitsWalk(std::vector<ValidationProblem>& problems) : problems_(problems) {}

  void Visit(const nlohmann::json& value, std::size_t depth) {
    if (value.is_string()) {
      if (HasLongDigitRun(value.get_ref<const std::string&>())) Report(digits_message_);
      return;
    }
    if (!value.is_structured()) return;
    if (depth > kMaxNestingDepth) {
      if (!reported_depth_) {
        Report("is nested more than " + std::to_string(kMaxNestingDepth) + " levels deep");
        reported_depth_ = true;
      }
      return;
    }
    if (value.is_object()) {
      const auto& members = value.get_ref<const nlohmann::json::object_t&>();
      for (const auto& [key, member] : members) {
        if (!HasLongDigitRun(key)) continue;
        path_.push_back({&key, 0});
        Report("has a key with more than " + std::to_string(kMaxDigitRun) + " consecutive digits");
        path_.pop_back();
      }
      for (auto it = members.rbegin(); it != members.rend(); ++it) {
        path_.push_back({&it->first, 0});
        Visit(it->second, depth + 1);
        path_.pop_back();
      }
      return;
    }
    for (std::size_t index = value.size(); index-- > 0;) {
      path_.push_back({nullptr, index});
      Visit(value[index], depth + 1);
      path_.pop_back();
    }
  }

 private:
  struct Token {
    const std::string* key;  // null: an array index
    std::size_t index;
  };

  void Report(std::string message) {
    std::string pointer;
    for (const Token& token : path_) {
      pointer = AppendPointerToken(pointer, token.key != nullptr ? *token.key
                                                                 : std::to_string(token.index));
    }
    problems_.push_back({std::move(pointer), std::move(message)});
  }

  std::vector<ValidationProblem>& problems_;
  const std::string digits_message_ =
      "contains more than " + std::to_string(kMaxDigitRun) + " consecutive digits";
  bool reported_depth_ = false;
  std::vector<Token> path_;
};

}  // namespace

std::vector<ValidationProblem> CheckInstanceLimits(const nlohmann::json& document) {
  std::vector<ValidationProblem> problems;
  // Recursion stops past kMaxNestingDepth levels, so the stack stays small.
  LimitsWalk(problems).Visit(document, 1);
  return problems;
}

}  // namespace outreach::schema::detail
