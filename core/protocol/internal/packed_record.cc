#include "core/protocol/internal/packed_record.h"

#include <algorithm>
#include <cstdint>
#include <unordered_map>
#include <vector>

#include "core/model/canonical_json.h"
#include "core/protocol/binary_codec.h"
#include "core/model/record_codec.h"
#include "core/protocol/internal/model_archive.h"
#include "core/protocol/internal/packed_reader.h"
#include "core/protocol/internal/plain_json.h"

namespace outreach::protocol::internal {
namespace {

// Device ids and authors, numbered in order of first use. Most records name one or two, so a
// linear search beats hashing until there are many.
class NameTable {
 public:
  std::size_t IndexOf(const std::string& name) {
    if (names_.size() <= kLinearLimit) {
      for (std::size_t i = 0; i < names_.size(); ++i) {
        if (*names_[i] == name) return i;
      }
    } else if (auto found = index_.find(name); found != index_.end()) {
      return found->second;
    }
    names_.push_back(&name);
    if (names_.size() > kLinearLimit) {
      if (index_.empty()) {
        for (std::size_t i = 0; i < names_.size(); ++i) index_.emplace(*names_[i], i);
      } else {
        index_.emplace(name, names_.size() - 1);
      }
    }
    return names_.size() - 1;
  }
  const std::vector<const std::string*>& names() const { return names_; }

 private:
  static constexpr std::size_t kLinearLimit = 8;
  std::vector<const std::string*> names_;  // point into the state being packed
  std::unordered_map<std::string_view, std::size_t> index_;
};

class Packer {
 public:
  explicit Packer(std::string& out) : out_(out) {}

  void Varint(std::uint64_t value) {
    while (value >= 0x80) {
      out_.push_back(static_cast<char>(value | 0x80));
      value >>= 7;
    }
    out_.push_back(static_cast<char>(value));
  }
  void Text(std::string_view text) {
    Varint(text.size());
    out_.append(text);
  }
  void Value(const model::Json& value) {
    // The text the archive form holds (model_archive.cc): plain values skip the serializer.
    scratch_.clear();
    if (!WritePlainJson(value, IsUtf8, scratch_)) scratch_ = value.dump();
    Text(scratch_);
  }
  void Name(const std::string& name) { Varint(names_.IndexOf(name)); }
  void Clock(const model::Hlc& hlc) {
    Varint(static_cast<std::uint64_t>(hlc.physical_ms));
    Varint(hlc.counter);
  }
  void Version(const model::Version& version) {
    Clock(version.hlc);
    Name(version.device_id);
  }
  void Versions(const std::vector<model::Version>& versions) {
    Varint(versions.size());
    for (const auto& version : versions) Version(version);
  }
  void Vector(const model::VersionVector& vector) {
    Varint(vector.entries().size());
    for (const auto& [device, hlc] : vector.entries()) {
      Name(device);
      Clock(hlc);
    }
  }
  void Written(const model::Candidate& candidate) {
    Value(candidate.value);
    Version(candidate.version);
    Name(candidate.author);
  }

  void State(const model::RecordState& state) {
    Text(state.id);
    Text(state.collection);
    Text(state.team);
    Text(state.schema_version);
    Varint(state.registers.size());
    for (const auto& [field, reg] : state.registers) {
      Text(field);
      Varint(reg.candidates.size());
      for (const auto& candidate : reg.candidates) Written(candidate);
      Vector(reg.seen);
    }
    Varint(state.appends.size());
    for (const auto& [field, append] : state.appends) {
      Text(field);
      Varint(append.entries.size());  // keys follow from each entry's id and version
      for (const auto& [key, entry] : append.entries) Written(entry);
      Varint(append.seen.size());
      for (const auto& [key, seen] : append.seen) {
        Text(key);
        Versions(seen);
      }
    }
    Varint(state.sets.size());
    for (const auto& [field, set] : state.sets) {
      Text(field);
      Varint(set.elements.size());  // keys are each value's canonical text
      for (const auto& [key, element] : set.elements) {
        Value(element.value);
        Causes(element.adds);
        Causes(element.removes);
      }
    }
    Varint(state.deletions.size());
    for (const auto& deletion : state.deletions) {
      Version(deletion.version);
      Name(deletion.author);
      Varint(deletion.seen.size());
      for (const auto& [field, vector] : deletion.seen) {
        Text(field);
        Vector(vector);
      }
      Versions(deletion.seen_items);
    }
    Vector(state.deletions_seen);
  }

  const NameTable& names() const { return names_; }

