// KeySource: what unlocks an encrypted database. Either a worker's passcode, stretched with
// Argon2id, or a raw 256-bit key handed over by the platform keystore (Android Keystore, iOS
// Keychain). Either way it only wraps the database's random data key; it never encrypts pages.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "core/base/secure_bytes.h"
#include "core/base/status.h"

namespace outreach::storage {

inline constexpr std::size_t kRawKeySize = 32;

// Argon2id cost. The default is above OWASP's minimum (m = 19 MiB, t = 2): libsodium's
// "interactive" memory (64 MiB) with t = 3, about a tenth of a second on a tablet-class core.
struct KdfParams {
  std::uint32_t opslimit = 3;
  std::uint64_t memlimit_bytes = 64ull << 20;

  static KdfParams Default() { return KdfParams{}; }
  // libsodium's minimum: only for tests, where thousands of opens would otherwise take minutes.
  static KdfParams FastForTests() { return KdfParams{1, 8192}; }
};

class KeySource {
 public:
  enum class Kind : std::uint8_t { kPasscode = 1, kRawKey = 2 };

  // Copies the passcode into guarded memory. An empty passcode is rejected by every operation.
  static KeySource Passcode(std::string_view passcode);
  // Copies the key into guarded memory; it must be exactly kRawKeySize bytes.
  static KeySource RawKey(std::span<const std::uint8_t> key);

  Kind kind() const { return kind_; }
  const SecureBytes& secret() const { return secret_; }

  // invalid_argument if the passcode is empty or the raw key has the wrong size.
  Status Validate() const;

 private:
  KeySource(Kind kind, SecureBytes secret) : kind_(kind), secret_(std::move(secret)) {}

  Kind kind_;
  SecureBytes secret_;
};

}  // namespace outreach::storage
