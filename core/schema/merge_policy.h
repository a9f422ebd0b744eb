// The per-field annotations of schemas/*.schema.json as enums: how the merge engine combines
// concurrent values of a field (`x-merge`, DOMAIN.md's merge codes, DESIGN.md section 3) and which
// data class decides masking and sharing (`x-class`).
#pragma once

#include <optional>
#include <string_view>

namespace outreach::schema {

// `x-merge`. Names in the schema files are the lower-case words in the comments.
enum class MergePolicy {
  kImmutable,  // "immutable" (IMM): set at creation or once synced; corrections are amendments.
  kAppend,     // "append" (APP): array of immutable entries with ids; union, never a conflict.
  kSet,        // "set" (SET): union of additions; a removal racing an addition goes to review.
  kReview,     // "review" (REV): concurrent different values become a conflict for a person.
  kLww,        // "lww" (LWW): last writer wins, the loser kept in history (low-stakes fields).
  kForward,    // "forward" (FWD): moves only forward along `x-order`; going back needs a reason.
};

// `x-class`. Strictest first: special_category > offence > personal > operational.
enum class DataClass {
  kPersonal,         // "personal" (P)
  kSpecialCategory,  // "special_category" (SC): health, sex life, ethnicity, religion
  kOffence,          // "offence" (CO): allegation- or offence-related
  kOperational,      // "operational" (DOMAIN's "–")
};

// "immutable" -> kImmutable ... ; nullopt for any other text (case-sensitive).
std::optional<MergePolicy> ParseMergePolicy(std::string_view name);
// The schema-file name of `policy` ("immutable", "append", ...).
std::string_view MergePolicyName(MergePolicy policy);

// "personal" -> kPersonal ... ; nullopt for any other text (case-sensitive).
std::optional<DataClass> ParseDataClass(std::string_view name);
// The schema-file name of `data_class` ("special_category", ...).
std::string_view DataClassName(DataClass data_class);

}  // namespace outreach::schema
