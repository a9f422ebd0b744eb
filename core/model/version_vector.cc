#include "core/model/version_vector.h"

#include <algorithm>

namespace outreach::model {
namespace {

auto LowerBound(auto& entries, const std::string& device) {
  return std::lower_bound(entries.begin(), entries.end(), device,
                          [](const VersionVector::Entry& entry, const std::string& d) {
                            return entry.first < d;
                          });
}

}  // namespace

bool VersionVector::Covers(const std::string& device, const Hlc& hlc) const {
  // A field is written by a handful of devices: a straight scan beats a binary search's
  // branches. A long vector (only a forged one is) is searched, so it costs no more than a map.
  constexpr std::size_t kScanned = 8;
  if (entries_.size() <= kScanned) {
    for (const Entry& entry : entries_) {
      if (entry.first == device) return hlc <= entry.second;
    }
    return false;
  }
  const auto found = LowerBound(entries_, device);
  return found != entries_.end() && found->first == device && hlc <= found->second;
}

bool VersionVector::CoversAll(const VersionVector& other) const {
  for (const auto& [device, hlc] : other.entries_) {
    if (!Covers(device, hlc)) return false;
  }
  return true;
}

Hlc* VersionVector::Find(const std::string& device) {
  const auto found = LowerBound(entries_, device);
  return found != entries_.end() && found->first == device ? &found->second : nullptr;
}

void VersionVector::Add(const Version& version) {
  const auto found = LowerBound(entries_, version.device_id);
  if (found != entries_.end() && found->first == version.device_id) {
    found->second = std::max(found->second, version.hlc);
  } else {
    entries_.emplace(found, version.device_id, version.hlc);
  }
}

void VersionVector::Merge(const VersionVector& other) {
  // Both sorted: walk them together, a new device inserted in place. That costs the product of
  // the lengths, so vectors beyond a handful of devices (only a forged one is) are merged into
  // a new vector in one pass instead.
  constexpr std::size_t kInPlace = 16;
  if (entries_.size() + other.entries_.size() <= kInPlace) {
    auto mine = entries_.begin();
    for (const auto& [device, hlc] : other.entries_) {
      while (mine != entries_.end() && mine->first < device) ++mine;
      if (mine != entries_.end() && mine->first == device) {
        mine->second = std::max(mine->second, hlc);
      } else {
        mine = entries_.emplace(mine, device, hlc);
      }
      ++mine;
    }
    return;
  }
  std::vector<Entry> merged;
  merged.reserve(entries_.size() + other.entries_.size());
  auto a = entries_.begin();
  auto b = other.entries_.begin();
  while (a != entries_.end() || b != other.entries_.end()) {
    if (b == other.entries_.end() || (a != entries_.end() && a->first < b->first)) {
      merged.push_back(std::move(*a++));
    } else if (a == entries_.end() || b->first < a->first) {
      merged.push_back(*b++);
    } else {
      merged.emplace_back(std::move(a->first), std::max(a->second, b->second));
      ++a;
      ++b;
    }
  }
  entries_ = std::move(merged);
}

bool VersionVector::Assign(std::vector<Entry> entries) {
  for (std::size_t i = 1; i < entries.size(); ++i) {
    if (!(entries[i - 1].first < entries[i].first)) return false;
  }
  entries_ = std::move(entries);
  return true;
}

}  // namespace outreach::model
