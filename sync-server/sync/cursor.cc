#include "sync-server/sync/cursor.h"

#include <charconv>

namespace outreach::server {

constexpr std::string_view kPrefix = "c1.";

std::string MakeCursor(std::string_view team_id, std::int64_t sequence) {
  return std::string(kPrefix) + std::string(team_id) + "." + std::to_string(sequence);
}

std::optional<std::int64_t> CursorSequence(std::string_view cursor, std::string_view team_id) {
  if (cursor.empty()) return 0;
  const auto dot = cursor.rfind('.');
  if (cursor.substr(0, kPrefix.size()) != kPrefix || dot == std::string_view::npos ||
      dot < kPrefix.size()) {
    return std::nullopt;
  }
  const std::string_view number = cursor.substr(dot + 1);
  std::int64_t sequence = 0;
  const auto [end, error] = std::from_chars(number.data(), number.data() + number.size(), sequence);
  if (error != std::errc() || end != number.data() + number.size() || sequence < 0) {
    return std::nullopt;
  }
  if (cursor.substr(kPrefix.size(), dot - kPrefix.size()) != team_id) return 0;
  return sequence;
}

}  // namespace outreach::server
