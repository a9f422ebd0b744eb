// The key file beside each encrypted database ("<db>.key", 160 bytes, format in FORMAT.md):
// the database's random 256-bit data key, sealed under a key derived from the KeySource, plus
// the database id that every page's authentication binds to.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "core/base/secure_bytes.h"
#include "core/base/status.h"
#include "core/storage/key_source.h"

namespace outreach::storage {

inline constexpr std::size_t kDataKeySize = 32;
inline constexpr std::size_t kDatabaseIdSize = 16;
using DatabaseId = std::array<std::uint8_t, kDatabaseIdSize>;

// What an unlocked key file yields.
struct UnlockedKey {
  SecureBytes data_key;  // kDataKeySize bytes
  DatabaseId database_id{};
};

// Makes a fresh data key and database id and writes a new key file at `path`.
// already_exists if a file is there; invalid_argument for a bad source or parameters.
Result<UnlockedKey> CreateKeyFile(const std::string& path, const KeySource& source,
                                  const KdfParams& params);

// Opens the key file. not_found: no file; corrupt: truncated, overlong or checksum mismatch
// (names the file); invalid_argument: not an outreach key file, or unlocked by the other kind of
// source; wrong_key: the source does not unwrap it. Never writes anything.
Result<UnlockedKey> UnlockKeyFile(const std::string& path, const KeySource& source);

// Re-seals the same data key under `new_source` (fresh salt), replacing the file atomically.
// The database itself is not touched. wrong_key if `old_source` does not unlock it.
Status RewrapKeyFile(const std::string& path, const KeySource& old_source,
                     const KeySource& new_source, const KdfParams& new_params);

}  // namespace outreach::storage
