#include "core/schema/field_spec.h"

#include <nlohmann/json.hpp>

namespace outreach::schema {

int OrderRank(const FieldSpec& field, const nlohmann::json& value) {
  if (!value.is_primitive() || value.is_null()) return -1;
  // Strings compare as themselves, other scalars by their JSON text: the form FieldSpec::order
  // stores them in.
  const std::string key = value.is_string() ? value.get<std::string>() : value.dump();
  for (std::size_t rank = 0; rank < field.order.size(); ++rank) {
    if (field.order[rank] == key) return static_cast<int>(rank);
  }
  return -1;
}

}  // namespace outreach::schema
