#include "core/storage/internal/page_cipher.h"

#include <sodium.h>

#include <cstring>

namespace outreach::storage::detail {
namespace {
constexpr int kAssociatedSize = kDatabaseIdSize + 4;
static_assert(kNonceSize == crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
static_assert(kTagSize == crypto_aead_xchacha20poly1305_ietf_ABYTES);
}  // namespace

void PageCipher::AssociatedData(std::uint32_t page_number, std::uint8_t* out) const {
  std::memcpy(out, database_id_.data(), kDatabaseIdSize);
  for (int i = 0; i < 4; ++i) out[kDatabaseIdSize + i] = static_cast<std::uint8_t>(page_number >> (8 * i));
}

void PageCipher::Seal(std::uint32_t page_number, const std::uint8_t* plain,
                      std::uint8_t* sealed) const {
  std::uint8_t associated[kAssociatedSize];
  AssociatedData(page_number, associated);
  std::uint8_t* nonce = sealed + kSealedSize;
  std::uint8_t* tag = nonce + kNonceSize;
  // A fresh random 192-bit nonce per write: safe however often a page is rewritten.
  randombytes_buf(nonce, kNonceSize);
  crypto_aead_xchacha20poly1305_ietf_encrypt_detached(sealed, tag, nullptr, plain, kSealedSize,
                                                      associated, kAssociatedSize, nullptr, nonce,
                                                      key_.data());
}

bool PageCipher::OpenInPlace(std::uint32_t page_number, std::uint8_t* page) const {
  std::uint8_t associated[kAssociatedSize];
  AssociatedData(page_number, associated);
  std::uint8_t nonce[kNonceSize];
  std::uint8_t tag[kTagSize];
  std::memcpy(nonce, page + kSealedSize, kNonceSize);
  std::memcpy(tag, page + kSealedSize + kNonceSize, kTagSize);
  const int rc = crypto_aead_xchacha20poly1305_ietf_decrypt_detached(
      page, nullptr, page, kSealedSize, tag, associated, kAssociatedSize, nonce, key_.data());
  // Reserved bytes read back as zeros: SQLite computed its WAL checksums with them zero.
  std::memset(page + kSealedSize, 0, kReserveBytes);
  if (rc != 0) {
    std::memset(page, 0, kPageSize);  // never hand out unauthenticated bytes
    return false;
  }
  return true;
}

}  // namespace outreach::storage::detail
