#include "core/schema/internal/fast_validator.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <string>
#include <utility>
#include <vector>

#include "core/schema/internal/rfc3339.h"
#include "core/schema/internal/schema_preparation.h"

namespace outreach::schema::detail {
namespace {

using Json = nlohmann::json;

enum TypeBit : std::uint8_t {
  kNullBit = 1,
  kBooleanBit = 2,
  kObjectBit = 4,
  kArrayBit = 8,
  kNumberBit = 16,
  kStringBit = 32,
  kIntegerBit = 64,
};

enum class FormatCheck { kNone, kDate, kTime, kDateTime };
enum class PatternCheck { kNone, kLowercaseUuid, kRegex };

// The pattern record schemas give ids: checked by hand, as std::regex_search would.
constexpr std::string_view kLowercaseUuidPattern =
    "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$";

// Keywords that never change a verdict (annotations, and places subschemas are kept).
bool IsAnnotation(const std::string& keyword) {
  static const char* const kAnnotations[] = {"$schema", "$id", "$comment", "title", "description",
                                             "default", "examples", "definitions", "readOnly",
                                             "writeOnly", "contentMediaType", "contentEncoding"};
  for (const char* annotation : kAnnotations) {
    if (keyword == annotation) return true;
  }
  // Ours ("x-merge", ...), including the bundle's documents; the renamed "format" is not one.
  return keyword.rfind("x-", 0) == 0 && keyword != kFormatKeyword;
}

struct Node {
  bool unsupported = false;   // answers unknown
  bool always_false = false;  // the boolean schema false
  int ref = -1;               // a "$ref": its target decides, its siblings are ignored
  std::optional<std::uint8_t> types;
  // "enum" and "const" (as a one-value list): each must hold on its own.
  std::vector<std::vector<Json>> allowed;
  std::vector<std::string> required;
  std::map<std::string, int, std::less<>> properties;
  int items = -1;
  int if_node = -1, then_node = -1, else_node = -1, not_node = -1;
  std::vector<int> all_of, any_of, one_of;
  std::optional<std::size_t> min_length, max_length, min_items, max_items;
  std::optional<std::size_t> min_properties, max_properties;
  std::optional<double> minimum, maximum;
  bool unique_items = false;
  PatternCheck pattern = PatternCheck::kNone;
  std::regex regex;
  FormatCheck format = FormatCheck::kNone;
  std::vector<std::pair<std::string, std::vector<std::string>>> dependency_names;
  std::vector<std::pair<std::string, int>> dependency_schemas;
};

std::optional<std::uint8_t> TypeBitOf(const std::string& name) {
  if (name == "null") return kNullBit;
  if (name == "boolean") return kBooleanBit;
  if (name == "object") return kObjectBit;
  if (name == "array") return kArrayBit;
  if (name == "number") return kNumberBit;
  if (name == "string") return kStringBit;
  if (name == "integer") return kIntegerBit;
  return std::nullopt;
}

std::optional<std::size_t> Count(const Json& value) {
  if (!value.is_number_unsigned() && !(value.is_number_integer() && value.get<std::int64_t>() >= 0)) {
    return std::nullopt;
  }
  return value.get<std::size_t>();
}

class Compiler {
 public:
  explicit Compiler(const Json& root) : root_(root) {}

  // The index of the node for `schema`, compiled once (a "$ref" loop reuses it).
  int Compile(const Json& schema) {
    const auto known = compiled_.find(&schema);
    if (known != compiled_.end()) return known->second;
    const int index = static_cast<int>(nodes_.size());
    nodes_.emplace_back();
    compiled_.emplace(&schema, index);
    Node node = Build(schema);
    nodes_[static_cast<std::size_t>(index)] = std::move(node);
    return index;
  }

  std::vector<Node> Take() { return std::move(nodes_); }

 private:
  Node Unsupported() {
    Node node;
    node.unsupported = true;
    return node;
  }

  Node Build(const Json& schema) {
    Node node;
    if (schema.is_boolean()) {
      node.always_false = !schema.get<bool>();
      return node;
    }
    if (!schema.is_object()) return Unsupported();
    if (const auto ref = schema.find("$ref"); ref != schema.end()) return BuildRef(*ref);
    for (const auto& [keyword, value] : schema.items()) {
      if (IsAnnotation(keyword)) continue;
      if (!Keyword(keyword, value, node)) return Unsupported();
    }
    return node;
  }

