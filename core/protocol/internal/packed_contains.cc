// PackedStateContains: merge::JoinContains read straight from two packed states, for the
// records a pull sends that the device already holds. Decoding both states (every value parsed
// into JSON, every name copied) cost more than the rest of applying such a record; this reads
// names and values as views into the bytes and compares values by their packed text.
//
// It answers true only where JoinContains of the decoded states does. Where it cannot be sure
// cheaply it answers false, and the caller decodes: deletions (and restores), anything out of
// the order a packer writes, and values equal as JSON but written differently.
#include <algorithm>
#include <optional>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "core/protocol/binary_codec.h"
#include "core/protocol/internal/packed_reader.h"
#include "core/protocol/internal/packed_record.h"
#include "core/schema/schema_version.h"

namespace outreach::protocol::internal {
namespace {

struct Ref {  // a version: when, and on which device
  model::Hlc hlc;
  std::string_view device;
  auto operator<=>(const Ref&) const = default;
  bool operator==(const Ref&) const = default;
};

struct Written {  // a register's candidate or an append entry
  std::string_view value;  // its packed text
  Ref version;
  std::string_view author;
  bool operator==(const Written&) const = default;
};

using Seen = std::vector<std::pair<std::string_view, model::Hlc>>;  // device -> latest, sorted

struct Register {
  std::string_view field;
  std::vector<Written> candidates;
  Seen seen;
};

struct Append {
  std::string_view field;
  std::vector<Written> entries;
  std::vector<std::pair<std::string_view, std::vector<Ref>>> seen;  // entry key -> versions
};

using Causes = std::vector<std::pair<Ref, std::vector<Ref>>>;  // a version -> what it had seen

struct SetElement {
  std::string_view value;  // its packed text (an element's key follows from its value)
  Causes adds, removes;
};

struct Set {
  std::string_view field;
  std::vector<SetElement> elements;
};

struct LightState {
  std::string_view id, collection, team, schema_version;
  std::vector<Register> registers;  // in field order
  std::vector<Append> appends;      // in field order
  std::vector<Set> sets;            // in field order
};

class LightReader {
 public:
  explicit LightReader(std::string_view bytes) : in_(bytes) {}

  // Nullopt for a state this check leaves to the decoder (see the top of this file).
  std::optional<LightState> Read() {
    const std::size_t names = in_.Count();
    Require(names <= kMaxNames, "too many names");
    names_.resize(names);
    for (std::string_view& name : names_) name = in_.TextView();
    LightState state;
    state.id = in_.TextView();
    state.collection = in_.TextView();
    state.team = in_.TextView();
    state.schema_version = in_.TextView();
    for (std::size_t i = 0, n = in_.Count(); i < n; ++i) {
      Register& reg = state.registers.emplace_back();
      reg.field = in_.TextView();
      if (i > 0 && !(state.registers[i - 1].field < reg.field)) return std::nullopt;
      for (std::size_t j = 0, m = in_.Count(); j < m; ++j) {
        reg.candidates.push_back(ReadWritten());
        if (j > 0 && !(reg.candidates[j - 1].version < reg.candidates[j].version)) {
          return std::nullopt;  // JoinContains requires theirs sorted; mine is left alike
        }
      }
      if (!ReadSeen(reg.seen)) return std::nullopt;
    }
    for (std::size_t i = 0, n = in_.Count(); i < n; ++i) {
      Append& append = state.appends.emplace_back();
      append.field = in_.TextView();
      if (i > 0 && !(state.appends[i - 1].field < append.field)) return std::nullopt;
      for (std::size_t j = 0, m = in_.Count(); j < m; ++j) append.entries.push_back(ReadWritten());
      for (std::size_t j = 0, m = in_.Count(); j < m; ++j) {
        auto& [key, versions] = append.seen.emplace_back();
        key = in_.TextView();
        if (j > 0 && !(append.seen[j - 1].first < key)) return std::nullopt;
        for (std::size_t k = 0, l = in_.Count(); k < l; ++k) versions.push_back(ReadRef());
      }
    }
    for (std::size_t i = 0, n = in_.Count(); i < n; ++i) {
      Set& set = state.sets.emplace_back();
      set.field = in_.TextView();
      if (i > 0 && !(state.sets[i - 1].field < set.field)) return std::nullopt;
      for (std::size_t j = 0, m = in_.Count(); j < m; ++j) {
        SetElement& element = set.elements.emplace_back();
        element.value = in_.Bytes();
        ReadCauses(element.adds);
        ReadCauses(element.removes);
      }
    }
    if (in_.Count() != 0 || in_.Count() != 0) return std::nullopt;  // deletions, their context
    if (!in_.AtEnd()) return std::nullopt;
    return state;
  }

