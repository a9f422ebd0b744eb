// Structured log lines: one JSON object per line on stderr, with a timestamp and an event name.
// Callers pass ids, counts and codes only — never record values, tokens or codes.
#pragma once

#include <string_view>

#include <nlohmann/json.hpp>

namespace outreach::server {

void LogEvent(std::string_view event, nlohmann::json fields = nlohmann::json::object());

}  // namespace outreach::server
