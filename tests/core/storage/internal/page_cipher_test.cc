// PageCipher: the on-disk bytes are libsodium's XChaCha20-Poly1305, and a page only opens at
// its own place in its own database.
#include "core/storage/internal/page_cipher.h"

#include <gtest/gtest.h>
#include <sodium.h>

#include <cstring>
#include <vector>

namespace outreach::storage::detail {
namespace {

DatabaseId IdOf(std::uint8_t fill) {
  DatabaseId id;
  id.fill(fill);
  return id;
}

std::vector<std::uint8_t> SamplePage() {
  std::vector<std::uint8_t> page(kPageSize);
  for (int i = 0; i < kSealedSize; ++i) page[i] = static_cast<std::uint8_t>(i * 7);
  return page;  // reserved area zero, as SQLite hands it over
}

std::vector<std::uint8_t> AssociatedData(const DatabaseId& id, std::uint32_t page_number) {
  std::vector<std::uint8_t> associated(id.begin(), id.end());
  for (int i = 0; i < 4; ++i) associated.push_back(static_cast<std::uint8_t>(page_number >> (8 * i)));
  return associated;
}

TEST(PageCipherTest, SealedPageIsLibsodiumXChaCha20Poly1305) {
  ASSERT_TRUE(EnsureSodium());
  SecureBytes key = SecureBytes::Random(kDataKeySize);
  std::vector<std::uint8_t> key_copy(key.data(), key.data() + key.size());
  PageCipher cipher(std::move(key), IdOf(3));
  const auto plain = SamplePage();
  std::vector<std::uint8_t> sealed(kPageSize);
  cipher.Seal(9, plain.data(), sealed.data());

  const auto associated = AssociatedData(IdOf(3), 9);
  std::vector<std::uint8_t> opened(kSealedSize);
  ASSERT_EQ(crypto_aead_xchacha20poly1305_ietf_decrypt_detached(
                opened.data(), nullptr, sealed.data(), kSealedSize,
                sealed.data() + kSealedSize + kNonceSize, associated.data(), associated.size(),
                sealed.data() + kSealedSize, key_copy.data()),
            0);
  EXPECT_EQ(0, std::memcmp(opened.data(), plain.data(), kSealedSize));

  // And the other way: a page sealed by libsodium opens here.
  std::vector<std::uint8_t> by_sodium(kPageSize);
  randombytes_buf(by_sodium.data() + kSealedSize, kNonceSize);
  crypto_aead_xchacha20poly1305_ietf_encrypt_detached(
      by_sodium.data(), by_sodium.data() + kSealedSize + kNonceSize, nullptr, plain.data(),
      kSealedSize, associated.data(), associated.size(), nullptr, by_sodium.data() + kSealedSize,
      key_copy.data());
  ASSERT_TRUE(cipher.OpenInPlace(9, by_sodium.data()));
  EXPECT_EQ(by_sodium, plain);
}

TEST(PageCipherTest, PageOpensOnlyAtItsPlaceInItsDatabase) {
  SecureBytes key = SecureBytes::Random(kDataKeySize);
  SecureBytes same_key = SecureBytes::CopyOf(key.span());
  PageCipher cipher(std::move(key), IdOf(1));
  PageCipher other_database(std::move(same_key), IdOf(2));
  const auto plain = SamplePage();
  std::vector<std::uint8_t> sealed(kPageSize);
  cipher.Seal(5, plain.data(), sealed.data());

  auto moved = sealed;
  EXPECT_FALSE(cipher.OpenInPlace(6, moved.data()));
  EXPECT_EQ(moved, std::vector<std::uint8_t>(kPageSize, 0)) << "no unauthenticated bytes out";
  auto copied = sealed;
  EXPECT_FALSE(other_database.OpenInPlace(5, copied.data()));
  auto flipped = sealed;
  flipped[100] ^= 1;
  EXPECT_FALSE(cipher.OpenInPlace(5, flipped.data()));
  auto good = sealed;
  ASSERT_TRUE(cipher.OpenInPlace(5, good.data()));
  EXPECT_EQ(good, plain);
}

TEST(PageCipherTest, EveryWriteUsesAFreshNonce) {
  PageCipher cipher(SecureBytes::Random(kDataKeySize), IdOf(1));
  const auto plain = SamplePage();
  std::vector<std::uint8_t> first(kPageSize), second(kPageSize);
  cipher.Seal(2, plain.data(), first.data());
  cipher.Seal(2, plain.data(), second.data());
  EXPECT_NE(first, second);
}

}  // namespace
}  // namespace outreach::storage::detail
