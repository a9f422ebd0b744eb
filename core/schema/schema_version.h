// The version of a record schema (`x-schema-version`, "major.minor"). A minor version only adds
// optional fields; anything else (a new required field, a new or removed enum value, a tighter
// rule, a changed merge policy) is a new major version.
#pragma once

#include <compare>
#include <optional>
#include <string>
#include <string_view>

namespace outreach::schema {

struct SchemaVersion {
  int major = 0;
  int minor = 0;

  auto operator<=>(const SchemaVersion&) const = default;
};

// Parses "1.0", "2.13": two decimal numbers (at most 6 digits each) joined by a dot. nullopt for
// anything else ("1", "1.0.0", "v1.0", "-1.0").
std::optional<SchemaVersion> ParseSchemaVersion(std::string_view text);

// "major.minor".
std::string SchemaVersionString(SchemaVersion version);

}  // namespace outreach::schema