  Node BuildRef(const Json& ref) {
    // BundleSchema made every "$ref" a pointer into the root; a percent-escape or a trailing
    // "/" (which valijson trims) is left to valijson.
    if (!ref.is_string()) return Unsupported();
    const std::string& text = ref.get_ref<const std::string&>();
    if (text.empty() || text[0] != '#' || text.find('%') != std::string::npos ||
        (text.size() > 1 && text.back() == '/')) {
      return Unsupported();
    }
    try {
      const Json::json_pointer pointer(text.substr(1));
      if (!root_.contains(pointer)) return Unsupported();
      Node node;
      node.ref = Compile(root_.at(pointer));
      return node;
    } catch (const Json::exception&) {
      return Unsupported();
    }
  }

  bool Schemas(const Json& value, std::vector<int>& out) {
    if (!value.is_array() || value.empty()) return false;
    for (const Json& entry : value) out.push_back(Compile(entry));
    return true;
  }

  bool Keyword(const std::string& keyword, const Json& value, Node& node) {
    if (keyword == "type") return Types(value, node);
    if (keyword == "enum") {
      if (!value.is_array()) return false;
      node.allowed.emplace_back(value.begin(), value.end());
      return true;
    }
    if (keyword == "const") {
      node.allowed.push_back(std::vector<Json>{value});
      return true;
    }
    if (keyword == "required") {
      if (!value.is_array()) return false;
      for (const Json& name : value) {
        if (!name.is_string()) return false;
        node.required.push_back(name.get<std::string>());
      }
      // Sorted and unique, as an object's members are, for CheckObject's merged walk; the
      // order names are checked in never changes a verdict.
      std::sort(node.required.begin(), node.required.end());
      node.required.erase(std::unique(node.required.begin(), node.required.end()),
                          node.required.end());
      return true;
    }
    if (keyword == "properties") {
      if (!value.is_object()) return false;
      for (const auto& [name, schema] : value.items()) node.properties[name] = Compile(schema);
      return true;
    }
    if (keyword == "additionalProperties") return value == Json(true) || value == Json::object();
    if (keyword == "items") {
      if (!value.is_object() && !value.is_boolean()) return false;  // the array form: valijson's
      node.items = Compile(value);
      return true;
    }
    if (keyword == "if") return (node.if_node = Compile(value)), true;
    if (keyword == "then") return (node.then_node = Compile(value)), true;
    if (keyword == "else") return (node.else_node = Compile(value)), true;
    if (keyword == "not") return (node.not_node = Compile(value)), true;
    if (keyword == "allOf") return Schemas(value, node.all_of);
    if (keyword == "anyOf") return Schemas(value, node.any_of);
    if (keyword == "oneOf") return Schemas(value, node.one_of);
    if (keyword == "minLength") return (node.min_length = Count(value)).has_value();
    if (keyword == "maxLength") return (node.max_length = Count(value)).has_value();
    if (keyword == "minItems") return (node.min_items = Count(value)).has_value();
    if (keyword == "maxItems") return (node.max_items = Count(value)).has_value();
    if (keyword == "minProperties") return (node.min_properties = Count(value)).has_value();
    if (keyword == "maxProperties") return (node.max_properties = Count(value)).has_value();
    if (keyword == "minimum" || keyword == "maximum") {
      if (!value.is_number()) return false;
      (keyword == "minimum" ? node.minimum : node.maximum) = value.get<double>();
      return true;
    }
    if (keyword == "uniqueItems") {
      if (!value.is_boolean()) return false;
      node.unique_items = value.get<bool>();
      return true;
    }
    if (keyword == "pattern") return Pattern(value, node);
    if (keyword == kFormatKeyword) return Format(value, node);
    if (keyword == "dependencies") return Dependencies(value, node);
    return false;  // a keyword not modelled here: valijson's
  }

  bool Types(const Json& value, Node& node) {
    std::uint8_t bits = 0;
    const auto add = [&bits](const Json& name) {
      const auto bit = name.is_string() ? TypeBitOf(name.get<std::string>()) : std::nullopt;
      if (bit) bits |= *bit;
      return bit.has_value();
    };
    if (value.is_array()) {
      for (const Json& name : value) {
        if (!add(name)) return false;
      }
    } else if (!add(value)) {
      return false;
    }
    node.types = bits;
    return true;
  }

  bool Pattern(const Json& value, Node& node) {
    if (!value.is_string()) return false;
    const std::string& text = value.get_ref<const std::string&>();
    if (text == kLowercaseUuidPattern) {
      node.pattern = PatternCheck::kLowercaseUuid;
      return true;
    }
    try {
      node.regex = std::regex(text);  // as valijson builds it
    } catch (const std::regex_error&) {
      return false;
    }
    node.pattern = PatternCheck::kRegex;
    return true;
  }

