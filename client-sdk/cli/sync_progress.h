// What `outreach sync` shows while it runs, on stderr: a redrawn bar on a terminal, one plain
// line per step otherwise (a log file or a pipe gets no carriage returns).
#pragma once

#include "client-sdk/client.h"

namespace outreach::cli {

class SyncProgressPrinter {
 public:
  explicit SyncProgressPrinter(bool terminal) : terminal_(terminal) {}
  void Show(const SyncProgress& progress);
  // Ends a bar left half-drawn by a sync that failed, so the error starts on its own line.
  void EndLine();

 private:
  bool terminal_;
  bool bar_open_ = false;
};

}  // namespace outreach::cli
