#include "sync-server/auth/credentials.h"

#include <array>
#include <cctype>
#include <cstdint>

#include <sodium.h>

#include "core/base/hex.h"

namespace outreach::server {
namespace {

constexpr std::string_view kCrockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

}  // namespace

std::string NewEnrolmentCode() {
  std::array<std::uint8_t, 12> random{};
  randombytes_buf(random.data(), random.size());
  std::string code;
  for (std::size_t i = 0; i < random.size(); ++i) {
    if (i > 0 && i % 4 == 0) code.push_back('-');
    code.push_back(kCrockford[random[i] % 32]);  // 256 is a multiple of 32: no bias
  }
  return code;
}

std::string NormaliseEnrolmentCode(std::string_view typed) {
  std::string code;
  for (char c : typed) {
    if (c == '-' || std::isspace(static_cast<unsigned char>(c))) continue;
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (c == 'O') c = '0';
    if (c == 'I' || c == 'L') c = '1';
    code.push_back(c);
  }
  // Grouped again as issued, so the hash matches.
  std::string grouped;
  for (std::size_t i = 0; i < code.size(); ++i) {
    if (i > 0 && i % 4 == 0) grouped.push_back('-');
    grouped.push_back(code[i]);
  }
  return grouped;
}

std::string NewDeviceToken() {
  std::array<std::uint8_t, 32> random{};
  randombytes_buf(random.data(), random.size());
  std::string encoded(sodium_base64_ENCODED_LEN(random.size(),
                                                sodium_base64_VARIANT_URLSAFE_NO_PADDING),
                      '\0');
  sodium_bin2base64(encoded.data(), encoded.size(), random.data(), random.size(),
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  encoded.resize(encoded.size() - 1);  // the terminating NUL
  return "ost_" + encoded;
}

std::string HashSecret(std::string_view secret) {
  std::array<std::uint8_t, 32> hash{};
  crypto_generichash(hash.data(), hash.size(), reinterpret_cast<const unsigned char*>(secret.data()),
                     secret.size(), nullptr, 0);
  return ToHex(hash);
}

}  // namespace outreach::server
