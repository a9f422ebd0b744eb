// Secrets the server hands out — one-time enrolment codes and device tokens — and the hashes
// it keeps of them instead. A stolen server database holds no usable credential.
#pragma once

#include <string>
#include <string_view>

namespace outreach::server {

// "7KQ2-M9XD-4RTB": 60 random bits in Crockford base32 (no I, L, O, U), easy to read aloud.
std::string NewEnrolmentCode();
// What a person typed, as the code was issued: upper case, without spaces and dashes, with the
// look-alikes O -> 0 and I/L -> 1 mapped.
std::string NormaliseEnrolmentCode(std::string_view typed);

// "ost_" + 256 random bits in base64url.
std::string NewDeviceToken();

// BLAKE2b-256 of `secret`, hex. Codes and tokens carry enough entropy that a fast hash is
// safe (no dictionary to try).
std::string HashSecret(std::string_view secret);

}  // namespace outreach::server
