// FoldedRecords: which records a push wrote may be left out of its answer. A record is left
// out when the pushing device can make its new state itself, exactly: it held the record as
// it was (its sequence at or below the device's cursor, or no record yet), and each of the
// push's changes to it applied as written. The device folds its accepted changes into what it
// holds (core/replica's FoldAccepted) with the same merge code, so its copy is byte for byte
// the server's. Only for a device that says it folds so (protocol 1.2). A record anyone
// changed after the push has another sequence and is sent. Half a push's answer, and no
// decoding of its own records back on a slow tablet.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "core/merge/merge.h"

namespace outreach::server {

class FoldedRecords {
 public:
  FoldedRecords(std::int64_t cursor, bool device_folds) : cursor_(cursor), enabled_(device_folds) {}

  // One change of the push, in order: what became of it, the record's sequence before it (0:
  // no record) and after it (0: not written).
  void Note(const std::string& record_id, merge::Outcome outcome, std::int64_t sequence_before,
            std::int64_t sequence_saved);
  // After the push committed: from now on Skips answers.
  void Seal();
  // Whether the record stored under `sequence` is one the device makes itself.
  bool Skips(std::int64_t sequence) const { return exact_sequences_.count(sequence) > 0; }
  // Whether it skips any record at all (none for a device that does not fold).
  bool SkipsAny() const { return !exact_sequences_.empty(); }
  // How many records it skips at most.
  std::size_t SkipCount() const { return exact_sequences_.size(); }

 private:
  struct Folded {
    bool exact = true;
    std::int64_t sequence = 0;
  };
  std::int64_t cursor_;
  bool enabled_;
  std::unordered_map<std::string, Folded> records_;
  std::unordered_set<std::int64_t> exact_sequences_;
};

}  // namespace outreach::server
