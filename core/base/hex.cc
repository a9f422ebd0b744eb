#include "core/base/hex.h"

#include <sodium.h>

namespace outreach {

std::string ToHex(std::span<const std::uint8_t> bytes) {
  // sodium_bin2hex writes a terminating NUL, then the string drops it. Constant time, which
  // costs nothing here and suits hashes of secrets.
  std::string hex(bytes.size() * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), bytes.data(), bytes.size());
  hex.resize(bytes.size() * 2);
  return hex;
}

}  // namespace outreach
