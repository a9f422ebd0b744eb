#include "core/storage/key_source.h"

namespace outreach::storage {

KeySource KeySource::Passcode(std::string_view passcode) {
  return KeySource(Kind::kPasscode, SecureBytes::CopyOf(passcode));
}

KeySource KeySource::RawKey(std::span<const std::uint8_t> key) {
  return KeySource(Kind::kRawKey, SecureBytes::CopyOf(key));
}

Status KeySource::Validate() const {
  if (kind_ == Kind::kPasscode && secret_.empty()) {
    return InvalidArgumentError("the passcode is empty");
  }
  if (kind_ == Kind::kRawKey && secret_.size() != kRawKeySize) {
    return InvalidArgumentError("a raw key must be 32 bytes, got " +
                                std::to_string(secret_.size()));
  }
  return Status::Ok();
}

}  // namespace outreach::storage
