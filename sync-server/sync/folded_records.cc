#include "sync-server/sync/folded_records.h"

namespace outreach::server {

void FoldedRecords::Note(const std::string& record_id, merge::Outcome outcome,
                         std::int64_t sequence_before, std::int64_t sequence_saved) {
  if (!enabled_) return;
  const auto [it, first] = records_.try_emplace(record_id);
  Folded& record = it->second;
  // Only the first change's base matters: later ones build on this push's own write.
  if (first) record.exact = sequence_before <= cursor_;
  // Merged, conflict, duplicate (the device may or may not have applied the first answer)
  // or rejected: the device cannot be sure to make the same state; the record is sent.
  record.exact = record.exact && outcome == merge::Outcome::kApplied;
  if (sequence_saved != 0) record.sequence = sequence_saved;
}

void FoldedRecords::Seal() {
  for (const auto& [id, record] : records_) {
    if (record.exact && record.sequence != 0) exact_sequences_.insert(record.sequence);
  }
}

}  // namespace outreach::server
