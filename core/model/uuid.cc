#include "core/model/uuid.h"

#include <sodium.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <mutex>

#include "core/base/secure_bytes.h"

namespace outreach::model {
namespace {

constexpr std::int64_t kMaxTimestampMs = (std::int64_t{1} << 48) - 1;
// The counter fills rand_a (12 bits) and the top 30 bits of rand_b: 42 bits.
constexpr int kCounterBits = 42;
constexpr std::uint64_t kCounterMax = (std::uint64_t{1} << kCounterBits) - 1;
constexpr int kCounterLowBits = 30;  // the part of the counter that lives in rand_b
constexpr std::size_t kTextLength = 36;
constexpr char kHexDigits[] = "0123456789abcdef";

// The per-process generator: the millisecond of the last id and its counter.
struct Generator {
  std::mutex mutex;
  std::int64_t last_ms = -1;  // guarded by mutex
  std::uint64_t counter = 0;  // guarded by mutex
};

Generator& TheGenerator() {
  static Generator generator;
  return generator;
}

// A random start for a new millisecond, with the counter's top bit clear so that at least 2^41
// increments fit before rollover (RFC 9562 section 6.2, "Counter Rollover Guards").
std::uint64_t RandomCounterSeed() {
  std::uint64_t seed = 0;
  randombytes_buf(&seed, sizeof(seed));
  return seed & (kCounterMax >> 1);
}

bool IsDashPosition(std::size_t index) {
  return index == 8 || index == 13 || index == 18 || index == 23;
}

bool IsLowerHex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

int HexValue(char c) { return c <= '9' ? c - '0' : c - 'a' + 10; }

}  // namespace

std::string NewUuidV7(std::int64_t unix_ms) {
  // Ids without randomness would collide across devices; there is no safe fallback.
  if (!EnsureSodium()) std::abort();
  std::int64_t timestamp_ms = std::clamp(unix_ms, std::int64_t{0}, kMaxTimestampMs);
  std::uint64_t counter = 0;
  {
    Generator& generator = TheGenerator();
    std::lock_guard<std::mutex> lock(generator.mutex);
    if (timestamp_ms == generator.last_ms && generator.counter < kCounterMax) {
      counter = ++generator.counter;  // same ms: sort after the previous id
    } else {
      if (timestamp_ms == generator.last_ms) {
        // Rollover after 2^41 ids in one ms (never in practice): borrow the next ms, as RFC 9562
        // allows, so ids keep sorting in the order they were made.
        timestamp_ms = std::min(timestamp_ms + 1, kMaxTimestampMs);
      }
      generator.last_ms = timestamp_ms;
      generator.counter = RandomCounterSeed();
      counter = generator.counter;
    }
  }
  const std::uint64_t ms = static_cast<std::uint64_t>(timestamp_ms);
  const std::uint64_t rand_a = counter >> kCounterLowBits;  // 12 bits
  const std::uint64_t low = (std::uint64_t{0b10} << 62) |   // variant 10
                            ((counter & ((std::uint64_t{1} << kCounterLowBits) - 1)) << 32) |
                            randombytes_random();  // 32 random bits
  std::array<std::uint8_t, 16> bytes;
  for (int i = 0; i < 6; ++i) bytes[i] = static_cast<std::uint8_t>(ms >> (40 - 8 * i));
  bytes[6] = static_cast<std::uint8_t>(0x70 | (rand_a >> 8));  // version 7
  bytes[7] = static_cast<std::uint8_t>(rand_a);
  for (int i = 0; i < 8; ++i) bytes[8 + i] = static_cast<std::uint8_t>(low >> (56 - 8 * i));

  std::string text;
  text.reserve(kTextLength);
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) text += '-';
    text += kHexDigits[bytes[i] >> 4];
    text += kHexDigits[bytes[i] & 0x0f];
  }
  return text;
}

bool IsUuid(std::string_view text) {
  if (text.size() != kTextLength) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (IsDashPosition(i) ? text[i] != '-' : !IsLowerHex(text[i])) return false;
  }
  return true;
}

std::optional<std::int64_t> UuidV7Timestamp(std::string_view text) {
  if (!IsUuid(text)) return std::nullopt;
  // Version nibble leads the third group; variant 10 makes the fourth group start with 8-b.
  if (text[14] != '7') return std::nullopt;
  if (text[19] != '8' && text[19] != '9' && text[19] != 'a' && text[19] != 'b') return std::nullopt;
  std::int64_t timestamp_ms = 0;
  for (std::size_t i = 0; i < 13; ++i) {  // "xxxxxxxx-xxxx": the 48-bit timestamp
    if (i == 8) continue;
    timestamp_ms = (timestamp_ms << 4) | HexValue(text[i]);
  }
  return timestamp_ms;
}

}  // namespace outreach::model
