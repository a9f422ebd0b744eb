#include "core/merge/internal/field_merge.h"

#include <algorithm>

#include "core/model/canonical_json.h"

namespace outreach::merge::detail {

using model::Candidate;
using model::Version;

bool ApplyRegisterWrite(model::RegisterState& state, const model::RegisterWrite& write,
                        const Version& version, const std::string& author) {
  // Seen before: either applied already (I3) or superseded by a write whose base covered it.
  // Either way the base was merged then; bases are whole contexts, so nothing is missed.
  if (state.seen.Covers(version)) return false;
  std::erase_if(state.candidates,
                [&](const Candidate& candidate) { return write.base.Covers(candidate.version); });
  const auto position = std::lower_bound(
      state.candidates.begin(), state.candidates.end(), version,
      [](const Candidate& candidate, const Version& v) { return candidate.version < v; });
  state.candidates.insert(position, Candidate{write.value, version, author});
  state.seen.Merge(write.base);
  state.seen.Add(version);
  return true;
}

bool ApplyAppendWrite(model::AppendState& state, const model::AppendWrite& write,
                      const Version& version, const std::string& author) {
  bool changed = false;
  for (const model::Json& entry : write.entries) {
    // Shapes were checked by Merge: every entry is an object with a string "id".
    std::string key = model::AppendKey(entry["id"].get_ref<const std::string&>(), version);
    // One lookup finds both whether it was applied already (I3) and where it goes.
    const auto position = state.entries.lower_bound(key);
    if (position != state.entries.end() && position->first == key) continue;
    state.entries.emplace_hint(position, key, Candidate{entry, version, author});
    if (!write.seen.empty()) {
      std::vector<Version> seen = write.seen;
      std::sort(seen.begin(), seen.end());
      seen.erase(std::unique(seen.begin(), seen.end()), seen.end());
      state.seen.emplace(key, std::move(seen));
    }
    changed = true;
  }
  return changed;
}

bool ApplySetWrite(model::SetState& state, const model::SetWrite& write, const Version& version) {
  bool changed = false;
  for (std::size_t i = 0; i < write.added.size(); ++i) {
    model::SetElement& element = state.elements[model::CanonicalJson(write.added[i])];
    if (element.value.is_null()) element.value = write.added[i];
    std::vector<Version> seen_removals =
        i < write.added_seen_removals.size() ? write.added_seen_removals[i] : std::vector<Version>{};
    std::sort(seen_removals.begin(), seen_removals.end());
    changed = element.adds.try_emplace(version, std::move(seen_removals)).second || changed;
  }
  for (const model::SetRemoval& removal : write.removed) {
    model::SetElement& element = state.elements[model::CanonicalJson(removal.value)];
    if (element.value.is_null()) element.value = removal.value;
    std::vector<Version> observed = removal.observed_adds;
    std::sort(observed.begin(), observed.end());
    changed = element.removes.try_emplace(version, std::move(observed)).second || changed;
  }
  return changed;
}

bool ApplyDeletion(model::RecordState& state, const model::Change& change) {
  if (state.deletions_seen.Covers(change.version)) return false;
  // A delete by someone who had seen earlier deletions replaces them (as a register write).
  std::erase_if(state.deletions, [&](const model::Deletion& deletion) {
    return change.deletion_base.Covers(deletion.version);
  });
  std::vector<Version> seen_items = change.delete_seen_items;
  std::sort(seen_items.begin(), seen_items.end());
  seen_items.erase(std::unique(seen_items.begin(), seen_items.end()), seen_items.end());
  model::Deletion deletion{change.version, change.author, change.delete_seen, std::move(seen_items)};
  const auto position = std::lower_bound(
      state.deletions.begin(), state.deletions.end(), change.version,
      [](const model::Deletion& d, const Version& v) { return d.version < v; });
  state.deletions.insert(position, std::move(deletion));
  state.deletions_seen.Merge(change.deletion_base);
  state.deletions_seen.Add(change.version);
  return true;
}

bool ApplyRestore(model::RecordState& state, const model::Change& change) {
  if (state.deletions_seen.Covers(change.version)) return false;
  std::erase_if(state.deletions, [&](const model::Deletion& deletion) {
    return change.deletion_base.Covers(deletion.version);
  });
  state.deletions_seen.Merge(change.deletion_base);
  state.deletions_seen.Add(change.version);
  return true;
}

}  // namespace outreach::merge::detail
