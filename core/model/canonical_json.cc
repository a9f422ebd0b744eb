#include "core/model/canonical_json.h"

#include <sodium.h>

#include <cmath>
#include <cstdint>
#include <string>

#include "core/base/secure_bytes.h"

namespace outreach::model {
namespace {

constexpr double kMaxExactInteger = 9007199254740992.0;  // 2^53

// A copy in which every number has one spelling.
nlohmann::json Normalize(const nlohmann::json& value) {
  switch (value.type()) {
    case nlohmann::json::value_t::object: {
      nlohmann::json out = nlohmann::json::object();
      for (const auto& [key, item] : value.items()) out[key] = Normalize(item);
      return out;
    }
    case nlohmann::json::value_t::array: {
      nlohmann::json out = nlohmann::json::array();
      for (const auto& item : value) out.push_back(Normalize(item));
      return out;
    }
    case nlohmann::json::value_t::number_float: {
      const double number = value.get<double>();
      if (std::isfinite(number) && std::trunc(number) == number &&
          std::fabs(number) <= kMaxExactInteger) {
        return static_cast<std::int64_t>(number);  // 1.0 -> 1, -0.0 -> 0
      }
      return number;
    }
    case nlohmann::json::value_t::number_unsigned:
      if (value.get<std::uint64_t>() <= static_cast<std::uint64_t>(INT64_MAX)) {
        return static_cast<std::int64_t>(value.get<std::uint64_t>());
      }
      return value;
    default:
      return value;
  }
}

// True if some number in `value` has more than one spelling (Normalize would change it).
bool NeedsNormalizing(const nlohmann::json& value) {
  switch (value.type()) {
    case nlohmann::json::value_t::object:
    case nlohmann::json::value_t::array:
      for (const auto& item : value) {
        if (NeedsNormalizing(item)) return true;
      }
      return false;
    case nlohmann::json::value_t::number_float:
    case nlohmann::json::value_t::number_unsigned:
      return true;
    default:
      return false;
  }
}

// Printable ASCII other than '"' and '\\': what dump() writes between its quotes unchanged.
bool IsPlainText(const std::string& text) {
  bool plain = true;
  for (const char c : text) plain &= c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
  return plain;
}

// Appends `value` as dump() writes it after Normalize, if it is plain: plain text, true,
// false, null, integers, and objects and arrays of those. False (with part written) for
// anything else.
bool AppendPlain(const nlohmann::json& value, std::string& out) {
  const auto quoted = [&out](const std::string& text) {
    if (!IsPlainText(text)) return false;
    out += '"';
    out += text;
    out += '"';
    return true;
  };
  switch (value.type()) {
    case nlohmann::json::value_t::string:
      return quoted(value.get_ref<const std::string&>());
    case nlohmann::json::value_t::boolean:
      out += value.get<bool>() ? "true" : "false";
      return true;
    case nlohmann::json::value_t::null:
      out += "null";
      return true;
    case nlohmann::json::value_t::number_integer:
      out += std::to_string(value.get<std::int64_t>());
      return true;
    case nlohmann::json::value_t::number_unsigned:  // Normalize keeps its digits
      out += std::to_string(value.get<std::uint64_t>());
      return true;
    case nlohmann::json::value_t::object: {
      out += '{';
      bool first = true;
      for (const auto& [key, item] : value.get_ref<const nlohmann::json::object_t&>()) {
        if (!first) out += ',';
        first = false;
        if (!quoted(key)) return false;
        out += ':';
        if (!AppendPlain(item, out)) return false;
      }
      out += '}';
      return true;
    }
    case nlohmann::json::value_t::array: {
      out += '[';
      bool first = true;
      for (const nlohmann::json& item : value) {
        if (!first) out += ',';
        first = false;
        if (!AppendPlain(item, out)) return false;
      }
      out += ']';
      return true;
    }
    default:
      return false;
  }
}

}  // namespace

std::string CanonicalJson(const nlohmann::json& value) {
  // Most values merged (set elements: ids, codes, {"code": ...} objects) are plain: written
  // here as dump() would write them, without its serializer (which was ~3% of the server's
  // instructions on a push of creates).
  std::string plain;
  if (AppendPlain(value, plain)) return plain;
  // What is left (text to escape, floats): nlohmann's object is a std::map, so keys come out
  // sorted; dump() uses the shortest exact float form. Invalid UTF-8 is replaced rather than
  // thrown on. A value with no number to respell is dumped without a copy.
  constexpr auto kReplace = nlohmann::json::error_handler_t::replace;
  if (!NeedsNormalizing(value)) return value.dump(-1, ' ', false, kReplace);
  return Normalize(value).dump(-1, ' ', false, kReplace);
}

std::array<std::uint8_t, 32> CanonicalHash(const nlohmann::json& value) {
  (void)EnsureSodium();
  const std::string text = CanonicalJson(value);
  std::array<std::uint8_t, 32> hash{};
  crypto_generichash(hash.data(), hash.size(), reinterpret_cast<const unsigned char*>(text.data()),
                     text.size(), nullptr, 0);
  return hash;
}

}  // namespace outreach::model