 private:
  void Causes(const std::map<model::Version, std::vector<model::Version>>& causes) {
    Varint(causes.size());
    for (const auto& [version, seen] : causes) {
      Version(version);
      Versions(seen);
    }
  }

  std::string& out_;
  std::string scratch_;
  NameTable names_;
};

class Unpacker : public Reader {
 public:
  explicit Unpacker(std::string_view bytes) : Reader(bytes), budget_(bytes.size()) {}

  void Charge(std::size_t bytes) { budget_.Charge(bytes); }
  std::string Text() {
    const std::string_view text = TextView();
    Charge(sizeof(std::string) + text.size());
    return std::string(text);
  }
  model::Json Value() {
    std::string_view text = Bytes();
    Charge(sizeof(model::Json) + 2 * text.size());
    Require(IsUtf8(text), "text is not UTF-8");
    model::Json value;
    if (!ReadPlainJson(text, value)) {
      value = model::Json::parse(text, nullptr, /*allow_exceptions=*/false);
      Require(!value.is_discarded(), "value is not JSON");
    }
    Require(!value.is_structured() || model::JsonWithinLimits(value), "value nests too deep");
    return value;
  }
  const std::string& Name() {
    const std::uint64_t index = Varint();
    Require(index < names_.size(), "name index beyond the table");
    const std::string& name = names_[static_cast<std::size_t>(index)];
    Charge(sizeof(std::string) + name.size());  // its caller copies it
    return name;
  }
  model::Version Version() {
    model::Version version;
    version.hlc = Clock();
    version.device_id = Name();
    return version;
  }
  std::vector<model::Version> Versions() {
    std::vector<model::Version> versions;
    const std::size_t count = Count();
    for (std::size_t i = 0; i < count; ++i) {
      Charge(sizeof(model::Version));
      versions.push_back(Version());
    }
    return versions;
  }
  model::VersionVector Vector() {
    const std::size_t count = Count();
    std::vector<model::VersionVector::Entry> entries;  // grown as read: a count may be forged
    for (std::size_t i = 0; i < count; ++i) {
      Charge(sizeof(model::VersionVector::Entry));
      const std::string& device = Name();
      entries.emplace_back(device, Clock());
    }
    model::VersionVector vector;
    Require(vector.Assign(std::move(entries)), "version vector devices unsorted or repeated");
    return vector;
  }
  model::Candidate Written() {
    Charge(sizeof(model::Candidate));
    model::Candidate candidate;
    candidate.value = Value();
    candidate.version = Version();
    candidate.author = Name();
    return candidate;
  }

  void State(model::RecordState& state) {
    const std::size_t names = Count();
    Require(names <= kMaxNames, "too many names");
    for (std::size_t i = 0; i < names; ++i) names_.push_back(Text());
    state.id = Text();
    state.collection = Text();
    state.team = Text();
    state.schema_version = Text();
    for (std::size_t i = 0, n = Count(); i < n; ++i) {
      model::RegisterState& reg = Fresh(state.registers, Text());
      for (std::size_t j = 0, m = Count(); j < m; ++j) reg.candidates.push_back(Written());
      reg.seen = Vector();
    }
    for (std::size_t i = 0, n = Count(); i < n; ++i) {
      model::AppendState& append = Fresh(state.appends, Text());
      for (std::size_t j = 0, m = Count(); j < m; ++j) {
        model::Candidate entry = Written();
        const auto id = entry.value.is_object() ? entry.value.find("id") : entry.value.end();
        Require(id != entry.value.end() && id->is_string(), "append entry without an id");
        Fresh(append.entries, model::AppendKey(id->get_ref<const std::string&>(), entry.version)) =
            std::move(entry);
      }
      for (std::size_t j = 0, m = Count(); j < m; ++j) {
        std::vector<model::Version>& seen = Fresh(append.seen, Text());
        seen = Versions();
      }
    }
    for (std::size_t i = 0, n = Count(); i < n; ++i) {
      model::SetState& set = Fresh(state.sets, Text());
      for (std::size_t j = 0, m = Count(); j < m; ++j) {
        model::Json value = Value();
        model::SetElement& element = Fresh(set.elements, model::CanonicalJson(value));
        element.value = std::move(value);
        Causes(element.adds);
        Causes(element.removes);
      }
    }
    for (std::size_t i = 0, n = Count(); i < n; ++i) {
      Charge(sizeof(model::Deletion));
      model::Deletion& deletion = state.deletions.emplace_back();
      deletion.version = Version();
      deletion.author = Name();
      for (std::size_t j = 0, m = Count(); j < m; ++j) {
        model::VersionVector& seen = Fresh(deletion.seen, Text());
        seen = Vector();
      }
      deletion.seen_items = Versions();
    }
    state.deletions_seen = Vector();
    Require(AtEnd(), "trailing bytes");
  }

