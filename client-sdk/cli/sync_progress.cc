#include "client-sdk/cli/sync_progress.h"

#include <algorithm>
#include <cstdio>
#include <string>

namespace outreach::cli {
namespace {

constexpr int kBarWidth = 30;

const char* PhaseName(SyncPhase phase) {
  switch (phase) {
    case SyncPhase::kPush:
      return "sending";
    case SyncPhase::kPull:
      return "receiving";
    case SyncPhase::kDone:
      return "done";
  }
  return "";
}

}  // namespace

void SyncProgressPrinter::Show(const SyncProgress& progress) {
  const long long done = progress.changes_done;
  const long long total = progress.changes_total;
  const double kib = static_cast<double>(progress.bytes_done) / 1024.0;
  if (!terminal_) {
    // "2/5 changes" while the total is known, "2 changes" while pulling (no total).
    const std::string of_total = total > 0 ? "/" + std::to_string(total) : "";
    std::fprintf(stderr, "sync: %s %lld%s changes, %.1f KiB\n", PhaseName(progress.phase), done,
                 of_total.c_str(), kib);
    std::fflush(stderr);
    return;
  }
  // Pulling has no known total: the bar then shows a full sweep only when done.
  const bool finished = progress.phase == SyncPhase::kDone;
  int filled = finished ? kBarWidth : 0;
  if (!finished && total > 0) filled = static_cast<int>(kBarWidth * std::min(done, total) / total);
  const std::string bar = std::string(filled, '#') + std::string(kBarWidth - filled, '-');
  std::fprintf(stderr, "\r[%s] %-9s %6lld changes %9.1f KiB", bar.c_str(),
               PhaseName(progress.phase), done, kib);
  bar_open_ = !finished;
  if (finished) std::fputc('\n', stderr);
  std::fflush(stderr);
}

void SyncProgressPrinter::EndLine() {
  if (!bar_open_) return;
  std::fputc('\n', stderr);
  bar_open_ = false;
}

}  // namespace outreach::cli
