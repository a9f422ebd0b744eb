// Metrics: the server's counters and latency histograms, rendered in Prometheus' text format
// for GET /metrics. Labels are route templates and status codes, never ids or values.
// Thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <utility>

namespace outreach::server {

struct StoreStats;

class Metrics {
 public:
  // One finished HTTP exchange. `path` is reduced to a known route or "other".
  void ObserveRequest(const std::string& method, const std::string& path, int status,
                      double seconds);
  void AddChangesApplied(int count);
  void AddConflictsOpened(int count);
  void DeviceSeen(const std::string& device_id);

  // The text of GET /metrics; `store` adds the store's gauges.
  std::string Render(const StoreStats& store) const;

  static std::string RouteOf(const std::string& path);

 private:
  static constexpr std::array<double, 12> kBuckets = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                      0.1,   0.25,   0.5,   1.0,  2.5,   5.0};
  struct Histogram {
    std::array<std::uint64_t, kBuckets.size()> buckets{};  // cumulative on rendering
    std::uint64_t count = 0;
    double sum = 0;
  };

  mutable std::mutex mutex_;
  std::map<std::pair<std::string, int>, Histogram> requests_;  // (route, status)
  std::uint64_t changes_applied_ = 0;
  std::uint64_t conflicts_opened_ = 0;
  std::set<std::string> devices_seen_;
};

}  // namespace outreach::server
