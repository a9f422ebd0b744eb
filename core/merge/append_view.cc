#include "core/merge/append_view.h"

#include <algorithm>

#include "core/schema/field_spec.h"

namespace outreach::merge {

using model::Candidate;

const std::string& EntryId(const model::Json& entry) {
  static const std::string kNone;
  const auto id = entry.is_object() ? entry.find("id") : entry.end();
  return id != entry.end() && id->is_string() ? id->get_ref<const std::string&>() : kNone;
}

std::string SupersededId(const model::Json& entry) {
  const auto target = entry.is_object() ? entry.find(kSupersedesMember) : entry.end();
  return target != entry.end() && target->is_string() ? target->get<std::string>() : "";
}

bool IsStrike(const model::Json& entry) {
  const auto struck = entry.is_object() ? entry.find(kStruckMember) : entry.end();
  return struck != entry.end() && *struck == true;
}

std::string_view EntryStatusName(EntryStatus status) {
  switch (status) {
    case EntryStatus::kCurrent: return "current";
    case EntryStatus::kSuperseded: return "superseded";
    case EntryStatus::kStruck: return "struck";
    case EntryStatus::kOutranked: return "outranked";
  }
  return "unknown";
}

AppendView::AppendView(const schema::FieldSpec* spec, const model::AppendState& append) {
  for (const auto& [key, entry] : append.entries) entries_.push_back(EntryReading{&entry, {}, {}});
  // Oldest first; one change's entries (same version) keep their key order.
  std::stable_sort(entries_.begin(), entries_.end(),
                   [](const EntryReading& a, const EntryReading& b) {
                     return a.entry->version < b.entry->version;
                   });
  for (std::size_t index = 0; index < entries_.size(); ++index) {
    by_id_[EntryId(entries_[index].entry->value)].push_back(index);
  }
  // An entry is superseded by any entry naming it, whatever their order: whether the naming
  // one's author had seen it is admission's to check, where the change enters (MERGE.md).
  for (const EntryReading& successor : entries_) {
    const std::string target = SupersededId(successor.entry->value);
    const auto named = target.empty() ? by_id_.end() : by_id_.find(target);
    if (named == by_id_.end()) continue;
    const bool strike = IsStrike(successor.entry->value);
    for (const std::size_t target : named->second) {
      EntryReading& reading = entries_[target];
      if (reading.entry == successor.entry) continue;
      reading.superseded_by.push_back(EntryId(successor.entry->value));
      if (strike || reading.status != EntryStatus::kStruck) {
        reading.status = strike ? EntryStatus::kStruck : EntryStatus::kSuperseded;
      }
    }
  }
  if (spec != nullptr && !spec->entry_forward.empty()) SettleForwardRaces(*spec);
}

std::optional<std::size_t> AppendView::Predecessor(std::size_t index) const {
  const std::string target = SupersededId(entries_[index].entry->value);
  if (target.empty()) return std::nullopt;
  const auto named = by_id_.find(target);
  if (named == by_id_.end()) return std::nullopt;  // not arrived yet, or never existed
  for (const std::size_t candidate : named->second) {
    if (candidate != index) return candidate;  // oldest first
  }
  return std::nullopt;
}

std::size_t AppendView::Root(std::size_t index) const {
  // A line is at most every entry long; more steps mean a cycle (forged entries naming each
  // other), which ends wherever the count runs out: the same place on every replica.
  for (std::size_t steps = 0; steps < entries_.size(); ++steps) {
    const auto previous = Predecessor(index);
    if (!previous.has_value()) break;
    index = *previous;
  }
  return index;
}

void AppendView::SettleForwardRaces(const schema::FieldSpec& spec) {
  // Current entries grouped by the entry they continue: several in one group are successors of
  // one entry, none of which names another (typically written on tablets that had not synced).
  std::map<std::size_t, std::vector<std::size_t>> heads_by_root;
  for (std::size_t index = 0; index < entries_.size(); ++index) {
    if (entries_[index].status != EntryStatus::kCurrent) continue;
    heads_by_root[Root(index)].push_back(index);
  }
  for (const auto& [root, heads] : heads_by_root) {
    if (heads.size() < 2) continue;
    // The further state wins (DESIGN.md section 3, forward); a tie goes to the higher version,
    // the later of `heads`. A strike carries no state, so a state change racing it wins.
    std::size_t winner = heads.front();
    for (const std::size_t head : heads) {
      if (schema::EntryStateRanks(spec, entries_[head].entry->value) >=
          schema::EntryStateRanks(spec, entries_[winner].entry->value)) {
        winner = head;
      }
    }
    EntryRace race;
    for (const std::size_t head : heads) {
      race.entries.push_back(entries_[head].entry);
      if (head != winner) entries_[head].status = EntryStatus::kOutranked;
    }
    race.winner = entries_[winner].entry;
    races_.push_back(std::move(race));
  }
}

std::vector<const Candidate*> AppendView::Current() const {
  std::vector<const Candidate*> current;
  for (const EntryReading& reading : entries_) {
    if (reading.status == EntryStatus::kCurrent) current.push_back(reading.entry);
  }
  return current;
}

std::vector<const Candidate*> AppendView::WithId(const std::string& entry_id) const {
  std::vector<const Candidate*> found;
  const auto named = by_id_.find(entry_id);
  if (named == by_id_.end()) return found;
  for (const std::size_t index : named->second) found.push_back(entries_[index].entry);
  return found;
}

std::size_t AppendView::IndexOf(const Candidate* entry) const {
  for (std::size_t index = 0; index < entries_.size(); ++index) {
    if (entries_[index].entry == entry) return index;
  }
  return entries_.size();
}

bool AppendView::SameEntry(const Candidate* a, const Candidate* b) const {
  const std::size_t index_a = IndexOf(a);
  const std::size_t index_b = IndexOf(b);
  if (index_a == entries_.size() || index_b == entries_.size()) return false;
  return Root(index_a) == Root(index_b);
}

}  // namespace outreach::merge