 private:
  // A new entry of `map` under `key`: a repeated key is forged (an honest packer writes a map).
  template <typename Map>
  typename Map::mapped_type& Fresh(Map& map, typename Map::key_type key) {
    Charge(sizeof(typename Map::value_type) + 32);  // the node
    auto [it, inserted] = map.try_emplace(std::move(key));
    Require(inserted, "repeated key");
    return it->second;
  }
  void Causes(std::map<model::Version, std::vector<model::Version>>& causes) {
    for (std::size_t i = 0, n = Count(); i < n; ++i) {
      model::Version version = Version();
      Fresh(causes, std::move(version)) = Versions();
    }
  }

  std::vector<std::string> names_;
  DecodeBudget budget_;
};

// ScanSimpleRecord's reading; nullopt as soon as the record is not simple.
class Scanner {
 public:
  // `size`: the bytes `in` reads (the decoder's budget follows from them).
  Scanner(Reader& in, std::size_t size) : in_(in), budget_(size) {}

  std::optional<protocol::SimpleRecord> Scan() {
    const std::size_t names = in_.Count();
    Require(names <= kMaxNames, "too many names");
    names_.resize(names);
    for (std::string_view& name : names_) name = Text();
    record_.id = Text();
    record_.collection = Text();
    Text();  // team
    Text();  // schema version
    if (!Registers() || !Appends() || !Sets()) return std::nullopt;
    if (in_.Count() != 0 || in_.Count() != 0) return std::nullopt;  // deletions, their context
    if (!in_.AtEnd()) return std::nullopt;
    // One name in two kinds of field: the decoded path settles which shows.
    std::sort(record_.fields.begin(), record_.fields.end(),
              [](const auto& a, const auto& b) { return a.name < b.name; });
    for (std::size_t i = 1; i < record_.fields.size(); ++i) {
      if (record_.fields[i - 1].name == record_.fields[i].name) return std::nullopt;
    }
    return std::move(record_);
  }

 private:
  // Each read charges what the decoder allocates for it (Unpacker), so a record whose decode
  // would go beyond its budget is not simple: the decoder refuses it.
  std::string_view Text() {
    const std::string_view text = in_.TextView();
    budget_.Charge(sizeof(std::string) + text.size());
    return text;
  }
  std::string_view Value() {
    const std::string_view text = in_.Bytes();
    budget_.Charge(sizeof(model::Json) + 2 * text.size());
    return text;
  }
  std::string_view Name() {
    const std::uint64_t index = in_.Varint();
    Require(index < names_.size(), "name index beyond the table");
    const std::string_view name = names_[static_cast<std::size_t>(index)];
    budget_.Charge(sizeof(std::string) + name.size());
    return name;
  }
  // A written value's clock, device and author (after its value): what a candidate holds.
  model::Hlc Written() {
    budget_.Charge(sizeof(model::Candidate));
    const model::Hlc hlc = in_.Clock();
    Name();  // the writer's device
    Name();  // its author
    return hlc;
  }
  // A map's node, as the decoder makes one for each key.
  template <typename Map>
  void Node() {
    budget_.Charge(sizeof(typename Map::value_type) + 32);
  }
  void Consider(const model::Hlc& hlc) { record_.newest = std::max(record_.newest, hlc); }
  // A version, in order after `previous` (a map's keys, a vector's sorted entries).
  bool VersionAfter(std::optional<std::pair<model::Hlc, std::string_view>>& previous) {
    const model::Hlc hlc = in_.Clock();
    const std::string_view device = Name();
    const auto version = std::make_pair(hlc, device);
    if (previous.has_value() && !(*previous < version)) return false;
    previous = version;
    return true;
  }
  // A field's name, in order after the one before of its kind (each kind is a map).
  bool FieldName(std::string_view& previous, bool first, std::string_view& name) {
    name = Text();
    if (!first && !(previous < name)) return false;
    previous = name;
    return true;
  }

