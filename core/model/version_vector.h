// VersionVector: the causal context of one field (or of a deleter's view of a record): for each
// device, the highest HLC of its writes this replica has seen. A device writes a field in
// sequence and every write's base includes the device's own earlier writes, so "seen (d, h)"
// implies "seen every earlier write of d to this field": one entry per device is exact.
#pragma once

#include <map>
#include <string>

#include "core/model/hlc.h"

namespace outreach::model {

class VersionVector {
 public:
  // True if `version` is at or below this vector's entry for its device.
  bool Covers(const Version& version) const;
  // True if every entry of `other` is covered.
  bool CoversAll(const VersionVector& other) const;
  void Add(const Version& version);
  void Merge(const VersionVector& other);
  bool empty() const { return entries_.empty(); }

  const std::map<std::string, Hlc>& entries() const { return entries_; }
  std::map<std::string, Hlc>& mutable_entries() { return entries_; }

  bool operator==(const VersionVector&) const = default;

 private:
  std::map<std::string, Hlc> entries_;  // device id -> highest HLC seen
};

}  // namespace outreach::model
