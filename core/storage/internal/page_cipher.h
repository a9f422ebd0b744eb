// PageCipher: seals and opens one 4 KiB SQLite page with XChaCha20-Poly1305. The last 40 bytes
// of every page are SQLite's reserved area: they hold the 24-byte random nonce and the 16-byte
// tag on disk and read back as zeros (SQLite checksums WAL frames with them zero). The associated
// data is the database id and the page number, so a page moved to another place, or copied from
// another database, fails to open. Layout: core/storage/FORMAT.md.
#pragma once

#include <cstdint>

#include "core/base/secure_bytes.h"
#include "core/storage/key_file.h"

namespace outreach::storage::detail {

inline constexpr int kPageSize = 4096;
inline constexpr int kNonceSize = 24;
inline constexpr int kTagSize = 16;
inline constexpr int kReserveBytes = kNonceSize + kTagSize;  // 40
inline constexpr int kSealedSize = kPageSize - kReserveBytes;

class PageCipher {
 public:
  PageCipher(SecureBytes data_key, const DatabaseId& database_id)
      : key_(std::move(data_key)), database_id_(database_id) {}

  // Seals `plain` (kPageSize bytes; its reserved area is ignored) into `sealed` with a fresh
  // random nonce. `plain` and `sealed` must not overlap.
  void Seal(std::uint32_t page_number, const std::uint8_t* plain, std::uint8_t* sealed) const;

  // Opens `page` in place: on success it holds the plaintext with a zeroed reserved area; on
  // failure (wrong key, tampered, moved) it is zeroed and false is returned.
  [[nodiscard]] bool OpenInPlace(std::uint32_t page_number, std::uint8_t* page) const;

  // Opens `sealed` (read-only, e.g. a memory-mapped file) into `out`, as OpenInPlace does.
  [[nodiscard]] bool Open(std::uint32_t page_number, const std::uint8_t* sealed,
                          std::uint8_t* out) const;

 private:
  void AssociatedData(std::uint32_t page_number, std::uint8_t* out) const;

  SecureBytes key_;
  DatabaseId database_id_;
};

}  // namespace outreach::storage::detail
