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

}  // namespace

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