  bool Registers() {
    std::string_view previous;
    for (std::size_t i = 0, n = in_.Count(); i < n; ++i) {
      protocol::SimpleField field;
      if (!FieldName(previous, i == 0, field.name)) return false;
      Node<decltype(model::RecordState::registers)>();
      if (in_.Count() != 1) return false;  // no value, or a conflict
      field.text = Value();
      if (!ReadDumpedFlatValue(field.text)) return false;
      Written();
      std::string_view device;
      for (std::size_t j = 0, seen = in_.Count(); j < seen; ++j) {
        budget_.Charge(sizeof(model::VersionVector::Entry));
        const std::string_view next = Name();
        if (j > 0 && !(device < next)) return false;  // unsorted: the decode refuses it
        device = next;
        Consider(in_.Clock());
      }
      record_.fields.push_back(field);
    }
    return true;
  }

  // Append fields of one entry that corrects nothing: that entry is what the field shows.
  bool Appends() {
    std::string_view previous;
    for (std::size_t i = 0, n = in_.Count(); i < n; ++i) {
      protocol::SimpleField field;
      field.list = true;
      if (!FieldName(previous, i == 0, field.name)) return false;
      Node<decltype(model::RecordState::appends)>();
      if (in_.Count() != 1) return false;
      const std::string_view entry = Value();
      const auto read = ReadDumpedFlatValue(entry);
      if (!read || !read->object || !read->string_id || read->supersedes) return false;
      Consider(Written());
      Node<decltype(model::AppendState::entries)>();
      if (in_.Count() != 0) return false;  // versions its author had seen
      field.first = record_.items.size();
      field.count = 1;
      record_.items.push_back(entry);
      record_.fields.push_back(field);
    }
    return true;
  }

  // Set fields whose elements were only ever added: each element shows, in key order.
  bool Sets() {
    std::string_view previous;
    for (std::size_t i = 0, n = in_.Count(); i < n; ++i) {
      protocol::SimpleField field;
      field.list = true;
      if (!FieldName(previous, i == 0, field.name)) return false;
      Node<decltype(model::RecordState::sets)>();
      field.first = record_.items.size();
      std::string_view previous_element;
      for (std::size_t j = 0, m = in_.Count(); j < m; ++j) {
        // Without numbers, an element's key (its canonical text) is its dumped text.
        const std::string_view element = Value();
        if (!ReadDumpedFlatValue(element)) return false;
        Node<decltype(model::SetState::elements)>();
        if (j > 0 && !(previous_element < element)) return false;
        previous_element = element;
        const std::size_t adds = in_.Count();
        if (adds == 0) return false;
        std::optional<std::pair<model::Hlc, std::string_view>> previous_add;
        for (std::size_t k = 0; k < adds; ++k) {
          if (!VersionAfter(previous_add)) return false;
          Node<decltype(model::SetElement::adds)>();
          Consider(previous_add->first);
          std::optional<std::pair<model::Hlc, std::string_view>> previous_seen;
          for (std::size_t l = 0, seen = in_.Count(); l < seen; ++l) {
            budget_.Charge(sizeof(model::Version));
            if (!VersionAfter(previous_seen)) return false;
          }
        }
        if (in_.Count() != 0) return false;  // removals
        record_.items.push_back(element);
      }
      field.count = record_.items.size() - field.first;
      record_.fields.push_back(field);
    }
    return true;
  }

  Reader& in_;
  DecodeBudget budget_;
  std::vector<std::string_view> names_;
  protocol::SimpleRecord record_;
};

}  // namespace

std::string PackRecord(const model::RecordState& state) {
  std::string body;
  Packer packer(body);
  packer.State(state);
  std::string out;
  const auto& names = packer.names().names();
  std::size_t table = 10;
  for (const std::string* name : names) table += name->size() + 2;
  out.reserve(kPackedRecordMagic.size() + table + body.size());
  out.append(kPackedRecordMagic);
  Packer head(out);
  head.Varint(names.size());
  for (const std::string* name : names) head.Text(*name);
  out += body;
  return out;
}

void UnpackRecord(std::string_view bytes, model::RecordState& state) {
  Require(IsPackedRecord(bytes), "not a packed record");
  Unpacker(bytes.substr(kPackedRecordMagic.size())).State(state);
}

}  // namespace outreach::protocol::internal

namespace outreach::protocol {

std::optional<SimpleRecord> ScanSimpleRecord(std::string_view bytes) {
  if (!internal::IsPackedRecord(bytes)) return std::nullopt;
  const std::string_view body = bytes.substr(internal::kPackedRecordMagic.size());
  internal::Reader in(body);
  try {
    return internal::Scanner(in, body.size()).Scan();
  } catch (const internal::DecodeError&) {
    return std::nullopt;
  }
}

}  // namespace outreach::protocol
