// HybridClock: the per-device hybrid logical clock (DESIGN.md section 3). It stamps every local
// write with a reading that is strictly greater than every reading it issued or observed, even
// when the wall clock jumps back or forward, and it is how a device falls in with server time
// after a `clock_skew` refusal. Readings are ordered as Hlc; with a device id they form a
// Version.
//
// The clock_skew round trip:
//   1. The server checks each pushed reading with HybridClock::CheckSkew against its own time.
//      A reading more than kMaxClockDrift ahead fails with StatusCode::kClockSkew, whose message
//      carries the server's time.
//   2. The device reads it back with ServerTimeFromSkewError, calls AdjustToServerTime, then,
//      in the transaction that re-stamps its unsent changes, RewindForRestamp and Now() for each
//      change in its original order. Then it restarts the sync round.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string_view>

#include "core/base/status.h"
#include "core/model/hlc.h"
#include "core/model/physical_clock.h"

namespace outreach::model {

// Thread-safe: every method may be called from any thread (a mutex serialises them).
class HybridClock {
 public:
  // How far, in ms, a device reading may be ahead of server time before the server refuses it
  // (5 minutes). It bounds how far one fast tablet can drag every replica's clock into the
  // future (and win last-writer-wins fields with it). Generous enough that ordinary drift of a
  // tablet offline for weeks (quartz: ~1-2 s a day) and request latency never trip it; the
  // same tolerance Kerberos uses for client clocks.
  static constexpr std::int64_t kMaxClockDrift = 5 * 60 * 1000;

  // `source` is not owned and must outlive the clock. `last_issued` and `offset_ms` restore a
  // clock persisted by last_issued() and offset_ms(), so readings never go backwards across a
  // restart; `last_issued` must be valid (Hlc::IsValid: check what you load).
  explicit HybridClock(PhysicalClock* source, Hlc last_issued = {}, std::int64_t offset_ms = 0);

  HybridClock(const HybridClock&) = delete;
  HybridClock& operator=(const HybridClock&) = delete;

  // A reading for a local write: physical = max(wall + offset, last.physical_ms); the counter
  // restarts at 0 when physical moves ahead and counts up while it stays. If the counter would
  // overflow, physical_ms moves on by 1 ms instead. Never zero.
  [[nodiscard]] Hlc Now();

  // Advances the clock past a reading seen from the server or another replica, so that the next
  // Now() > remote. A reading behind ours changes nothing. A reading ahead is accepted however
  // far ahead it is: the server's clock is authoritative, and the drift bound is the server's
  // job (CheckSkew). kInvalidArgument if !remote.IsValid(); the clock is then unchanged.
  Status Observe(const Hlc& remote);

  // Sets the offset so that wall + offset equals `server_now_ms` now (the time carried by a
  // clock_skew error, or by a server response). Monotonicity is kept: readings never go below
  // last_issued(), so a device that already issued readings ahead of server time keeps their
  // physical_ms and only counts up until server time passes it. To get readings near server
  // time at once, the re-stamp of unsent changes calls RewindForRestamp.
  void AdjustToServerTime(std::int64_t server_now_ms);

  // Lowers the high-water mark to max(floor, the highest reading passed to Observe since this
  // object was made), so that readings follow (adjusted) wall time again. Only for re-stamping
  // after a clock_skew refusal, and the caller promises: every reading this clock issued above
  // `floor` belongs to unsent changes that are re-stamped (or dropped) in the same transaction
  // that persists the new last_issued(), and `floor` covers every reading of this device that
  // left it and every remote reading stored on it (after a restart the clock no longer knows
  // what it observed). Otherwise a Version could repeat. kInvalidArgument if !floor.IsValid().
  Status RewindForRestamp(const Hlc& floor);

  // The highest reading issued or observed; persist it (with offset_ms) with the writes it
  // stamped, and pass both back to the constructor after a restart.
  Hlc last_issued() const;
  // The correction added to the wall clock, set by AdjustToServerTime.
  std::int64_t offset_ms() const;

  // For the server: OK if `device_reading` is at most `max_drift_ms` ahead of `server_now_ms`
  // (readings behind are always fine: they may be old offline writes). Otherwise kClockSkew,
  // made with ClockSkewError(server_now_ms, ...).
  static Status CheckSkew(const Hlc& device_reading, std::int64_t server_now_ms,
                          std::int64_t max_drift_ms = kMaxClockDrift);

 private:
  PhysicalClock* const source_;
  mutable std::mutex mutex_;
  Hlc last_issued_;         // guarded by mutex_
  Hlc last_observed_;       // guarded by mutex_; in memory only
  std::int64_t offset_ms_;  // guarded by mutex_
};

// A kClockSkew status whose message ends with "server_time_ms=<server_time_ms>", after `detail`
// if any. The protocol layer uses it to rebuild the error from a server response.
Status ClockSkewError(std::int64_t server_time_ms, std::string_view detail = {});

// The server time carried by a kClockSkew status; nullopt for any other status or a message
// without a well-formed "server_time_ms=<integer>".
std::optional<std::int64_t> ServerTimeFromSkewError(const Status& status);

}  // namespace outreach::model
