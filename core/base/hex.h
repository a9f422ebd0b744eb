// Lowercase hex text of bytes: how the server writes the hashes it keeps and compares (device
// tokens, enrolment codes, the schema set). Not for key material: the text is an ordinary
// std::string, never wiped.
#pragma once

#include <cstdint>
#include <span>
#include <string>

namespace outreach {

// Two lowercase hex digits per byte, in order. Any thread.
std::string ToHex(std::span<const std::uint8_t> bytes);

}  // namespace outreach
