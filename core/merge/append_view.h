// AppendView: how an append field reads. Entries are never edited or removed (DOMAIN.md, APP):
// a later entry names an earlier one of the same field in "supersedes" to correct it (a full
// entry) or to strike it ("struck": true with a "strike_reason"). The field's current entries
// are those no entry supersedes; on an x-entry-forward field (actions: open -> done) the
// concurrent successors of one entry narrow to the one furthest along, the others staying
// visible as an auto-resolved conflict. Derived from the state alone, so replicas holding the
// same state read the same (I1), and every entry stays in the history (I2). MERGE.md, Append.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/model/record_state.h"

namespace outreach::schema {
struct FieldSpec;
}

namespace outreach::merge {

// The reserved entry members (schemas/README.md).
inline constexpr const char* kSupersedesMember = "supersedes";
inline constexpr const char* kStruckMember = "struck";
inline constexpr const char* kStrikeReasonMember = "strike_reason";

// The entry's "id", or "" if it has none (a malformed entry, which Merge rejects).
const std::string& EntryId(const model::Json& entry);
// The id an entry supersedes (its "supersedes" member), or "" if none.
std::string SupersededId(const model::Json& entry);
// True if the entry strikes the one it supersedes ("struck": true).
bool IsStrike(const model::Json& entry);

enum class EntryStatus {
  kCurrent,     // one of the field's current entries
  kSuperseded,  // a later entry corrects it
  kStruck,      // a later entry strikes it (struck wins over superseded if both)
  kOutranked,   // x-entry-forward: a concurrent successor of the same entry is further along
};

std::string_view EntryStatusName(EntryStatus status);

struct EntryReading {
  const model::Candidate* entry = nullptr;
  EntryStatus status = EntryStatus::kCurrent;
  std::vector<std::string> superseded_by;  // ids of the entries naming it, oldest first
};

// Concurrent successors of one entry of an x-entry-forward field; `winner` (one of `entries`)
// is the furthest along (by the members' ranks, then the higher version).
struct EntryRace {
  std::vector<const model::Candidate*> entries;  // oldest first
  const model::Candidate* winner = nullptr;
};

class AppendView {
 public:
  // `spec` may be null (a field this schema does not know: no x-entry-forward). Both arguments
  // must outlive the view, which points into `append`.
  AppendView(const schema::FieldSpec* spec, const model::AppendState& append);

  // Every entry, oldest first (by version, then entry key), with its status.
  const std::vector<EntryReading>& entries() const { return entries_; }
  // The current entries, oldest first: what CurrentValues shows for the field.
  std::vector<const model::Candidate*> Current() const;
  // Races that a forward rule settled (x-entry-forward fields only).
  const std::vector<EntryRace>& races() const { return races_; }

  // The entries with id `entry_id`, oldest first (an id reused by another change is two).
  std::vector<const model::Candidate*> WithId(const std::string& entry_id) const;
  // True if `a` and `b` are versions of one logical entry: following "supersedes" from each
  // reaches the same first entry.
  bool SameEntry(const model::Candidate* a, const model::Candidate* b) const;

 private:
  std::size_t IndexOf(const model::Candidate* entry) const;
  // The oldest entry the entry at `index` supersedes, if any (never itself).
  std::optional<std::size_t> Predecessor(std::size_t index) const;
  // Follows predecessors to the first entry of the line; stops in a cycle, which only forged
  // entries make.
  std::size_t Root(std::size_t index) const;
  void SettleForwardRaces(const schema::FieldSpec& spec);

  std::vector<EntryReading> entries_;
  std::map<std::string, std::vector<std::size_t>> by_id_;  // entry id -> indexes, oldest first
  std::vector<EntryRace> races_;
};

}  // namespace outreach::merge
