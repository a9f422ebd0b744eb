#include "core/model/version_vector.h"

namespace outreach::model {

bool VersionVector::Covers(const Version& version) const {
  const auto found = entries_.find(version.device_id);
  return found != entries_.end() && version.hlc <= found->second;
}

bool VersionVector::CoversAll(const VersionVector& other) const {
  for (const auto& [device, hlc] : other.entries_) {
    if (!Covers(Version{hlc, device})) return false;
  }
  return true;
}

void VersionVector::Add(const Version& version) {
  // try_emplace allocates a node only for a device not seen before (emplace always would).
  auto [it, inserted] = entries_.try_emplace(version.device_id, version.hlc);
  if (!inserted && it->second < version.hlc) it->second = version.hlc;
}

void VersionVector::Merge(const VersionVector& other) {
  for (const auto& [device, hlc] : other.entries_) {
    auto [it, inserted] = entries_.try_emplace(device, hlc);
    if (!inserted && it->second < hlc) it->second = hlc;
  }
}

}  // namespace outreach::model
