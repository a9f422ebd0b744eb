#include "core/merge/join.h"

#include <algorithm>

#include "core/schema/schema_version.h"

namespace outreach::merge {
namespace {

using model::Candidate;

// A candidate of one side survives unless the other side has seen it and dropped it.
template <typename Item, typename Versioned>
void KeepUnsuperseded(const std::vector<Item>& mine, const std::vector<Item>& theirs,
                      const model::VersionVector& their_seen, Versioned version_of,
                      std::vector<Item>& out) {
  for (const Item& item : mine) {
    const bool they_have = std::any_of(theirs.begin(), theirs.end(), [&](const Item& other) {
      return version_of(other) == version_of(item);
    });
    if (they_have || !their_seen.Covers(version_of(item))) out.push_back(item);
  }
}

template <typename Item, typename Versioned>
std::vector<Item> JoinCandidates(const std::vector<Item>& a, const model::VersionVector& a_seen,
                                 const std::vector<Item>& b, const model::VersionVector& b_seen,
                                 Versioned version_of) {
  std::vector<Item> out;
  KeepUnsuperseded(a, b, b_seen, version_of, out);
  KeepUnsuperseded(b, a, a_seen, version_of, out);
  std::sort(out.begin(), out.end(), [&](const Item& x, const Item& y) {
    return version_of(x) < version_of(y);
  });
  out.erase(std::unique(out.begin(), out.end(),
                        [&](const Item& x, const Item& y) { return version_of(x) == version_of(y); }),
            out.end());
  return out;
}

template <typename Map>
void UnionInto(Map& into, const Map& from) {
  for (const auto& [key, value] : from) into.emplace(key, value);
}

// JoinCandidates(mine, mine_seen, theirs, theirs_seen) == theirs: every candidate of mine is
// one of theirs (equal, not only by version) or superseded by what they have seen; every one of
// theirs is kept (mine has it, or had not seen it); theirs is in join order (sorted, unique).
template <typename Item, typename Versioned>
bool CandidatesContain(const std::vector<Item>& theirs, const model::VersionVector& theirs_seen,
                       const std::vector<Item>& mine, const model::VersionVector& mine_seen,
                       Versioned version_of) {
  for (std::size_t i = 1; i < theirs.size(); ++i) {
    if (!(version_of(theirs[i - 1]) < version_of(theirs[i]))) return false;
  }
  for (const Item& item : mine) {
    const auto same = std::find_if(theirs.begin(), theirs.end(), [&](const Item& other) {
      return version_of(other) == version_of(item);
    });
    if (same != theirs.end() ? !(*same == item) : !theirs_seen.Covers(version_of(item))) {
      return false;
    }
  }
  for (const Item& item : theirs) {
    const bool mine_has = std::any_of(mine.begin(), mine.end(), [&](const Item& other) {
      return version_of(other) == version_of(item);
    });
    if (!mine_has && mine_seen.Covers(version_of(item))) return false;  // the join drops it
  }
  return true;
}

// Every key of `mine` is in `theirs` with an equal value (UnionInto keeps mine's value).
template <typename Map>
bool MapContains(const Map& theirs, const Map& mine) {
  for (const auto& [key, value] : mine) {
    const auto found = theirs.find(key);
    if (found == theirs.end() || !(found->second == value)) return false;
  }
  return true;
}

}  // namespace

bool JoinContains(const model::RecordState& theirs, const model::RecordState& mine) {
  if (mine.id.empty()) return true;  // JoinStates returns theirs
  if (theirs.id.empty()) return false;
  // The join starts from mine: its names are mine.
  if (mine.id != theirs.id || mine.collection != theirs.collection || mine.team != theirs.team) {
    return false;
  }
  if (mine.schema_version != theirs.schema_version) {
    const auto mine_version = schema::ParseSchemaVersion(mine.schema_version);
    const auto theirs_version = schema::ParseSchemaVersion(theirs.schema_version);
    const bool takes_theirs = theirs_version.has_value() &&
                              (!mine_version.has_value() || *mine_version < *theirs_version);
    if (!takes_theirs) return false;
  }
  const auto candidate_version = [](const model::Candidate& c) { return c.version; };
  for (const auto& [field, reg] : mine.registers) {
    const auto found = theirs.registers.find(field);
    if (found == theirs.registers.end()) return false;
    const model::RegisterState& other = found->second;
    if (!other.seen.CoversAll(reg.seen)) return false;
    if (!CandidatesContain(other.candidates, other.seen, reg.candidates, reg.seen,
                           candidate_version)) {
      return false;
    }
  }
  for (const auto& [field, append] : mine.appends) {
    const auto found = theirs.appends.find(field);
    if (found == theirs.appends.end() || !MapContains(found->second.entries, append.entries) ||
        !MapContains(found->second.seen, append.seen)) {
      return false;
    }
  }
  for (const auto& [field, set] : theirs.sets) {
    // The join makes a set field only for its elements: an empty one mine lacks is dropped.
    if (set.elements.empty() && mine.sets.count(field) == 0) return false;
  }
  for (const auto& [field, set] : mine.sets) {
    const auto found = theirs.sets.find(field);
    if (found == theirs.sets.end()) return false;
    for (const auto& [key, element] : set.elements) {
      const auto other = found->second.elements.find(key);
      if (other == found->second.elements.end()) return false;
      if (!element.value.is_null() && !(element.value == other->second.value)) return false;
      if (!MapContains(other->second.adds, element.adds) ||
          !MapContains(other->second.removes, element.removes)) {
        return false;
      }
    }
  }
  return theirs.deletions_seen.CoversAll(mine.deletions_seen) &&
         CandidatesContain(theirs.deletions, theirs.deletions_seen, mine.deletions,
                           mine.deletions_seen, [](const model::Deletion& d) { return d.version; });
}

model::RecordState JoinStates(const model::RecordState& a, const model::RecordState& b) {
  if (a.id.empty()) return b;
  if (b.id.empty()) return a;
  model::RecordState out = a;
  const auto a_version = schema::ParseSchemaVersion(a.schema_version);
  const auto b_version = schema::ParseSchemaVersion(b.schema_version);
  if (b_version.has_value() && (!a_version.has_value() || *a_version < *b_version)) {
    out.schema_version = b.schema_version;
  }
  const auto candidate_version = [](const Candidate& c) { return c.version; };
  for (const auto& [field, theirs] : b.registers) {
    const auto mine = a.registers.find(field);
    if (mine == a.registers.end()) {
      out.registers[field] = theirs;
      continue;
    }
    model::RegisterState& joined = out.registers[field];
    joined.candidates = JoinCandidates(mine->second.candidates, mine->second.seen,
                                       theirs.candidates, theirs.seen, candidate_version);
    joined.seen.Merge(theirs.seen);
  }
  for (const auto& [field, theirs] : b.appends) {
    UnionInto(out.appends[field].entries, theirs.entries);
    UnionInto(out.appends[field].seen, theirs.seen);
  }
  for (const auto& [field, theirs] : b.sets) {
    for (const auto& [key, element] : theirs.elements) {
      model::SetElement& joined = out.sets[field].elements[key];
      if (joined.value.is_null()) joined.value = element.value;
      UnionInto(joined.adds, element.adds);
      UnionInto(joined.removes, element.removes);
    }
  }
  out.deletions = JoinCandidates(a.deletions, a.deletions_seen, b.deletions, b.deletions_seen,
                                 [](const model::Deletion& d) { return d.version; });
  out.deletions_seen.Merge(b.deletions_seen);
  return out;
}

}  // namespace outreach::merge
