// Reading and writing the model's types (versions, record states, changes) in cereal's portable
// binary archive. Every container is walked by hand rather than with cereal's std:: support:
// a size read from the network is checked against the bytes actually left before anything is
// allocated, so a lying length fails the decode instead of exhausting memory.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <cereal/archives/portable_binary.hpp>

#include "core/model/change.h"
#include "core/model/record_state.h"

namespace outreach::protocol::internal {

using OutArchive = cereal::PortableBinaryOutputArchive;
using InArchive = cereal::PortableBinaryInputArchive;

// Thrown (inside the protocol library only) for bytes that do not form a valid message; the
// decoders turn it, and cereal's own exceptions, into invalid_argument.
struct DecodeError {
  const char* what;
};

// While alive, bounds the sizes InArchive reads on this thread by the bytes left in `buffer`.
class InputBounds {
 public:
  explicit InputBounds(const std::streambuf* buffer);
  ~InputBounds();
  InputBounds(const InputBounds&) = delete;
  InputBounds& operator=(const InputBounds&) = delete;

 private:
  const std::streambuf* outer_;  // the bounds this one nests in, restored when it ends
};

// The bytes InputBounds' buffer has left to read (the position of the next field).
std::size_t BytesLeftToRead();

// One pair per type: writing takes a const value, reading fills a default-constructed one.
#define OUTREACH_ARCHIVE_IO(Type)             \
  void Io(OutArchive& ar, const Type& value); \
  void Io(InArchive& ar, Type& value);
OUTREACH_ARCHIVE_IO(std::string)
OUTREACH_ARCHIVE_IO(model::Json)
OUTREACH_ARCHIVE_IO(model::Hlc)
OUTREACH_ARCHIVE_IO(model::Version)
OUTREACH_ARCHIVE_IO(model::VersionVector)
OUTREACH_ARCHIVE_IO(model::Candidate)
OUTREACH_ARCHIVE_IO(model::RegisterState)
OUTREACH_ARCHIVE_IO(model::AppendState)
OUTREACH_ARCHIVE_IO(model::SetElement)
OUTREACH_ARCHIVE_IO(model::SetState)
OUTREACH_ARCHIVE_IO(model::Deletion)
OUTREACH_ARCHIVE_IO(model::RecordState)
OUTREACH_ARCHIVE_IO(model::RegisterWrite)
OUTREACH_ARCHIVE_IO(model::AppendWrite)
OUTREACH_ARCHIVE_IO(model::SetRemoval)
OUTREACH_ARCHIVE_IO(model::SetWrite)
OUTREACH_ARCHIVE_IO(model::Change)
#undef OUTREACH_ARCHIVE_IO

// A change's head: its ids, collection, team, schema version, kind and version, the fields
// written first; the rest (author, reason, writes) is left unread.
void ReadChangeHead(InArchive& ar, model::Change& value);

// Counts written before containers; on reading, checked against the bytes left.
void WriteCount(OutArchive& ar, std::size_t count);
std::size_t ReadCount(InArchive& ar);

// Declared before they are defined so each can hold the other (a map of vectors).
template <typename T>
void Io(OutArchive& ar, const std::vector<T>& values);
template <typename T>
void Io(InArchive& ar, std::vector<T>& values);
template <typename K, typename V>
void Io(OutArchive& ar, const std::map<K, V>& values);
template <typename K, typename V>
void Io(InArchive& ar, std::map<K, V>& values);

template <typename T>
void Io(OutArchive& ar, const std::vector<T>& values) {
  WriteCount(ar, values.size());
  for (const T& value : values) Io(ar, value);
}
template <typename T>
void Io(InArchive& ar, std::vector<T>& values) {
  const std::size_t count = ReadCount(ar);
  values.clear();
  for (std::size_t i = 0; i < count; ++i) Io(ar, values.emplace_back());
}

template <typename K, typename V>
void Io(OutArchive& ar, const std::map<K, V>& values) {
  WriteCount(ar, values.size());
  for (const auto& [key, value] : values) {
    Io(ar, key);
    Io(ar, value);
  }
}
template <typename K, typename V>
void Io(InArchive& ar, std::map<K, V>& values) {
  const std::size_t count = ReadCount(ar);
  values.clear();
  for (std::size_t i = 0; i < count; ++i) {
    K key;
    Io(ar, key);
    V& value = values[key];
    // Keys arrive sorted and distinct from an honest encoder; anything else is forged.
    if (values.size() != i + 1) throw DecodeError{"duplicate map key"};
    Io(ar, value);
  }
}

}  // namespace outreach::protocol::internal
