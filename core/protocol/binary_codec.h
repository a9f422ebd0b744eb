// The devices' encoding of sync messages: a 7-byte header ("OSYN", major, minor, kind) and a
// zstd frame holding a cereal portable binary archive. The header is readable without
// decompressing, so a peer of another major version gets a clear refusal rather than garbage.
// Decoding never trusts a length: input that is not a valid message is invalid_argument, never
// a crash or a huge allocation.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/base/status.h"
#include "core/protocol/messages.h"

namespace outreach::protocol {

struct DecodeLimits {
  // Bodies are at most 16 MiB on the wire (server limit); zstd of a batch of records rarely
  // beats 10x, so 256 MiB bounds what a decode reads. A packed record decodes to at most 32
  // times its bytes (packed_record.cc): a decode's memory is bounded by that factor.
  std::size_t max_decompressed_bytes = 256 * 1024 * 1024;
};

std::string EncodeBinary(const SyncRequest& request);
// A device's push: `encoded_changes` (EncodeChange bytes, as its outbox stores them) are
// written after `request.changes`, as they are.
std::string EncodeBinary(const SyncRequest& request,
                         std::span<const std::string> encoded_changes);
// A push's changes (EncodeChange bytes) compressed on their own, ahead of the request that
// carries them: a device reads and compresses its next batch while the answer before it is on
// its way, and that answer gives the request's cursor. A request body is a frame of its head,
// this frame, and a frame of its tail; zstd reads concatenated frames as one stream, so the
// archive is the one a single frame would hold (any server of this major reads it).
struct CompressedChanges {
  std::string frame;  // empty when there are none
  std::size_t count = 0;
};
CompressedChanges CompressChanges(std::span<const std::string> encoded_changes);
std::string EncodeBinary(const SyncRequest& request, const CompressedChanges& changes);

std::string EncodeBinary(const SyncResponse& response);
// The server's pull path: `encoded_records` (EncodeRecordState bytes, as it stores them) are
// sent after `response.records` as they are, to a reader of this version.
std::string EncodeBinary(const SyncResponse& response,
                         std::span<const std::string> encoded_records);
// The same for a request written in `written`: the header says `response.version` (the
// server's own, so a device learns it may write newer), and the records are in the form the
// older of the two reads (packed from 1.3; before, the archive form, into which packed records
// are turned). invalid_argument: a stored record does not read (the store is damaged).
Result<std::string> EncodeBinaryFor(const SyncResponse& response,
                                    std::span<const std::string> encoded_records,
                                    ProtocolVersion written);

// invalid_argument: malformed; failed_precondition: another major version (the message names
// both); resource_exhausted: decompresses beyond the limit.
Result<SyncRequest> DecodeBinaryRequest(std::string_view body, const DecodeLimits& limits = {});

// The same decode in steps, so a server can check and apply a push's first changes while the
// rest are still being read: the head (version, cursor, page size, how many changes) at Open,
// then each change (Next), then the tail (Finish: schemas_hash, and nothing after it). Errors
// as DecodeBinaryRequest's; after one, the reader reads nothing more. One thread at a time
// (any one); the body need not outlive Open (the reader keeps the decompressed archive).
class BinaryRequestReader {
 public:
  static Result<std::unique_ptr<BinaryRequestReader>> Open(std::string_view body,
                                                           const DecodeLimits& limits = {});
  ~BinaryRequestReader();
  BinaryRequestReader(const BinaryRequestReader&) = delete;
  BinaryRequestReader& operator=(const BinaryRequestReader&) = delete;

  // The request as far as its head: no changes, no schemas_hash.
  const SyncRequest& head() const;
  // How many changes follow the head (each took at least a byte of the archive).
  std::size_t change_count() const;
  // Reads the next change into `change`; failed_precondition once all were read.
  Status Next(model::Change& change);
  // After the last change: the schemas_hash (empty from a 1.0 request).
  Result<std::string> Finish();

 private:
  struct State;
  explicit BinaryRequestReader(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};
// `stored_records`, if given, receives each record's bytes as they came (EncodeRecordState's
// form, checked by the decode), in the order of `records`: a device stores them as they are.
// `written`: the version the request was written in; the records are in the form the older
// of it and the answer's header reads (EncodeBinaryFor).
// `leave_packed` (with `stored_records`): packed records are not decoded; `records` stays
// empty and `stored_records` receives their bytes unchecked, for the device to read each
// (ScanSimpleRecord, or DecodeRecordState, which checks them). Records in archive form are
// decoded whole.
Result<SyncResponse> DecodeBinaryResponse(std::string_view body,
                                          const DecodeLimits& limits = {},
                                          std::vector<std::string>* stored_records = nullptr,
                                          bool leave_packed = false,
                                          ProtocolVersion written = kProtocolVersion);

// A response's head (results, cursor, has_more, server time, directives, schemas hash), its
// records left undecoded (`records` stays empty): enough to ask for the next page while this
// one is decoded. A head longer than kResponseHeadBytes (a push's answer of very many results)
// is invalid_argument here; DecodeBinaryResponse reads it.
inline constexpr std::size_t kResponseHeadBytes = 64 * 1024;
Result<SyncResponse> DecodeBinaryResponseHead(std::string_view body);

// One record state, packed (internal/packed_record.h), uncompressed: how the server and the
// devices store it (a device's views and confirmed states, the server's records). Decoding
// also reads the archive form that states were stored in before 1.3.
std::string EncodeRecordState(const model::RecordState& state);
Result<model::RecordState> DecodeRecordState(std::string_view bytes);
// What storing a pulled record new to a device takes, read in place from a simple packed
// record (1.3): every register holds one value, every append field one entry that corrects
// nothing (no "supersedes"), every set field only elements added and never removed; no
// deletion; and every value's text is what dump() writes for a value without numbers or
// nesting (a string, a boolean, or an object of those). Nearly every record a device pulls is
// one; building its state cost more than the rest of storing it.
struct SimpleField {
  std::string_view name;
  bool list = false;      // an append or set field, showing `items` [first, first + count)
  std::string_view text;  // a register's value, as dump() writes it
  std::size_t first = 0;
  std::size_t count = 0;
};
struct SimpleRecord {
  std::string_view id;
  std::string_view collection;
  model::Hlc newest;                     // the highest reading in it
  std::vector<SimpleField> fields;       // in name order, each name once
  std::vector<std::string_view> items;   // append entries and set elements, as dump() writes them
};
// nullopt unless `bytes` is a simple packed record that DecodeRecordState reads, to a state
// made of exactly these fields: anything else is for DecodeRecordState to read or refuse. The
// views point into `bytes`.
std::optional<SimpleRecord> ScanSimpleRecord(std::string_view bytes);

// True only if both are packed states and the first holds everything the second does
// (merge::JoinContains of their decodes), read without decoding either. False also where that
// is not cheaply sure (deletions, values equal as JSON but written differently): the caller then
// decodes. It reads their structure, not their values: give it only bytes already read as a
// state (ScanSimpleRecord or DecodeRecordState), as a store's are. internal/packed_contains.cc.
bool PackedStateContains(std::string_view theirs, std::string_view mine);

// One change in the archive form, uncompressed: how a device keeps its outbox.
std::string EncodeChange(const model::Change& change);
Result<model::Change> DecodeChange(std::string_view bytes);
// Only the head of a stored change (ids, collection, team, schema version, kind, version): what
// bookkeeping needs, without reading its writes. The other fields are left empty.
Result<model::Change> DecodeChangeHead(std::string_view bytes);

}  // namespace outreach::protocol
