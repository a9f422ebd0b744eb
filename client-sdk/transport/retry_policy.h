// RetryPolicy: how long the transport waits before asking again. Exponential backoff with full
// jitter, or the server's Retry-After when it sent one. Pure functions: the caller supplies the
// random draw and the current time, so tests pin both.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace outreach::client {

struct BackoffSchedule {
  long initial_ms = 250;  // ceiling of the first wait
  long max_ms = 15'000;   // no wait is longer, whatever the attempt or the server says
};

// 5xx and 429: answers that may change if the same request is sent again later.
bool IsRetryableHttpStatus(long status);

// The longest wait before retry `retry_number` (1 = the first retry):
// initial_ms * 2^(retry_number - 1), capped at max_ms.
long BackoffCeilingMs(const BackoffSchedule& schedule, int retry_number);

// Full jitter: uniform in [0, BackoffCeilingMs], drawn from `unit_random` in [0, 1). Devices
// that lost the same server at the same moment then come back spread out, not in lockstep.
long FullJitterBackoffMs(const BackoffSchedule& schedule, int retry_number, double unit_random);

// A Retry-After value (RFC 9110 section 10.2.3), delta-seconds or an HTTP-date, as milliseconds
// from `now`; a date in the past is 0. nullopt when malformed (the caller then backs off as if
// the header were absent).
std::optional<long> ParseRetryAfterMs(std::string_view value,
                                      std::chrono::system_clock::time_point now);

// The wait before retry `retry_number`: the server's Retry-After when it sent a valid one, else
// full jitter. Capped at max_ms either way, so a server cannot park a device for hours.
long RetryDelayMs(const BackoffSchedule& schedule, int retry_number, double unit_random,
                  std::optional<long> retry_after_ms);

}  // namespace outreach::client
