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
  auto operator<=>(const Written&) const = default;
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
  std::vector<Written> entries;  // sorted here (looked up, never walked in order)
  std::vector<std::pair<std::string_view, std::vector<Ref>>> seen;  // entry key -> versions
};

using Causes = std::vector<std::pair<Ref, std::vector<Ref>>>;  // a version -> what it had seen

struct SetElement {
  std::string_view value;  // its packed text (an element's key follows from its value)
  Causes adds, removes;    // in version order
};

struct Set {
  std::string_view field;
  std::vector<SetElement> elements;  // sorted here by their texts
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
      for (std::size_t candidate = 0, count = in_.Count(); candidate < count; ++candidate) {
        const Written written = ReadWritten();
        if (candidate > 0 && !(reg.candidates.back().version < written.version)) {
          return std::nullopt;  // JoinContains requires theirs sorted; mine is left alike
        }
        reg.candidates.push_back(written);
      }
      if (!ReadSeen(reg.seen)) return std::nullopt;
    }
    for (std::size_t i = 0, n = in_.Count(); i < n; ++i) {
      Append& append = state.appends.emplace_back();
      append.field = in_.TextView();
      if (i > 0 && !(state.appends[i - 1].field < append.field)) return std::nullopt;
      for (std::size_t entry = 0, entries = in_.Count(); entry < entries; ++entry) {
        append.entries.push_back(ReadWritten());
      }
      std::sort(append.entries.begin(), append.entries.end());
      for (std::size_t key = 0, keys = in_.Count(); key < keys; ++key) {
        auto& [text, versions] = append.seen.emplace_back();
        text = in_.TextView();
        if (key > 0 && !(append.seen[key - 1].first < text)) return std::nullopt;
        for (std::size_t seen = 0, count = in_.Count(); seen < count; ++seen) {
          versions.push_back(ReadRef());
        }
      }
    }
    for (std::size_t i = 0, n = in_.Count(); i < n; ++i) {
      Set& set = state.sets.emplace_back();
      set.field = in_.TextView();
      if (i > 0 && !(state.sets[i - 1].field < set.field)) return std::nullopt;
      for (std::size_t element = 0, count = in_.Count(); element < count; ++element) {
        SetElement& read = set.elements.emplace_back();
        read.value = in_.Bytes();
        if (!ReadCauses(read.adds) || !ReadCauses(read.removes)) return std::nullopt;
      }
      std::sort(set.elements.begin(), set.elements.end(),
                [](const SetElement& a, const SetElement& b) { return a.value < b.value; });
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
  // False if out of version order (a packer writes a map).
  bool ReadCauses(Causes& causes) {
    for (std::size_t cause = 0, count = in_.Count(); cause < count; ++cause) {
      auto& [version, seen] = causes.emplace_back();
      version = ReadRef();
      if (cause > 0 && !(causes[cause - 1].first < version)) return false;
      for (std::size_t item = 0, items = in_.Count(); item < items; ++item) {
        seen.push_back(ReadRef());
      }
    }
    return true;
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

// `candidates` in version order (the reader checked).
const Written* WithVersion(const std::vector<Written>& candidates, const Ref& version) {
  const auto found = std::lower_bound(
      candidates.begin(), candidates.end(), version,
      [](const Written& candidate, const Ref& wanted) { return candidate.version < wanted; });
  return found != candidates.end() && found->version == version ? &*found : nullptr;
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
    if (!std::binary_search(theirs.entries.begin(), theirs.entries.end(), entry)) return false;
  }
  for (const auto& [key, versions] : mine.seen) {
    const auto found = std::lower_bound(
        theirs.seen.begin(), theirs.seen.end(), key,
        [](const auto& other, std::string_view wanted) { return other.first < wanted; });
    if (found == theirs.seen.end() || found->first != key || found->second != versions) {
      return false;
    }
  }
  return true;
}

// Every cause of mine (a version and what it had seen) is one of theirs, alike.
bool CausesContain(const Causes& theirs, const Causes& mine) {
  return std::all_of(mine.begin(), mine.end(), [&](const auto& cause) {
    const auto found = std::lower_bound(
        theirs.begin(), theirs.end(), cause.first,
        [](const auto& other, const Ref& wanted) { return other.first < wanted; });
    return found != theirs.end() && found->first == cause.first && found->second == cause.second;
  });
}

// Every element of mine is one of theirs (found by its text: equal texts are equal keys), with
// every addition and removal of mine.
bool SetContains(const Set& theirs, const Set& mine) {
  for (const SetElement& element : mine.elements) {
    const auto other = std::lower_bound(
        theirs.elements.begin(), theirs.elements.end(), element.value,
        [](const SetElement& e, std::string_view wanted) { return e.value < wanted; });
    if (other == theirs.elements.end() || other->value != element.value ||
        !CausesContain(other->adds, element.adds) ||
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
    const bool takes_theirs = theirs_version.has_value() &&
                              (!mine_version.has_value() || *mine_version < *theirs_version);
    if (!takes_theirs) return false;
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
