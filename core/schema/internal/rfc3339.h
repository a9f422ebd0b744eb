// RFC 3339 timestamps ("2024-05-01T21:30:00+01:00") for the derived fields: parse to UTC,
// format back as "...Z".
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace outreach::schema::detail {

struct UtcTimestamp {
  std::chrono::sys_seconds seconds;  // whole seconds, UTC
  std::string fraction;              // the digits after the '.', as written; empty if none
};

// Parses "YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)" ('T' and 'Z' in either case; a
// 4-digit year; second 60 allowed for leap seconds). nullopt for anything else, including
// impossible dates (2023-02-29) and fractions longer than 9 digits.
std::optional<UtcTimestamp> ParseRfc3339(std::string_view text);

// "YYYY-MM-DDTHH:MM:SS[.fraction]Z"; nullopt outside years 0000-9999.
std::optional<std::string> FormatRfc3339Utc(const UtcTimestamp& timestamp);

// The JSON Schema formats record schemas use, checked in linear time (no std::regex):
// "date" is RFC 3339 full-date ("2024-02-29"), "time" full-time ("21:30:00.5+01:00"),
// "date-time" exactly what ParseRfc3339 accepts.
bool IsRfc3339Date(std::string_view text);
bool IsRfc3339Time(std::string_view text);
bool IsRfc3339DateTime(std::string_view text);

}  // namespace outreach::schema::detail
