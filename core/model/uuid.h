// UUIDs in canonical text form (RFC 9562: lowercase hex, 8-4-4-4-12). Records get UUIDv7 ids
// made on the device (DESIGN.md section 3): unique without asking the server, and sorting by
// creation time, which keeps B-tree inserts local.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace outreach::model {

// A new UUIDv7 for `unix_ms` (clamped to the 48-bit timestamp range [0, 2^48 - 1]): 48-bit
// timestamp, version 7, variant 10, then 74 bits of which the first 42 are a counter seeded from
// libsodium's CSPRNG at each new millisecond (RFC 9562 section 6.2, method 1) and the last 32
// are random. So ids made one after another in this process for the same `unix_ms` sort in the
// order they were made (the timestamp only moves to `unix_ms` + 1 after 2^41 of them, i.e.
// never), and ids for a later `unix_ms` sort after them. Thread-safe (one generator per process).
// Aborts if libsodium cannot be initialised: ids without randomness would collide across
// devices.
std::string NewUuidV7(std::int64_t unix_ms);

// True for a UUID of any version in canonical form: 36 characters, dashes at 8, 13, 18 and 23,
// lowercase hex digits elsewhere.
bool IsUuid(std::string_view text);

// The Unix ms timestamp of a canonical UUIDv7 (version 7, variant 10); nullopt for anything else.
std::optional<std::int64_t> UuidV7Timestamp(std::string_view text);

}  // namespace outreach::model
