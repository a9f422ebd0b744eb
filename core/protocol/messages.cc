#include "core/protocol/messages.h"

#include <charconv>

namespace outreach::protocol {

std::string VersionString(ProtocolVersion version) {
  return std::to_string(version.major) + "." + std::to_string(version.minor);
}

Result<ProtocolVersion> ParseVersionString(std::string_view text) {
  const auto dot = text.find('.');
  unsigned major = 0, minor = 0;
  const auto parse = [](std::string_view part, unsigned& out) {
    const auto [end, error] = std::from_chars(part.data(), part.data() + part.size(), out);
    return error == std::errc() && end == part.data() + part.size() && !part.empty() && out <= 255;
  };
  if (dot == std::string_view::npos || !parse(text.substr(0, dot), major) ||
      !parse(text.substr(dot + 1), minor)) {
    return InvalidArgumentError("protocol version must be <major>.<minor>");
  }
  return ProtocolVersion{static_cast<std::uint8_t>(major), static_cast<std::uint8_t>(minor)};
}

Result<Outcome> ParseOutcome(std::string_view name) {
  for (Outcome outcome : {Outcome::kApplied, Outcome::kMerged, Outcome::kConflict,
                          Outcome::kDuplicate, Outcome::kRejected}) {
    if (OutcomeName(outcome) == name) return outcome;
  }
  return InvalidArgumentError("unknown change outcome");
}

}  // namespace outreach::protocol
