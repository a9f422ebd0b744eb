// SecureBytes: a fixed-size buffer for key material in libsodium's guarded memory
// (sodium_malloc: guard pages, mlock'd where allowed, zeroed on free). Keys, derived keys and
// passcode copies live only here, never in std::string or the stack longer than a call.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace outreach {

class SecureBytes {
 public:
  SecureBytes() = default;
  // Allocates `size` zeroed bytes. Aborts the process if guarded memory cannot be had: running
  // on with keys in ordinary memory is not an option.
  explicit SecureBytes(std::size_t size);
  static SecureBytes CopyOf(std::span<const std::uint8_t> bytes);
  static SecureBytes CopyOf(std::string_view text);
  // `size` bytes from libsodium's CSPRNG.
  static SecureBytes Random(std::size_t size);

  ~SecureBytes();
  SecureBytes(SecureBytes&& other) noexcept;
  SecureBytes& operator=(SecureBytes&& other) noexcept;
  SecureBytes(const SecureBytes&) = delete;
  SecureBytes& operator=(const SecureBytes&) = delete;

  std::uint8_t* data() { return data_; }
  const std::uint8_t* data() const { return data_; }
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  std::span<const std::uint8_t> span() const { return {data_, size_}; }

 private:
  void Release();

  std::uint8_t* data_ = nullptr;
  std::size_t size_ = 0;
};

// Initialises libsodium once; false if it cannot (no entropy source). Thread-safe.
[[nodiscard]] bool EnsureSodium();

}  // namespace outreach
