#include "core/protocol/internal/model_archive.h"

#include <limits>

#include "core/model/record_codec.h"
#include "core/protocol/internal/plain_json.h"

namespace outreach::protocol::internal {
namespace {

thread_local const std::streambuf* current_input = nullptr;

// A streambuf's unread bytes. in_avail is protected-free and cheap for a memory buffer.
std::size_t BytesLeft() {
  if (current_input == nullptr) return std::numeric_limits<std::size_t>::max();
  const auto left = const_cast<std::streambuf*>(current_input)->in_avail();
  return left > 0 ? static_cast<std::size_t>(left) : 0;
}

template <typename Archive, typename... Fields>
void IoAll(Archive& ar, Fields&... fields) {
  (Io(ar, fields), ...);
}

}  // namespace

std::size_t BytesLeftToRead() { return BytesLeft(); }

InputBounds::InputBounds(const std::streambuf* buffer) : outer_(current_input) {
  current_input = buffer;
}
// A record in archive form inside a 1.3 message is read with bounds of its own, then the
// message's bounds hold again.
InputBounds::~InputBounds() { current_input = outer_; }

void WriteCount(OutArchive& ar, std::size_t count) {
  ar(static_cast<std::uint64_t>(count));
}

std::size_t ReadCount(InArchive& ar) {
  std::uint64_t count = 0;
  ar(count);
  // Every element takes at least one byte, so more elements than bytes left is a lie.
  if (count > BytesLeft()) throw DecodeError{"count beyond the end of the message"};
  return static_cast<std::size_t>(count);
}

void Io(OutArchive& ar, const std::string& value) {
  WriteCount(ar, value.size());
  ar(cereal::binary_data(value.data(), value.size()));
}

void Io(InArchive& ar, std::string& value) {
  value.resize(ReadCount(ar));
  ar(cereal::binary_data(value.data(), value.size()));
  // Every string of a message is text (ids, names, JSON). Bytes that are not UTF-8 would be
  // stored, then make every JSON encoding of the record throw on every device of the team.
  if (!IsUtf8(value)) throw DecodeError{"text is not UTF-8"};
}

void Io(OutArchive& ar, const model::Json& value) {
  // Most values are plain (plain_json.h): written without the serializer, byte for byte what
  // dump() writes (tested). Text that is not UTF-8 goes to dump(), which refuses it.
  std::string text;
  if (!WritePlainJson(value, IsUtf8, text)) text = value.dump();
  Io(ar, text);
}

void Io(InArchive& ar, model::Json& value) {
  std::string text;
  Io(ar, text);
  if (!ReadPlainJson(text, value)) {
    value = model::Json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (value.is_discarded()) throw DecodeError{"value is not JSON"};
  }
  if (value.is_structured() && !model::JsonWithinLimits(value)) {
    throw DecodeError{"value nests too deep"};
  }
}

void Io(OutArchive& ar, const model::Hlc& value) { ar(value.physical_ms, value.counter); }

void Io(InArchive& ar, model::Hlc& value) {
  ar(value.physical_ms, value.counter);
  if (!value.IsValid()) throw DecodeError{"clock reading out of range"};
}

void Io(OutArchive& ar, const model::VersionVector& value) {
  WriteCount(ar, value.entries().size());
  for (const auto& [device, hlc] : value.entries()) {
    Io(ar, device);
    Io(ar, hlc);
  }
}
void Io(InArchive& ar, model::VersionVector& value) {
  // Written as a map: a count, then each device and its HLC, sorted and distinct.
  const std::size_t count = ReadCount(ar);
  std::vector<model::VersionVector::Entry> entries;  // grown as read: a count may be forged
  for (std::size_t i = 0; i < count; ++i) {
    auto& [device, hlc] = entries.emplace_back();
    Io(ar, device);
    Io(ar, hlc);
  }
  if (!value.Assign(std::move(entries))) {
    throw DecodeError{"version vector devices unsorted or repeated"};
  }
}

// Structs: one field list serves both directions (`value` is const when writing).
#define OUTREACH_ARCHIVE_FIELDS(Type, ...)                                  \
  void Io(OutArchive& ar, const Type& value) { IoAll(ar, __VA_ARGS__); } \
  void Io(InArchive& ar, Type& value) { IoAll(ar, __VA_ARGS__); }

OUTREACH_ARCHIVE_FIELDS(model::Version, value.hlc, value.device_id)
OUTREACH_ARCHIVE_FIELDS(model::Candidate, value.value, value.version, value.author)
OUTREACH_ARCHIVE_FIELDS(model::RegisterState, value.candidates, value.seen)
OUTREACH_ARCHIVE_FIELDS(model::AppendState, value.entries, value.seen)
OUTREACH_ARCHIVE_FIELDS(model::SetElement, value.value, value.adds, value.removes)
OUTREACH_ARCHIVE_FIELDS(model::SetState, value.elements)
OUTREACH_ARCHIVE_FIELDS(model::Deletion, value.version, value.author, value.seen,
                        value.seen_items)
OUTREACH_ARCHIVE_FIELDS(model::RecordState, value.id, value.collection, value.team,
                        value.schema_version, value.registers, value.appends, value.sets,
                        value.deletions, value.deletions_seen)
OUTREACH_ARCHIVE_FIELDS(model::RegisterWrite, value.value, value.base)
OUTREACH_ARCHIVE_FIELDS(model::AppendWrite, value.entries, value.seen)
OUTREACH_ARCHIVE_FIELDS(model::SetRemoval, value.value, value.observed_adds)
OUTREACH_ARCHIVE_FIELDS(model::SetWrite, value.added, value.added_seen_removals, value.removed)
#undef OUTREACH_ARCHIVE_FIELDS

void Io(OutArchive& ar, const model::Change& value) {
  IoAll(ar, value.change_id, value.record_id, value.collection, value.team, value.schema_version);
  ar(static_cast<std::uint8_t>(value.kind));
  IoAll(ar, value.version, value.author, value.author_role, value.reason, value.registers,
        value.appends, value.sets, value.delete_seen, value.delete_seen_items,
        value.deletion_base);
}

void ReadChangeHead(InArchive& ar, model::Change& value) {
  IoAll(ar, value.change_id, value.record_id, value.collection, value.team, value.schema_version);
  std::uint8_t kind = 0;
  ar(kind);
  if (kind < static_cast<std::uint8_t>(model::ChangeKind::kCreate) ||
      kind > static_cast<std::uint8_t>(model::ChangeKind::kRestore)) {
    throw DecodeError{"unknown change kind"};
  }
  value.kind = static_cast<model::ChangeKind>(kind);
  Io(ar, value.version);
}

void Io(InArchive& ar, model::Change& value) {
  ReadChangeHead(ar, value);
  IoAll(ar, value.author, value.author_role, value.reason, value.registers, value.appends,
        value.sets, value.delete_seen, value.delete_seen_items, value.deletion_base);
}

}  // namespace outreach::protocol::internal
