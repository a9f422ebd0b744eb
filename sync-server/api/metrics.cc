#include "sync-server/api/metrics.h"

#include <sstream>

#include "sync-server/store/server_store.h"

namespace outreach::server {

std::string Metrics::RouteOf(const std::string& path) {
  const std::string route = path.substr(0, path.find('?'));
  for (const char* known : {"/v1/sync", "/v1/enrol", "/v1/schemas", "/healthz", "/metrics"}) {
    if (route == known) return route;
  }
  return "other";
}

void Metrics::ObserveRequest(const std::string& /*method*/, const std::string& path, int status,
                             double seconds) {
  const std::string route = RouteOf(path);
  std::lock_guard lock(mutex_);
  Histogram& histogram = requests_[{route, status}];
  for (std::size_t i = 0; i < kBuckets.size(); ++i) {
    if (seconds <= kBuckets[i]) {
      ++histogram.buckets[i];
      break;
    }
  }
  ++histogram.count;
  histogram.sum += seconds;
}

void Metrics::AddChangesApplied(int count) {
  std::lock_guard lock(mutex_);
  changes_applied_ += static_cast<std::uint64_t>(count);
}

void Metrics::AddConflictsOpened(int count) {
  std::lock_guard lock(mutex_);
  conflicts_opened_ += static_cast<std::uint64_t>(count);
}

void Metrics::DeviceSeen(const std::string& device_id) {
  std::lock_guard lock(mutex_);
  devices_seen_.insert(device_id);
}

std::string Metrics::Render(const StoreStats& store) const {
  std::lock_guard lock(mutex_);
  std::ostringstream out;
  out << "# HELP outreach_http_requests_total HTTP requests answered, by route and status.\n"
         "# TYPE outreach_http_requests_total counter\n";
  for (const auto& [key, histogram] : requests_) {
    out << "outreach_http_requests_total{route=\"" << key.first << "\",status=\"" << key.second
        << "\"} " << histogram.count << "\n";
  }
  out << "# HELP outreach_http_request_duration_seconds Time to answer, by route and status.\n"
         "# TYPE outreach_http_request_duration_seconds histogram\n";
  for (const auto& [key, histogram] : requests_) {
    const std::string labels =
        "route=\"" + key.first + "\",status=\"" + std::to_string(key.second) + "\"";
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < kBuckets.size(); ++i) {
      cumulative += histogram.buckets[i];
      out << "outreach_http_request_duration_seconds_bucket{" << labels << ",le=\""
          << kBuckets[i] << "\"} " << cumulative << "\n";
    }
    out << "outreach_http_request_duration_seconds_bucket{" << labels << ",le=\"+Inf\"} "
        << histogram.count << "\n"
        << "outreach_http_request_duration_seconds_sum{" << labels << "} " << histogram.sum
        << "\n"
        << "outreach_http_request_duration_seconds_count{" << labels << "} " << histogram.count
        << "\n";
  }
  out << "# HELP outreach_changes_applied_total Pushed changes applied (incl. merged, conflict).\n"
         "# TYPE outreach_changes_applied_total counter\n"
      << "outreach_changes_applied_total " << changes_applied_ << "\n"
      << "# HELP outreach_conflicts_opened_total Pushed changes that opened or joined a conflict.\n"
         "# TYPE outreach_conflicts_opened_total counter\n"
      << "outreach_conflicts_opened_total " << conflicts_opened_ << "\n"
      << "# HELP outreach_devices_seen Distinct devices that synced since the server started.\n"
         "# TYPE outreach_devices_seen gauge\n"
      << "outreach_devices_seen " << devices_seen_.size() << "\n"
      << "# HELP outreach_devices_enrolled Enrolled devices not revoked.\n"
         "# TYPE outreach_devices_enrolled gauge\n"
      << "outreach_devices_enrolled " << store.devices << "\n"
      << "# HELP outreach_store_records Records in the store.\n"
         "# TYPE outreach_store_records gauge\n"
      << "outreach_store_records " << store.records << "\n"
      << "# HELP outreach_store_bytes Size of the store's files on disk.\n"
         "# TYPE outreach_store_bytes gauge\n"
      << "outreach_store_bytes " << store.bytes << "\n";
  return out.str();
}

}  // namespace outreach::server