 private:
  std::string_view Name() {
    const std::uint64_t index = in_.Varint();
    Require(index < names_.size(), "name index beyond the table");
    return names_[static_cast<std::size_t>(index)];
  }
  Ref ReadRef() {
    Ref ref;
    ref.hlc = in_.Clock();
    ref.device = Name();
    return ref;
  }
  Written ReadWritten() {
    Written written;
    written.value = in_.Bytes();
    written.version = ReadRef();
    written.author = Name();
    return written;
  }
  void ReadCauses(Causes& causes) {
    for (std::size_t i = 0, n = in_.Count(); i < n; ++i) {
      auto& [version, seen] = causes.emplace_back();
      version = ReadRef();
      for (std::size_t j = 0, m = in_.Count(); j < m; ++j) seen.push_back(ReadRef());
    }
  }
  bool ReadSeen(Seen& seen) {
    for (std::size_t i = 0, n = in_.Count(); i < n; ++i) {
      const std::string_view device = Name();
      if (i > 0 && !(seen.back().first < device)) return false;
      seen.emplace_back(device, in_.Clock());
    }
    return true;
  }

  Reader in_;
  std::vector<std::string_view> names_;
};

bool Covers(const Seen& seen, const Ref& version) {
  const auto found = std::lower_bound(
      seen.begin(), seen.end(), version.device,
      [](const auto& entry, std::string_view device) { return entry.first < device; });
  return found != seen.end() && found->first == version.device && found->second >= version.hlc;
}

bool CoversAll(const Seen& theirs, const Seen& mine) {
  return std::all_of(mine.begin(), mine.end(), [&](const auto& entry) {
    return Covers(theirs, Ref{entry.second, entry.first});
  });
}

const Written* WithVersion(const std::vector<Written>& candidates, const Ref& version) {
  const auto found = std::find_if(candidates.begin(), candidates.end(),
                                  [&](const Written& c) { return c.version == version; });
  return found == candidates.end() ? nullptr : &*found;
}

// merge's CandidatesContain for registers (theirs is sorted: the reader checked).
bool RegisterContains(const Register& theirs, const Register& mine) {
  if (!CoversAll(theirs.seen, mine.seen)) return false;
  for (const Written& candidate : mine.candidates) {
    const Written* same = WithVersion(theirs.candidates, candidate.version);
    if (same != nullptr ? !(*same == candidate) : !Covers(theirs.seen, candidate.version)) {
      return false;
    }
  }
  for (const Written& candidate : theirs.candidates) {
    if (WithVersion(mine.candidates, candidate.version) == nullptr &&
        Covers(mine.seen, candidate.version)) {
      return false;  // the join drops it
    }
  }
  return true;
}

// Every entry of mine is one of theirs, and every seen list of mine is theirs too. An entry's
// key follows from its value and version, so an entry written alike has the same key.
bool AppendContains(const Append& theirs, const Append& mine) {
  for (const Written& entry : mine.entries) {
    if (std::find(theirs.entries.begin(), theirs.entries.end(), entry) == theirs.entries.end()) {
      return false;
    }
  }
  for (const auto& [key, versions] : mine.seen) {
    const auto found = std::find_if(theirs.seen.begin(), theirs.seen.end(),
                                    [&](const auto& other) { return other.first == key; });
    if (found == theirs.seen.end() || found->second != versions) return false;
  }
  return true;
}

// Every cause of mine (a version and what it had seen) is one of theirs, alike.
bool CausesContain(const Causes& theirs, const Causes& mine) {
  return std::all_of(mine.begin(), mine.end(), [&](const auto& cause) {
    const auto found = std::find_if(theirs.begin(), theirs.end(),
                                    [&](const auto& other) { return other.first == cause.first; });
    return found != theirs.end() && found->second == cause.second;
  });
}

// Every element of mine is one of theirs (found by its text: equal texts are equal keys), with
// every addition and removal of mine.
bool SetContains(const Set& theirs, const Set& mine) {
  for (const SetElement& element : mine.elements) {
    const auto other = std::find_if(theirs.elements.begin(), theirs.elements.end(),
                                    [&](const SetElement& e) { return e.value == element.value; });
    if (other == theirs.elements.end() || !CausesContain(other->adds, element.adds) ||
        !CausesContain(other->removes, element.removes)) {
      return false;
    }
  }
  return true;
}

template <typename Field>
const Field* FieldNamed(const std::vector<Field>& fields, std::string_view name) {
  const auto found = std::lower_bound(
      fields.begin(), fields.end(), name,
      [](const Field& field, std::string_view wanted) { return field.field < wanted; });
  return found != fields.end() && found->field == name ? &*found : nullptr;
}

bool LightContains(const LightState& theirs, const LightState& mine) {
  if (mine.id.empty()) return true;  // as JoinContains: the join is theirs
  if (std::tie(mine.id, mine.collection, mine.team) !=
      std::tie(theirs.id, theirs.collection, theirs.team)) {
    return false;
  }
  if (mine.schema_version != theirs.schema_version) {  // the join keeps the higher one
    const auto mine_version = schema::ParseSchemaVersion(mine.schema_version);
    const auto theirs_version = schema::ParseSchemaVersion(theirs.schema_version);
    if (!theirs_version.has_value() || (mine_version.has_value() && !(*mine_version < *theirs_version))) {
      return false;
    }
  }
  for (const Register& reg : mine.registers) {
    const Register* other = FieldNamed(theirs.registers, reg.field);
    if (other == nullptr || !RegisterContains(*other, reg)) return false;
  }
  for (const Append& append : mine.appends) {
    const Append* other = FieldNamed(theirs.appends, append.field);
    if (other == nullptr || !AppendContains(*other, append)) return false;
  }
  // The join makes a set field only for its elements: an empty one of theirs that mine lacks
  // is not in the join.
  for (const Set& set : theirs.sets) {
    if (set.elements.empty() && FieldNamed(mine.sets, set.field) == nullptr) return false;
  }
  for (const Set& set : mine.sets) {
    const Set* other = FieldNamed(theirs.sets, set.field);
    if (other == nullptr || !SetContains(*other, set)) return false;
  }
  return true;
}

std::optional<LightState> ReadLight(std::string_view bytes) {
  if (!IsPackedRecord(bytes)) return std::nullopt;
  return LightReader(bytes.substr(kPackedRecordMagic.size())).Read();
}

}  // namespace
}  // namespace outreach::protocol::internal

namespace outreach::protocol {

bool PackedStateContains(std::string_view theirs, std::string_view mine) {
  try {
    const auto their_state = internal::ReadLight(theirs);
    if (!their_state) return false;
    const auto my_state = internal::ReadLight(mine);
    return my_state.has_value() && internal::LightContains(*their_state, *my_state);
  } catch (const internal::DecodeError&) {
    return false;
  }
}

}  // namespace outreach::protocol
