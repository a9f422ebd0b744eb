// Test sizes scaled by OUTREACH_TEST_SCALE (default 1): CI's sanitizer pass, ~10x slower, runs
// the heaviest end-to-end tests at a fraction of their size so the whole CI stays under its
// time budget; the plain pass runs them at full size.
#pragma once

#include <algorithm>
#include <cstdlib>

namespace outreach::testing {

inline int Scaled(int full, int minimum) {
  const char* text = std::getenv("OUTREACH_TEST_SCALE");
  const double scale = text != nullptr ? std::atof(text) : 1.0;
  if (scale <= 0 || scale >= 1) return full;
  return std::max(minimum, static_cast<int>(full * scale));
}

}  // namespace outreach::testing
