#include "client-sdk/transport/internal/http_date.h"

#include <array>
#include <cctype>
#include <vector>

namespace outreach::client::detail {
namespace {

constexpr std::array<std::string_view, 12> kMonthNames = {
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

// Splits on the separators the three formats use (space, comma, dash); runs of them count once,
// which also covers asctime's space-padded day ("Nov  6").
std::vector<std::string_view> Tokens(std::string_view text) {
  std::vector<std::string_view> tokens;
  std::size_t start = 0;
  for (std::size_t index = 0; index <= text.size(); ++index) {
    const bool separator = index == text.size() || text[index] == ' ' || text[index] == ',' ||
                           text[index] == '-';
    if (!separator) continue;
    if (index > start) tokens.push_back(text.substr(start, index - start));
    start = index + 1;
  }
  return tokens;
}

// Non-empty and every character passes `test` (std::isalpha, std::isdigit).
bool AllOf(std::string_view token, int (*test)(int)) {
  if (token.empty()) return false;
  for (char c : token) {
    if (test(static_cast<unsigned char>(c)) == 0) return false;
  }
  return true;
}
bool AllLetters(std::string_view token) { return AllOf(token, std::isalpha); }
bool AllDigits(std::string_view token) { return AllOf(token, std::isdigit); }

int ToInt(std::string_view digits) {
  int value = 0;
  for (char c : digits) value = value * 10 + (c - '0');
  return value;
}

std::optional<unsigned> MonthNumber(std::string_view token) {
  for (std::size_t index = 0; index < kMonthNames.size(); ++index) {
    if (token == kMonthNames[index]) return static_cast<unsigned>(index + 1);
  }
  return std::nullopt;
}

struct TimeOfDay {
  int hours = 0;
  int minutes = 0;
  int seconds = 0;
};

// "08:49:37"
std::optional<TimeOfDay> ParseTimeOfDay(std::string_view token) {
  if (token.size() != 8 || token[2] != ':' || token[5] != ':') return std::nullopt;
  const std::string_view hours = token.substr(0, 2), minutes = token.substr(3, 2),
                         seconds = token.substr(6, 2);
  if (!AllDigits(hours) || !AllDigits(minutes) || !AllDigits(seconds)) return std::nullopt;
  TimeOfDay time{ToInt(hours), ToInt(minutes), ToInt(seconds)};
  // 60 allows a leap second, which the formats permit.
  if (time.hours > 23 || time.minutes > 59 || time.seconds > 60) return std::nullopt;
  return time;
}

// RFC 850's two-digit years, with a fixed pivot (00-69 -> 20xx, as POSIX strptime's %y) rather
// than the RFC's rolling "not more than 50 years ahead", which would need today's date. The
// form is obsolete; this only has to be sensible.
int FullYear(std::string_view digits) {
  const int year = ToInt(digits);
  if (digits.size() == 4) return year;
  return year < 70 ? 2000 + year : 1900 + year;
}

struct DateFields {
  std::string_view day, month, year, time;
};

// IMF-fixdate and RFC 850 split alike: weekday, day, month, year, time, "GMT"; asctime is
// weekday, month, day, time, year.
std::optional<DateFields> Fields(const std::vector<std::string_view>& tokens) {
  if (tokens.empty() || !AllLetters(tokens[0])) return std::nullopt;
  if (tokens.size() == 6 && tokens[5] == "GMT") {
    return DateFields{tokens[1], tokens[2], tokens[3], tokens[4]};
  }
  if (tokens.size() == 5 && tokens[4].size() == 4) {
    return DateFields{tokens[2], tokens[1], tokens[4], tokens[3]};
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::chrono::sys_seconds> ParseHttpDate(std::string_view text) {
  const std::optional<DateFields> fields = Fields(Tokens(text));
  if (!fields) return std::nullopt;
  const std::optional<unsigned> month = MonthNumber(fields->month);
  const std::optional<TimeOfDay> time = ParseTimeOfDay(fields->time);
  if (!month || !time || !AllDigits(fields->day) || fields->day.size() > 2 ||
      !AllDigits(fields->year) || (fields->year.size() != 4 && fields->year.size() != 2)) {
    return std::nullopt;
  }
  const std::chrono::year_month_day date{
      std::chrono::year{FullYear(fields->year)}, std::chrono::month{*month},
      std::chrono::day{static_cast<unsigned>(ToInt(fields->day))}};
  if (!date.ok()) return std::nullopt;
  return std::chrono::sys_days{date} + std::chrono::hours{time->hours} +
         std::chrono::minutes{time->minutes} + std::chrono::seconds{time->seconds};
}

}  // namespace outreach::client::detail
