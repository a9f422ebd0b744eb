#include "core/model/physical_clock.h"

#include <chrono>

namespace outreach::model {

PhysicalClock::~PhysicalClock() = default;

std::int64_t SystemClock::NowMs() {
  // system_clock measures Unix time (C++20 guarantees its epoch); truncate to whole ms.
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace outreach::model
