// What the engine knows about one top-level field of a record type: its merge policy, data class
// and ordering, read from the annotations on the field's property in schemas/<type>.schema.json.
#pragma once

#include <map>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "core/schema/merge_policy.h"

namespace outreach::schema {

struct FieldSpec {
  std::string name;
  MergePolicy policy = MergePolicy::kReview;    // x-merge
  DataClass data_class = DataClass::kPersonal;  // x-class (the stricter of a combined class)
  std::vector<DataClass> also_classes;          // x-class-also, e.g. offence beside SC
  // x-order, lowest first; empty if the field is unordered. For forward fields it is the order of
  // states; for ordered review fields (risk levels, grades) the higher value is the provisional
  // one of a dispute. Strings appear as themselves, other JSON scalars as their JSON text
  // (false -> "false").
  std::vector<std::string> order;
  std::string derived;  // x-derived: the derivation computing it ("seraf_score"); empty if typed in
  bool required = false;  // listed in the schema's top-level "required"
  // x-entry-forward, for append fields: entry member -> its forward-only states, lowest first
  // (contact.actions: {"state": ["open", "done"]}).
  std::map<std::string, std::vector<std::string>> entry_forward;
  // x-immutable-after: the field that, once set, freezes this one (referral content after
  // "submitted_at", a screening after "signed_off_at"); empty if none.
  std::string immutable_after;
  // x-writers: the roles that may write this field (empty: anyone in the team); an
  // administrator always may. E.g. current_cse_risk, which only a team leader signs off.
  std::vector<std::string> writers;
  // x-review-if-concurrent on an append field: the entry member (consent events: "kind") whose
  // differing values in entries made concurrently (neither author saw the other) go to review.
  std::string review_if_concurrent;
};

// The rank of `value` in `states` (an order as FieldSpec stores one, lowest first): 0 for the
// lowest, -1 if `value` is not one of them (absent, null, not a scalar).
int StateRank(const std::vector<std::string>& states, const nlohmann::json& value);

// The rank of `value` in `field.order` (0 = lowest), or -1 if the field is unordered or `value`
// is not one of its ordered values.
int OrderRank(const FieldSpec& field, const nlohmann::json& value);

// The ranks of an append entry's x-entry-forward members, one per member in the order of
// `field.entry_forward` (StateRank each; -1 for a member the entry lacks). Compared
// lexicographically, higher is further along. Empty if the field has no x-entry-forward.
std::vector<int> EntryStateRanks(const FieldSpec& field, const nlohmann::json& entry);

}  // namespace outreach::schema
