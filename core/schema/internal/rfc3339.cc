#include "core/schema/internal/rfc3339.h"

#include <cstdio>

namespace outreach::schema::detail {
namespace {

using std::chrono::days;
using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

// Reads exactly `count` digits at `pos`; nullopt if any is not a digit or the text is short.
std::optional<int> Digits(std::string_view text, std::size_t pos, std::size_t count) {
  if (pos + count > text.size()) return std::nullopt;
  int value = 0;
  for (std::size_t i = pos; i < pos + count; ++i) {
    if (text[i] < '0' || text[i] > '9') return std::nullopt;
    value = value * 10 + (text[i] - '0');
  }
  return value;
}

bool CharIs(std::string_view text, std::size_t pos, char lower, char upper) {
  return pos < text.size() && (text[pos] == lower || text[pos] == upper);
}

// "YYYY-MM-DD", a real calendar day.
std::optional<std::chrono::year_month_day> ParseFullDate(std::string_view text) {
  const auto year = Digits(text, 0, 4);
  const auto month = Digits(text, 5, 2);
  const auto day = Digits(text, 8, 2);
  if (!year || !month || !day || !CharIs(text, 4, '-', '-') || !CharIs(text, 7, '-', '-')) {
    return std::nullopt;
  }
  const std::chrono::year_month_day date{std::chrono::year{*year},
                                         std::chrono::month{static_cast<unsigned>(*month)},
                                         std::chrono::day{static_cast<unsigned>(*day)}};
  if (!date.ok()) return std::nullopt;
  return date;
}

struct FullTime {
  seconds since_midnight{0};  // local time of day
  seconds offset{0};          // local minus UTC
  std::string fraction;
};

// "HH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)", the whole of `text`.
std::optional<FullTime> ParseFullTime(std::string_view text) {
  const auto hour = Digits(text, 0, 2);
  const auto minute = Digits(text, 3, 2);
  const auto second = Digits(text, 6, 2);
  if (!hour || !minute || !second || !CharIs(text, 2, ':', ':') || !CharIs(text, 5, ':', ':')) {
    return std::nullopt;
  }
  // Second 60 is a leap second (RFC 3339 section 5.7).
  if (*hour > 23 || *minute > 59 || *second > 60) return std::nullopt;

  FullTime time;
  time.since_midnight = hours{*hour} + minutes{*minute} + seconds{*second};
  std::size_t pos = 8;
  if (pos < text.size() && text[pos] == '.') {
    const std::size_t start = ++pos;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') ++pos;
    if (pos == start || pos - start > 9) return std::nullopt;
    time.fraction = std::string(text.substr(start, pos - start));
  }
  if (CharIs(text, pos, 'z', 'Z')) {
    ++pos;
  } else if (CharIs(text, pos, '+', '+') || CharIs(text, pos, '-', '-')) {
    const bool negative = text[pos] == '-';
    const auto offset_hours = Digits(text, pos + 1, 2);
    const auto offset_minutes = Digits(text, pos + 4, 2);
    if (!offset_hours || !offset_minutes || !CharIs(text, pos + 3, ':', ':') ||
        *offset_hours > 23 || *offset_minutes > 59) {
      return std::nullopt;
    }
    time.offset = hours{*offset_hours} + minutes{*offset_minutes};
    if (negative) time.offset = -time.offset;
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != text.size()) return std::nullopt;
  return time;
}

}  // namespace

std::optional<UtcTimestamp> ParseRfc3339(std::string_view text) {
  const auto date = ParseFullDate(text.substr(0, 10));
  if (!date || !CharIs(text, 10, 't', 'T')) return std::nullopt;
  std::optional<FullTime> time = ParseFullTime(text.substr(11));
  if (!time) return std::nullopt;
  // Local time minus its offset is UTC ("21:30+01:00" is 20:30Z).
  return UtcTimestamp{std::chrono::sys_days{*date} + time->since_midnight - time->offset,
                      std::move(time->fraction)};
}

std::optional<std::string> FormatRfc3339Utc(const UtcTimestamp& timestamp) {
  const auto day_start = std::chrono::floor<days>(timestamp.seconds);
  const std::chrono::year_month_day date{day_start};
  const int year = static_cast<int>(date.year());
  if (year < 0 || year > 9999) return std::nullopt;
  const std::chrono::hh_mm_ss<seconds> time{timestamp.seconds - day_start};
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%04d-%02u-%02uT%02d:%02d:%02d", year,
                static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                static_cast<int>(time.hours().count()), static_cast<int>(time.minutes().count()),
                static_cast<int>(time.seconds().count()));
  std::string text(buffer);
  if (!timestamp.fraction.empty()) text += "." + timestamp.fraction;
  text += 'Z';
  return text;
}

bool IsRfc3339Date(std::string_view text) {
  return text.size() == 10 && ParseFullDate(text).has_value();
}

bool IsRfc3339Time(std::string_view text) { return ParseFullTime(text).has_value(); }

bool IsRfc3339DateTime(std::string_view text) { return ParseRfc3339(text).has_value(); }

}  // namespace outreach::schema::detail
