// PhysicalClock: the seam through which outreach-sync reads wall-clock time. The core never calls
// std::chrono directly, so tests and simulations can make a tablet's clock jump, drift or stop
// (STYLE.md section 5, like leveldb's Env).
#pragma once

#include <atomic>
#include <cstdint>

namespace outreach::model {

// A source of Unix epoch milliseconds. Readings may jump backwards or forwards at any time (the
// user or the network changed the device's clock); HybridClock makes them safe to order by.
class PhysicalClock {
 public:
  PhysicalClock() = default;
  PhysicalClock(const PhysicalClock&) = delete;
  PhysicalClock& operator=(const PhysicalClock&) = delete;
  virtual ~PhysicalClock();

  // The current time in milliseconds since the Unix epoch. Implementations must be safe to call
  // from any thread.
  virtual std::int64_t NowMs() = 0;
};

// The device's real clock (std::chrono::system_clock). Thread-safe.
class SystemClock final : public PhysicalClock {
 public:
  std::int64_t NowMs() override;
};

// A clock that only moves when told to, for tests and deterministic simulations. Thread-safe: the
// time is an atomic, so one thread may move it while others read it.
class ManualClock final : public PhysicalClock {
 public:
  explicit ManualClock(std::int64_t now_ms = 0) : now_ms_(now_ms) {}

  std::int64_t NowMs() override { return now_ms_.load(std::memory_order_relaxed); }

  // Sets the time; it may go backwards, as a real wall clock can.
  void Set(std::int64_t now_ms) { now_ms_.store(now_ms, std::memory_order_relaxed); }
  // Moves the time by `delta_ms` (negative moves it back).
  void Advance(std::int64_t delta_ms) { now_ms_.fetch_add(delta_ms, std::memory_order_relaxed); }

 private:
  std::atomic<std::int64_t> now_ms_;
};

}  // namespace outreach::model