  bool Format(const Json& value, Node& node) {
    if (!value.is_string()) return false;
    const std::string& name = value.get_ref<const std::string&>();
    if (name == "date") node.format = FormatCheck::kDate;
    if (name == "time") node.format = FormatCheck::kTime;
    if (name == "date-time") node.format = FormatCheck::kDateTime;
    return true;  // other formats are annotations (FormatConstraintBuilder)
  }

  bool Dependencies(const Json& value, Node& node) {
    if (!value.is_object()) return false;
    for (const auto& [name, dependency] : value.items()) {
      if (dependency.is_array()) {
        std::vector<std::string> names;
        for (const Json& other : dependency) {
          if (!other.is_string()) return false;
          names.push_back(other.get<std::string>());
        }
        node.dependency_names.emplace_back(name, std::move(names));
      } else {
        node.dependency_schemas.emplace_back(name, Compile(dependency));
      }
    }
    return true;
  }

  const Json& root_;
  std::vector<Node> nodes_;
  std::map<const Json*, int> compiled_;
};

// Numbers compare by valijson's own rules (integer against double, strict types): not modelled.
bool HoldsNumber(const Json& value) {
  if (value.is_number()) return true;
  if (!value.is_structured()) return false;
  for (const Json& child : value) {
    if (HoldsNumber(child)) return true;
  }
  return false;
}

// Whether every byte is ASCII and none is NUL: then valijson's length is the byte count. One
// pass without an early exit, which the compiler vectorises (a contact's notes are 600 bytes).
bool IsAsciiWithoutNul(const std::string& text) {
  unsigned char any_high = 0;
  bool any_nul = false;
  for (const char c : text) {
    any_high |= static_cast<unsigned char>(c);
    any_nul |= c == '\0';
  }
  return (any_high & 0x80) == 0 && !any_nul;
}

// A string's length as valijson's u8_strlen counts it: a byte and the continuation bytes after
// it make one character, up to the first NUL or the first sequence that decodes to 0.
// Unknown (nullopt) past six bytes a character, where valijson's table ends.
std::optional<std::size_t> ValijsonLength(const std::string& text) {
  if (IsAsciiWithoutNul(text)) return text.size();
  static constexpr std::uint64_t kOffsets[] = {0x00000000UL, 0x00003080UL, 0x000E2080UL,
                                               0x03C82080UL, 0xFA082080UL, 0x82082080UL};
  const auto at = [&text](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  std::size_t count = 0;
  std::size_t i = 0;
  while (i < text.size() && at(i) != 0) {
    std::uint64_t character = 0;
    std::size_t size = 0;
    do {
      character = (character << 6) + at(i++);
      ++size;
    } while (i < text.size() && at(i) != 0 && (at(i) & 0xC0) == 0x80);
    if (size > std::size(kOffsets)) return std::nullopt;
    if (character - kOffsets[size - 1] == 0) break;
    ++count;
  }
  return count;
}

bool IsLowercaseUuid(const std::string& text) {
  if (text.size() != 36) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const bool hyphen_place = i == 8 || i == 13 || i == 18 || i == 23;
    if (hyphen_place ? c != '-' : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

// Several verdicts that must all hold.
class AllOf {
 public:
  // False once the answer is known to be invalid (stop checking).
  bool Add(FastVerdict verdict) {
    if (verdict == FastVerdict::kInvalid) result_ = FastVerdict::kInvalid;
    if (verdict == FastVerdict::kUnknown && result_ == FastVerdict::kValid) result_ = verdict;
    return result_ != FastVerdict::kInvalid;
  }
  bool Holds(bool condition) { return Add(condition ? FastVerdict::kValid : FastVerdict::kInvalid); }
  FastVerdict result() const { return result_; }

 private:
  FastVerdict result_ = FastVerdict::kValid;
};

FastVerdict Not(FastVerdict verdict) {
  if (verdict == FastVerdict::kUnknown) return verdict;
  return verdict == FastVerdict::kValid ? FastVerdict::kInvalid : FastVerdict::kValid;
}

// Beyond this many nested checks the instance did not get deeper: a "$ref" loop; valijson's.
constexpr int kMaxDepth = 256;

}  // namespace

// The root's properties a partial check looks at (FastValidator::CheckFields); null: all.
using Fields = std::set<std::string, std::less<>>;

struct FastValidator::Nodes {
  std::vector<Node> nodes;
  int root = 0;

  // `only` (non-null at the root alone, and through its "$ref"s): see CheckFields.
  FastVerdict Check(int index, const Json& instance, int depth, const Fields* only = nullptr) const {
    if (depth > kMaxDepth) return FastVerdict::kUnknown;
    const Node& node = nodes[static_cast<std::size_t>(index)];
    if (node.unsupported) return FastVerdict::kUnknown;
    if (node.always_false) return FastVerdict::kInvalid;
    if (node.ref >= 0) return Check(node.ref, instance, depth + 1, only);
    AllOf all;
    if (node.types && !all.Add(CheckType(*node.types, instance))) return all.result();
    for (const auto& allowed : node.allowed) {
      if (!all.Add(CheckAllowed(allowed, instance))) return all.result();
    }
    if (instance.is_string() && !all.Add(CheckString(node, instance))) return all.result();
    if (instance.is_number() && (node.minimum || node.maximum)) {
      // valijson reads an integer as int64_t (one past INT64_MAX wraps negative): such
      // numbers, and NaN, are its own business.
      if (instance.is_number_unsigned() &&
          instance.get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX)) {
        return all.Add(FastVerdict::kUnknown), all.result();
      }
      const double number = instance.is_number_float()
                                ? instance.get<double>()
                                : static_cast<double>(instance.get<std::int64_t>());
      if (std::isnan(number)) return all.Add(FastVerdict::kUnknown), all.result();
      if (node.minimum && !all.Holds(number >= *node.minimum)) return all.result();
      if (node.maximum && !all.Holds(number <= *node.maximum)) return all.result();
    }
    if (instance.is_array() && !all.Add(CheckArray(node, instance, depth))) return all.result();
    if (instance.is_object() && !all.Add(CheckObject(node, instance, depth, only))) {
      return all.result();
    }
    for (const int entry : node.all_of) {
      if (!all.Add(Check(entry, instance, depth + 1))) return all.result();
    }
    if (!node.any_of.empty() && !all.Add(AnyOf(node.any_of, instance, depth))) return all.result();
    if (!node.one_of.empty() && !all.Add(OneOf(node.one_of, instance, depth))) return all.result();
    if (node.not_node >= 0 && !all.Add(Not(Check(node.not_node, instance, depth + 1)))) {
      return all.result();
    }
    if (node.if_node >= 0 && (node.then_node >= 0 || node.else_node >= 0)) {
      const FastVerdict condition = Check(node.if_node, instance, depth + 1);
      if (condition == FastVerdict::kUnknown) return all.Add(condition), all.result();
      const int branch = condition == FastVerdict::kValid ? node.then_node : node.else_node;
      if (branch >= 0) all.Add(Check(branch, instance, depth + 1));
    }
    return all.result();
  }

  static FastVerdict CheckType(std::uint8_t types, const Json& instance) {
    bool valid = false;
    if (instance.is_null()) valid = types & kNullBit;
    if (instance.is_boolean()) valid = types & kBooleanBit;
    if (instance.is_object()) valid = types & kObjectBit;
    if (instance.is_array()) valid = types & kArrayBit;
    if (instance.is_string()) valid = types & kStringBit;
    if (instance.is_number()) {
      if (types & kNumberBit) return FastVerdict::kValid;
      // Whether a double is an "integer" is valijson's rule (strict: never): not modelled.
      if (!instance.is_number_integer()) return FastVerdict::kUnknown;
      valid = types & kIntegerBit;
    }
    return valid ? FastVerdict::kValid : FastVerdict::kInvalid;
  }

  static FastVerdict CheckAllowed(const std::vector<Json>& allowed, const Json& instance) {
    if (HoldsNumber(instance)) return FastVerdict::kUnknown;
    for (const Json& value : allowed) {
      if (value == instance) return FastVerdict::kValid;
    }
    return FastVerdict::kInvalid;
  }

  static FastVerdict CheckString(const Node& node, const Json& instance) {
    const std::string& text = instance.get_ref<const std::string&>();
    if (node.min_length || node.max_length) {
      const std::optional<std::size_t> length = ValijsonLength(text);
      if (!length) return FastVerdict::kUnknown;
      if (node.min_length && *length < *node.min_length) return FastVerdict::kInvalid;
      if (node.max_length && *length > *node.max_length) return FastVerdict::kInvalid;
    }
    if (node.pattern == PatternCheck::kLowercaseUuid && !IsLowercaseUuid(text)) {
      return FastVerdict::kInvalid;
    }
    if (node.pattern == PatternCheck::kRegex && !std::regex_search(text, node.regex)) {
      return FastVerdict::kInvalid;
    }
    bool valid = true;
    if (node.format == FormatCheck::kDate) valid = IsRfc3339Date(text);
    if (node.format == FormatCheck::kTime) valid = IsRfc3339Time(text);
    if (node.format == FormatCheck::kDateTime) valid = IsRfc3339DateTime(text);
    return valid ? FastVerdict::kValid : FastVerdict::kInvalid;
  }

  FastVerdict CheckArray(const Node& node, const Json& instance, int depth) const {
    AllOf all;
    if (node.min_items && !all.Holds(instance.size() >= *node.min_items)) return all.result();
    if (node.max_items && !all.Holds(instance.size() <= *node.max_items)) return all.result();
    if (node.items >= 0) {
      for (const Json& item : instance) {
        if (!all.Add(Check(node.items, item, depth + 1))) return all.result();
      }
    }
    if (node.unique_items) {
      if (HoldsNumber(instance)) return all.Add(FastVerdict::kUnknown), all.result();
      for (std::size_t i = 0; i < instance.size(); ++i) {
        for (std::size_t k = i + 1; k < instance.size(); ++k) {
          if (instance[i] == instance[k]) return FastVerdict::kInvalid;
        }
      }
    }
    return all.result();
  }

  FastVerdict CheckObject(const Node& node, const Json& instance, int depth,
                          const Fields* only) const {
    AllOf all;
    if (node.min_properties && !all.Holds(instance.size() >= *node.min_properties)) {
      return all.result();
    }
    if (node.max_properties && !all.Holds(instance.size() <= *node.max_properties)) {
      return all.result();
    }
    // The members (nlohmann's object is a std::map), "required" and "properties" are all sorted
    // by name: one merged walk matches them, a compare a step, where a lookup a name cost two
    // tree descents (CheckObject was the largest part of a push's validation).
    const auto wanted = [only](const std::string& name) {
      return only == nullptr || only->count(name) != 0;
    };
    auto required = node.required.cbegin();
    auto property = node.properties.cbegin();
    for (const auto& [name, member] : instance.get_ref<const Json::object_t&>()) {
      for (; required != node.required.cend(); ++required) {
        const int order = required->compare(name);
        if (order == 0) ++required;
        if (order >= 0) break;
        if (wanted(*required) && !all.Holds(false)) return all.result();  // missing
      }
      while (property != node.properties.cend() && property->first.compare(name) < 0) ++property;
      if (property == node.properties.cend() || property->first != name || !wanted(name)) continue;
      if (!all.Add(Check(property->second, member, depth + 1))) return all.result();
    }
    for (; required != node.required.cend(); ++required) {
      if (wanted(*required) && !all.Holds(false)) return all.result();  // missing
    }
    for (const auto& [name, others] : node.dependency_names) {
      if (!instance.contains(name)) continue;
      for (const std::string& other : others) {
        if (!all.Holds(instance.contains(other))) return all.result();
      }
    }
    for (const auto& [name, schema] : node.dependency_schemas) {
      if (instance.contains(name) && !all.Add(Check(schema, instance, depth + 1))) {
        return all.result();
      }
    }
    return all.result();
  }

  FastVerdict AnyOf(const std::vector<int>& entries, const Json& instance, int depth) const {
    bool unknown = false;
    for (const int entry : entries) {
      const FastVerdict verdict = Check(entry, instance, depth + 1);
      if (verdict == FastVerdict::kValid) return verdict;
      unknown = unknown || verdict == FastVerdict::kUnknown;
    }
    return unknown ? FastVerdict::kUnknown : FastVerdict::kInvalid;
  }

  FastVerdict OneOf(const std::vector<int>& entries, const Json& instance, int depth) const {
    int valid = 0;
    for (const int entry : entries) {
      const FastVerdict verdict = Check(entry, instance, depth + 1);
      if (verdict == FastVerdict::kUnknown) return verdict;
      valid += verdict == FastVerdict::kValid;
    }
    return valid == 1 ? FastVerdict::kValid : FastVerdict::kInvalid;
  }
};

FastValidator::FastValidator(const nlohmann::json& bundled) {
  auto nodes = std::make_unique<Nodes>();
  Compiler compiler(bundled);
  nodes->root = compiler.Compile(bundled);
  nodes->nodes = compiler.Take();
  nodes_ = std::move(nodes);
}

FastValidator::FastValidator(FastValidator&&) noexcept = default;
FastValidator& FastValidator::operator=(FastValidator&&) noexcept = default;
FastValidator::~FastValidator() = default;

FastVerdict FastValidator::Check(const nlohmann::json& instance) const {
  return nodes_->Check(nodes_->root, instance, 0);
}

FastVerdict FastValidator::CheckFields(const nlohmann::json& instance, const Fields& fields) const {
  return nodes_->Check(nodes_->root, instance, 0, &fields);
}

}  // namespace outreach::schema::detail
