// Hlc: a hybrid logical clock reading (physical milliseconds + a counter). With the id of the
// device that made it, it orders every write in outreach-sync (Version). Causally related
// writes are ordered correctly even when a tablet's wall clock is wrong (DESIGN.md section 3).
#pragma once

#include <compare>
#include <cstdint>
#include <string>

namespace outreach::model {

// The largest physical_ms of a valid reading: 2^48 - 1 ms (the year 10889), the range of a
// UUIDv7 timestamp. Anything larger, or negative, is bogus (a damaged store, a hostile peer).
inline constexpr std::int64_t kMaxHlcPhysicalMs = (std::int64_t{1} << 48) - 1;

struct Hlc {
  std::int64_t physical_ms = 0;  // Unix epoch milliseconds, as adjusted by the HybridClock
  std::uint32_t counter = 0;     // orders readings within one millisecond

  auto operator<=>(const Hlc&) const = default;
  bool operator==(const Hlc&) const = default;
  bool IsZero() const { return physical_ms == 0 && counter == 0; }
  // physical_ms within [0, kMaxHlcPhysicalMs]. Check readings that come from outside (a store,
  // the network) before handing them to a HybridClock.
  bool IsValid() const { return physical_ms >= 0 && physical_ms <= kMaxHlcPhysicalMs; }
};

// A version: who wrote, when. Totally ordered: by HLC, then device id. Unique per write because
// a device's clock never repeats a reading.
struct Version {
  Hlc hlc;
  std::string device_id;

  auto operator<=>(const Version&) const = default;
  bool operator==(const Version&) const = default;
};

}  // namespace outreach::model
