#include "core/base/secure_bytes.h"

#include <sodium.h>

#include <cstdlib>
#include <cstring>
#include <utility>

namespace outreach {

bool EnsureSodium() {
  // sodium_init is itself idempotent and thread-safe; 0 = initialised now, 1 = already.
  static const bool initialised = sodium_init() >= 0;
  return initialised;
}

SecureBytes::SecureBytes(std::size_t size) : size_(size) {
  if (size == 0) return;
  if (!EnsureSodium()) std::abort();
  data_ = static_cast<std::uint8_t*>(sodium_malloc(size));
  if (data_ == nullptr) std::abort();  // see the header: no key material in unguarded memory
  sodium_memzero(data_, size);
}

SecureBytes SecureBytes::CopyOf(std::span<const std::uint8_t> bytes) {
  SecureBytes copy(bytes.size());
  if (!bytes.empty()) std::memcpy(copy.data_, bytes.data(), bytes.size());
  return copy;
}

SecureBytes SecureBytes::CopyOf(std::string_view text) {
  return CopyOf(std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(text.data()),
                                              text.size()));
}

SecureBytes SecureBytes::Random(std::size_t size) {
  SecureBytes bytes(size);
  if (size != 0) randombytes_buf(bytes.data_, size);
  return bytes;
}

SecureBytes::~SecureBytes() { Release(); }

SecureBytes::SecureBytes(SecureBytes&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}

SecureBytes& SecureBytes::operator=(SecureBytes&& other) noexcept {
  if (this != &other) {
    Release();
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

void SecureBytes::Release() {
  // sodium_free zeroes the buffer before unmapping it.
  if (data_ != nullptr) sodium_free(data_);
  data_ = nullptr;
  size_ = 0;
}

}  // namespace outreach
