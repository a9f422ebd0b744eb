// Cursors: opaque to devices, "c1.<team id>.<sequence>" to the server. The team is part of it so
// a user moved to another team starts that team's pull from the beginning instead of
// continuing from a sequence number that skips the new team's older records.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace outreach::server {

std::string MakeCursor(std::string_view team_id, std::int64_t sequence);

// The sequence to pull after for `team_id`: 0 for an empty cursor or another team's;
// nullopt for text that is not a cursor.
std::optional<std::int64_t> CursorSequence(std::string_view cursor, std::string_view team_id);

}  // namespace outreach::server
