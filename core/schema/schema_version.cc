#include "core/schema/schema_version.h"

namespace outreach::schema {
namespace {

// Parses a run of 1-6 digits; nullopt otherwise.
std::optional<int> ParseNumber(std::string_view digits) {
  if (digits.empty() || digits.size() > 6) return std::nullopt;
  int value = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return value;
}

}  // namespace

std::optional<SchemaVersion> ParseSchemaVersion(std::string_view text) {
  const std::size_t dot = text.find('.');
  if (dot == std::string_view::npos) return std::nullopt;
  const std::optional<int> major = ParseNumber(text.substr(0, dot));
  const std::optional<int> minor = ParseNumber(text.substr(dot + 1));
  if (!major || !minor) return std::nullopt;
  return SchemaVersion{*major, *minor};
}

std::string SchemaVersionString(SchemaVersion version) {
  return std::to_string(version.major) + "." + std::to_string(version.minor);
}

}  // namespace outreach::schema
