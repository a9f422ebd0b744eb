#include "core/schema/merge_policy.h"

#include <utility>

namespace outreach::schema {
namespace {

constexpr std::pair<MergePolicy, std::string_view> kPolicyNames[] = {
    {MergePolicy::kImmutable, "immutable"},
    {MergePolicy::kAppend, "append"},
    {MergePolicy::kSet, "set"},
    {MergePolicy::kReview, "review"},
    {MergePolicy::kLww, "lww"},
    {MergePolicy::kForward, "forward"},
};

constexpr std::pair<DataClass, std::string_view> kClassNames[] = {
    {DataClass::kPersonal, "personal"},
    {DataClass::kSpecialCategory, "special_category"},
    {DataClass::kOffence, "offence"},
    {DataClass::kOperational, "operational"},
};

}  // namespace

std::optional<MergePolicy> ParseMergePolicy(std::string_view name) {
  for (const auto& [policy, policy_name] : kPolicyNames) {
    if (policy_name == name) return policy;
  }
  return std::nullopt;
}

std::string_view MergePolicyName(MergePolicy policy) {
  for (const auto& [candidate, name] : kPolicyNames) {
    if (candidate == policy) return name;
  }
  return "unknown";
}

std::optional<DataClass> ParseDataClass(std::string_view name) {
  for (const auto& [data_class, class_name] : kClassNames) {
    if (class_name == name) return data_class;
  }
  return std::nullopt;
}

std::string_view DataClassName(DataClass data_class) {
  for (const auto& [candidate, name] : kClassNames) {
    if (candidate == data_class) return name;
  }
  return "unknown";
}

}  // namespace outreach::schema
