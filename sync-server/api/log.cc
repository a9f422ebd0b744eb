#include "sync-server/api/log.h"

#include <chrono>
#include <cstdio>
#include <mutex>

namespace outreach::server {

void LogEvent(std::string_view event, nlohmann::json fields) {
  static std::mutex mutex;
  const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  fields["ts_ms"] = now;
  fields["event"] = event;
  const std::string line = fields.dump() + "\n";
  std::lock_guard lock(mutex);
  std::fputs(line.c_str(), stderr);
}

}  // namespace outreach::server
