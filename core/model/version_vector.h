// VersionVector: the causal context of one field (or of a deleter's view of a record): for each
// device, the highest HLC of its writes this replica has seen. A device writes a field in
// sequence and every write's base includes the device's own earlier writes, so "seen (d, h)"
// implies "seen every earlier write of d to this field": one entry per device is exact.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "core/model/hlc.h"

namespace outreach::model {

// Kept as a vector sorted by device id: a field is written by a handful of devices, and one
// contiguous allocation is found, copied and merged far faster than the nodes of a map (merge
// throughput is bound by pointer chasing, core/merge/README.md).
class VersionVector {
 public:
  using Entry = std::pair<std::string, Hlc>;  // device id -> highest HLC seen

  // True if `version` is at or below this vector's entry for its device.
  bool Covers(const Version& version) const { return Covers(version.device_id, version.hlc); }
  bool Covers(const std::string& device, const Hlc& hlc) const;
  // True if every entry of `other` is covered.
  bool CoversAll(const VersionVector& other) const;
  void Add(const Version& version);
  void Merge(const VersionVector& other);
  bool empty() const { return entries_.empty(); }
  // This vector's entry for `device`, or nullptr.
  Hlc* Find(const std::string& device);

  // Sorted by device id, each device once.
  const std::vector<Entry>& entries() const { return entries_; }
  // Replaces the entries; false (and nothing changed) unless they are sorted and distinct.
  bool Assign(std::vector<Entry> entries);

  bool operator==(const VersionVector&) const = default;

 private:
  std::vector<Entry> entries_;
};

}  // namespace outreach::model
