#include "core/schema/internal/field_spec_parser.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>
#include <utility>

#include "core/schema/derived_fields.h"

namespace outreach::schema::detail {
namespace {

// The FieldSpec::order form of an ordered value: strings as themselves, other scalars as JSON.
std::string OrderKey(const nlohmann::json& value) {
  return value.is_string() ? value.get<std::string>() : value.dump();
}

class PropertyReader {
 public:
  PropertyReader(const std::string& collection, const std::string& name,
                 const nlohmann::json& property)
      : collection_(collection), name_(name), property_(property) {}

  Status Error(const std::string& what) const {
    return InvalidArgumentError(collection_ + ": property '" + name_ + "': " + what);
  }

  // The string annotation `key`: nullopt if absent, error if not a string.
  Result<std::optional<std::string>> OptionalString(const char* key) const {
    const auto found = property_.find(key);
    if (found == property_.end()) return std::optional<std::string>();
    if (!found->is_string()) return Error(std::string(key) + " must be a string");
    return std::optional<std::string>(found->get<std::string>());
  }

  // An array of distinct scalars (strings, booleans, numbers) as OrderKeys.
  Result<std::vector<std::string>> ScalarList(const nlohmann::json& list, const char* key) const {
    if (!list.is_array() || list.empty())
      return Error(std::string(key) + " must be a non-empty array");
    std::vector<std::string> keys;
    for (const nlohmann::json& value : list) {
      if (!value.is_primitive() || value.is_null()) {
        return Error(std::string(key) + " must hold strings, booleans or numbers");
      }
      std::string order_key = OrderKey(value);
      if (std::find(keys.begin(), keys.end(), order_key) != keys.end()) {
        return Error(std::string(key) + " lists a value twice");
      }
      keys.push_back(std::move(order_key));
    }
    return keys;
  }

  const nlohmann::json& property() const { return property_; }

 private:
  const std::string& collection_;
  const std::string& name_;
  const nlohmann::json& property_;
};

Status ReadClasses(const PropertyReader& reader, FieldSpec& field) {
  OUTREACH_ASSIGN_OR_RETURN(std::optional<std::string> class_name,
                            reader.OptionalString("x-class"));
  if (!class_name) return reader.Error("x-class is missing");
  const std::optional<DataClass> data_class = ParseDataClass(*class_name);
  if (!data_class) {
    return reader.Error("x-class '" + *class_name +
                        "' is not one of personal, special_category, offence, operational");
  }
  field.data_class = *data_class;

  const auto also = reader.property().find("x-class-also");
  if (also == reader.property().end()) return Status::Ok();
  if (!also->is_array()) return reader.Error("x-class-also must be an array");
  for (const nlohmann::json& other : *also) {
    const std::optional<DataClass> parsed =
        other.is_string() ? ParseDataClass(other.get<std::string>()) : std::nullopt;
    if (!parsed) return reader.Error("x-class-also holds an unknown class");
    field.also_classes.push_back(*parsed);
  }
  return Status::Ok();
}

Status ReadOrder(const PropertyReader& reader, FieldSpec& field) {
  const auto order = reader.property().find("x-order");
  if (order == reader.property().end()) return Status::Ok();
  if (field.policy != MergePolicy::kForward && field.policy != MergePolicy::kReview) {
    return reader.Error("x-order is only for forward and review fields");
  }
  OUTREACH_ASSIGN_OR_RETURN(field.order, reader.ScalarList(*order, "x-order"));
  const auto values = reader.property().find("enum");
  if (values != reader.property().end()) {
    // Every allowed value needs a rank, or a dispute could have no provisional value.
    OUTREACH_ASSIGN_OR_RETURN(std::vector<std::string> allowed, reader.ScalarList(*values, "enum"));
    if (std::set<std::string>(allowed.begin(), allowed.end()) !=
        std::set<std::string>(field.order.begin(), field.order.end())) {
      return reader.Error("x-order must list exactly the values of enum");
    }
  }
  return Status::Ok();
}

Status ReadEntryForward(const PropertyReader& reader, FieldSpec& field) {
  const auto forward = reader.property().find("x-entry-forward");
  if (forward == reader.property().end()) return Status::Ok();
  if (field.policy != MergePolicy::kAppend) {
    return reader.Error("x-entry-forward is only for append fields");
  }
  if (!forward->is_object() || forward->empty()) {
    return reader.Error("x-entry-forward must map entry members to their states");
  }
  for (auto it = forward->begin(); it != forward->end(); ++it) {
    OUTREACH_ASSIGN_OR_RETURN(std::vector<std::string> states,
                              reader.ScalarList(*it, "x-entry-forward"));
    field.entry_forward.emplace(it.key(), std::move(states));
  }
  return Status::Ok();
}

}  // namespace

Result<FieldSpec> ParseFieldSpec(const std::string& collection, const std::string& name,
                                 const nlohmann::json& property, bool required) {
  PropertyReader reader(collection, name, property);
  if (!property.is_object()) return reader.Error("must be an object carrying x-merge and x-class");

  FieldSpec field;
  field.name = name;
  field.required = required;

  OUTREACH_ASSIGN_OR_RETURN(std::optional<std::string> policy_name,
                            reader.OptionalString("x-merge"));
  if (!policy_name) return reader.Error("x-merge is missing");
  const std::optional<MergePolicy> policy = ParseMergePolicy(*policy_name);
  if (!policy) {
    return reader.Error("x-merge '" + *policy_name +
                        "' is not one of immutable, append, set, review, lww, forward");
  }
  field.policy = *policy;

  OUTREACH_RETURN_IF_ERROR(ReadClasses(reader, field));
  OUTREACH_RETURN_IF_ERROR(ReadOrder(reader, field));
  OUTREACH_RETURN_IF_ERROR(ReadEntryForward(reader, field));

  OUTREACH_ASSIGN_OR_RETURN(std::optional<std::string> derived, reader.OptionalString("x-derived"));
  if (derived) {
    if (!IsKnownDerivation(*derived)) {
      return reader.Error("x-derived '" + *derived + "' is not a derivation the engine knows");
    }
    field.derived = *derived;
  }
  OUTREACH_ASSIGN_OR_RETURN(std::optional<std::string> immutable_after,
                            reader.OptionalString("x-immutable-after"));
  if (immutable_after) field.immutable_after = *immutable_after;
  const auto concurrent = property.find("x-review-if-concurrent");
  if (concurrent != property.end()) {
    if (field.policy != MergePolicy::kAppend || !concurrent->is_object() || concurrent->size() != 1) {
      return reader.Error("x-review-if-concurrent names one entry member of an append field");
    }
    field.review_if_concurrent = concurrent->begin().key();
  }
  const auto writers = property.find("x-writers");
  if (writers != property.end()) {
    OUTREACH_ASSIGN_OR_RETURN(field.writers, reader.ScalarList(*writers, "x-writers"));
    if (field.writers.empty()) return reader.Error("x-writers must name at least one role");
  }
  return field;
}

}  // namespace outreach::schema::detail
