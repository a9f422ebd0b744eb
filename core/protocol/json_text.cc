#include "core/protocol/json_text.h"

#include "core/protocol/internal/plain_json.h"

namespace outreach::protocol {
namespace {

void AppendString(std::string_view text, std::string& out) {
  if (internal::IsPlainText(text) && internal::IsUtf8(text)) {
    out.append(1, '"').append(text).append(1, '"');
  } else {
    out += model::Json(std::string(text)).dump();  // escapes, or not UTF-8 (which throws, as dump() does)
  }
}

void Append(const model::Json& value, std::string& out) {
  switch (value.type()) {
    case model::Json::value_t::object: {
      out += '{';
      bool first = true;
      // The object's own (sorted) order, as dump() writes it.
      for (const auto& [key, member] : value.get_ref<const model::Json::object_t&>()) {
        if (!first) out += ',';
        first = false;
        AppendString(key, out);
        out += ':';
        Append(member, out);
      }
      out += '}';
      return;
    }
    case model::Json::value_t::array: {
      out += '[';
      bool first = true;
      for (const model::Json& element : value.get_ref<const model::Json::array_t&>()) {
        if (!first) out += ',';
        first = false;
        Append(element, out);
      }
      out += ']';
      return;
    }
    case model::Json::value_t::string:
      AppendString(value.get_ref<const std::string&>(), out);
      return;
    case model::Json::value_t::boolean:
      out += value.get<bool>() ? "true" : "false";
      return;
    default:
      out += value.dump();  // numbers, null (and binary, discarded): dump()'s own formats
      return;
  }
}

}  // namespace

std::string JsonText(const model::Json& value) {
  std::string out;
  Append(value, out);
  return out;
}

std::string JsonObjectText(
    std::span<const std::pair<std::string_view, std::string_view>> members) {
  std::size_t size = 2;
  for (const auto& [key, text] : members) size += key.size() + text.size() + 4;
  std::string out;
  out.reserve(size);
  out += '{';
  for (const auto& [key, text] : members) {
    if (out.size() > 1) out += ',';
    AppendString(key, out);
    out += ':';
    out += text;
  }
  out += '}';
  return out;
}

}  // namespace outreach::protocol
