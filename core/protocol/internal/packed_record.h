// The packed form of a record state (protocol 1.3): how the server and devices store a record,
// and how a 1.3 message carries one. The archive form of 1.0-1.2 spent 8 bytes on every count
// and wrote every device id and author (36 characters) again for each field, so a 1 KB contact
// record took 3.9 KB and spilled onto two overflow pages of SQLite. Packed: counts are varints,
// device ids and authors are written once in a table and then named by their index, and the
// keys of append entries and set elements are not written (they follow from the values).
//
// A packed state starts with kPackedRecordMagic. An archive-form state starts with its id's
// length as 8 little-endian bytes, whose fourth byte is 0 for any id under 16 MiB: so the two
// forms are told apart by their first bytes, and records stored before 1.3 still read.
#pragma once

#include <string>
#include <string_view>

#include "core/model/record_state.h"

namespace outreach::protocol::internal {

inline constexpr std::string_view kPackedRecordMagic{"\xFF\xFF\xFF\x02", 4};

inline bool IsPackedRecord(std::string_view bytes) {
  return bytes.substr(0, kPackedRecordMagic.size()) == kPackedRecordMagic;
}

// Deterministic: equal states give equal bytes.
std::string PackRecord(const model::RecordState& state);

// Throws DecodeError (model_archive.h) for bytes that are not a packed state. Checks what the
// archive reader checks (UTF-8, JSON, clock range, version vector order, counts against the
// bytes left); the shape checks of binary_codec.cc are the caller's.
void UnpackRecord(std::string_view bytes, model::RecordState& state);

}  // namespace outreach::protocol::internal
