#include "client-sdk/transport/retry_policy.h"

#include <algorithm>
#include <cctype>

#include "client-sdk/transport/internal/http_date.h"

namespace outreach::client {
namespace {

// Delta-seconds beyond this are saturated: far above any max_ms, and no overflow.
constexpr long kMaxDeltaSeconds = 1'000'000'000;

std::string_view TrimSpaces(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

std::optional<long> ParseDeltaSeconds(std::string_view text) {
  if (text.empty()) return std::nullopt;
  long seconds = 0;
  for (char c : text) {
    if (std::isdigit(static_cast<unsigned char>(c)) == 0) return std::nullopt;
    seconds = std::min(kMaxDeltaSeconds, seconds * 10 + (c - '0'));
  }
  return seconds * 1000;
}

}  // namespace

bool IsRetryableHttpStatus(long status) { return status == 429 || (status >= 500 && status <= 599); }

long BackoffCeilingMs(const BackoffSchedule& schedule, int retry_number) {
  const long cap = std::max(0L, schedule.max_ms);
  long ceiling = std::clamp(schedule.initial_ms, 0L, cap);
  // Doubling stops at the cap, so no retry number overflows.
  for (int doubling = 1; doubling < retry_number && ceiling < cap; ++doubling) {
    ceiling = ceiling > cap / 2 ? cap : ceiling * 2;
  }
  return ceiling;
}

long FullJitterBackoffMs(const BackoffSchedule& schedule, int retry_number, double unit_random) {
  const long ceiling = BackoffCeilingMs(schedule, retry_number);
  const double fraction = std::clamp(unit_random, 0.0, 1.0);
  // (ceiling + 1) makes the ceiling itself reachable; the clamp keeps unit_random == 1 in range.
  return std::min(ceiling, static_cast<long>(fraction * static_cast<double>(ceiling + 1)));
}

std::optional<long> ParseRetryAfterMs(std::string_view value,
                                      std::chrono::system_clock::time_point now) {
  value = TrimSpaces(value);
  if (auto delta_ms = ParseDeltaSeconds(value)) return delta_ms;
  const auto date = detail::ParseHttpDate(value);
  if (!date) return std::nullopt;
  // In milliseconds, not the clock's nanoseconds: a date centuries ahead would overflow those.
  using std::chrono::milliseconds;
  const milliseconds wait = std::chrono::time_point_cast<milliseconds>(*date) -
                            std::chrono::time_point_cast<milliseconds>(now);
  return std::clamp(static_cast<long>(wait.count()), 0L, kMaxDeltaSeconds * 1000);
}

long RetryDelayMs(const BackoffSchedule& schedule, int retry_number, double unit_random,
                  std::optional<long> retry_after_ms) {
  if (retry_after_ms) return std::clamp(*retry_after_ms, 0L, std::max(0L, schedule.max_ms));
  return FullJitterBackoffMs(schedule, retry_number, unit_random);
}

}  // namespace outreach::client
