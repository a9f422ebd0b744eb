#include "core/schema/field_spec.h"

#include <nlohmann/json.hpp>

namespace outreach::schema {

int StateRank(const std::vector<std::string>& states, const nlohmann::json& value) {
  if (!value.is_primitive() || value.is_null()) return -1;
  // Strings compare as themselves, other scalars by their JSON text: the form FieldSpec::order
  // stores them in.
  const std::string key = value.is_string() ? value.get<std::string>() : value.dump();
  for (std::size_t rank = 0; rank < states.size(); ++rank) {
    if (states[rank] == key) return static_cast<int>(rank);
  }
  return -1;
}

int OrderRank(const FieldSpec& field, const nlohmann::json& value) {
  return StateRank(field.order, value);
}

std::vector<int> EntryStateRanks(const FieldSpec& field, const nlohmann::json& entry) {
  std::vector<int> ranks;
  for (const auto& [member, states] : field.entry_forward) {
    const auto found = entry.is_object() ? entry.find(member) : entry.end();
    ranks.push_back(found == entry.end() ? -1 : StateRank(states, *found));
  }
  return ranks;
}

}  // namespace outreach::schema
