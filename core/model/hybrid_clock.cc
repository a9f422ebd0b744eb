#include "core/model/hybrid_clock.h"

#include <algorithm>
#include <cassert>
#include <charconv>
#include <limits>
#include <string>
#include <system_error>
#include <utility>

namespace outreach::model {
namespace {

constexpr std::string_view kServerTimeKey = "server_time_ms=";

// Offsets and server times come from outside; saturate rather than overflow (UB).
std::int64_t SaturatingAdd(std::int64_t a, std::int64_t b) {
  std::int64_t sum;
  if (!__builtin_add_overflow(a, b, &sum)) return sum;
  return b > 0 ? std::numeric_limits<std::int64_t>::max()
               : std::numeric_limits<std::int64_t>::min();
}

std::int64_t SaturatingSub(std::int64_t a, std::int64_t b) {
  std::int64_t difference;
  if (!__builtin_sub_overflow(a, b, &difference)) return difference;
  return b < 0 ? std::numeric_limits<std::int64_t>::max()
               : std::numeric_limits<std::int64_t>::min();
}

// The smallest reading greater than `hlc`.
Hlc Successor(const Hlc& hlc) {
  if (hlc.counter < std::numeric_limits<std::uint32_t>::max()) {
    return {hlc.physical_ms, hlc.counter + 1};
  }
  // Counter overflow: borrow the next millisecond (4 billion writes in one ms, or a clock held
  // back for very long). Valid readings are far below INT64_MAX, so +1 cannot overflow.
  return {SaturatingAdd(hlc.physical_ms, 1), 0};
}

}  // namespace

HybridClock::HybridClock(PhysicalClock* source, Hlc last_issued, std::int64_t offset_ms)
    : source_(source), last_issued_(last_issued), offset_ms_(offset_ms) {
  assert(source_ != nullptr);
  assert(last_issued.IsValid() && "validate a persisted clock before restoring it");
}

Hlc HybridClock::Now() {
  std::lock_guard<std::mutex> lock(mutex_);
  // Clamped so a wild wall clock or offset can never produce an invalid reading.
  const std::int64_t wall_ms =
      std::clamp(SaturatingAdd(source_->NowMs(), offset_ms_), std::int64_t{0}, kMaxHlcPhysicalMs);
  // Strictly above everything issued or observed: the wall clock may have jumped back.
  last_issued_ = wall_ms > last_issued_.physical_ms ? Hlc{wall_ms, 0} : Successor(last_issued_);
  return last_issued_;
}

Status HybridClock::Observe(const Hlc& remote) {
  if (!remote.IsValid()) {
    return InvalidArgumentError("remote clock reading out of range: physical_ms=" +
                                std::to_string(remote.physical_ms));
  }
  std::lock_guard<std::mutex> lock(mutex_);
  last_observed_ = std::max(last_observed_, remote);
  // Now() issues the successor of the mark or a later wall time, so it ends up > remote.
  last_issued_ = std::max(last_issued_, remote);
  return Status::Ok();
}

void HybridClock::AdjustToServerTime(std::int64_t server_now_ms) {
  std::lock_guard<std::mutex> lock(mutex_);
  // last_issued_ stays: Now() never goes below it (see the header).
  offset_ms_ = SaturatingSub(server_now_ms, source_->NowMs());
}

Status HybridClock::RewindForRestamp(const Hlc& floor) {
  if (!floor.IsValid()) {
    return InvalidArgumentError("re-stamp floor out of range: physical_ms=" +
                                std::to_string(floor.physical_ms));
  }
  std::lock_guard<std::mutex> lock(mutex_);
  // Observed readings stay below new ones, whatever the caller's floor says: a local edit made
  // after seeing a remote version must order after it.
  last_issued_ = std::max(floor, last_observed_);
  return Status::Ok();
}

Hlc HybridClock::last_issued() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return last_issued_;
}

std::int64_t HybridClock::offset_ms() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return offset_ms_;
}

Status HybridClock::CheckSkew(const Hlc& device_reading, std::int64_t server_now_ms,
                              std::int64_t max_drift_ms) {
  const std::int64_t ahead_ms = SaturatingSub(device_reading.physical_ms, server_now_ms);
  if (ahead_ms <= max_drift_ms) return Status::Ok();
  return ClockSkewError(server_now_ms, "device clock reading is " + std::to_string(ahead_ms) +
                                           " ms ahead of server time (max " +
                                           std::to_string(max_drift_ms) + " ms)");
}

Status ClockSkewError(std::int64_t server_time_ms, std::string_view detail) {
  std::string message(detail);
  if (!message.empty()) message += "; ";
  message += kServerTimeKey;
  message += std::to_string(server_time_ms);
  return Status(StatusCode::kClockSkew, std::move(message));
}

std::optional<std::int64_t> ServerTimeFromSkewError(const Status& status) {
  if (status.code() != StatusCode::kClockSkew) return std::nullopt;
  const std::string& message = status.message();
  const std::size_t key_pos = message.rfind(kServerTimeKey);
  if (key_pos == std::string::npos) return std::nullopt;
  const char* first = message.data() + key_pos + kServerTimeKey.size();
  const char* last = message.data() + message.size();
  std::int64_t server_time_ms = 0;
  const auto [end, error] = std::from_chars(first, last, server_time_ms);
  // The number ends the message or a clause ("; ..."): "12ab" is not a time.
  if (error != std::errc() || (end != last && *end != ';')) return std::nullopt;
  return server_time_ms;
}

}  // namespace outreach::model
