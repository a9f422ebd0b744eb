#include "core/protocol/binary_codec.h"

#include <algorithm>
#include <exception>
#include <optional>
#include <ostream>
#include <streambuf>

#include "core/model/canonical_json.h"
#include "core/protocol/internal/model_archive.h"
#include "core/protocol/internal/packed_record.h"
#include "core/protocol/internal/spare_buffers.h"
#include "core/protocol/internal/zstd_frame.h"

namespace outreach::protocol {
namespace {

using internal::DecodeError;
using internal::InArchive;
using internal::Io;
using internal::OutArchive;

constexpr std::string_view kMagic = "OSYN";
constexpr std::size_t kHeaderSize = kMagic.size() + 3;
enum class MessageKind : std::uint8_t { kSyncRequest = 1, kSyncResponse = 2 };

// Appends to a string without the copies an ostringstream makes.
class StringSink : public std::streambuf {
 public:
  explicit StringSink(std::string& out) : out_(out) {}

 protected:
  std::streamsize xsputn(const char* data, std::streamsize size) override {
    out_.append(data, static_cast<std::size_t>(size));
    return size;
  }
  int_type overflow(int_type c) override {
    if (c != traits_type::eof()) out_.push_back(static_cast<char>(c));
    return c;
  }

 private:
  std::string& out_;
};

// Reads a byte range in place.
class MemorySource : public std::streambuf {
 public:
  explicit MemorySource(std::string_view bytes) {
    char* begin = const_cast<char*>(bytes.data());
    setg(begin, begin, begin + bytes.size());
  }
};

template <typename Write>
std::string Archive(Write&& write) {
  std::string out;
  StringSink sink(out);
  std::ostream stream(&sink);
  {
    // Always little-endian, whatever the host: stored record states are embedded in messages
    // byte for byte, so every archive must agree.
    OutArchive ar(stream, OutArchive::Options::LittleEndian());
    write(ar);
  }
  return out;
}

// Runs `read` over `bytes`; every failure becomes invalid_argument. The whole input must be
// consumed: trailing bytes mean the peer and we disagree on the format — unless
// `newer_minor`: a peer of a higher minor of our major appends the fields it added, which we
// skip (forward compatibility within a major).
template <typename Read>
Status Unarchive(std::string_view bytes, Read&& read, bool newer_minor = false) {
  MemorySource source(bytes);
  std::istream stream(&source);
  internal::InputBounds bounds(&source);
  try {
    InArchive ar(stream);
    read(ar);
  } catch (const DecodeError& error) {
    return InvalidArgumentError(std::string("malformed message: ") + error.what);
  } catch (const std::exception&) {
    // cereal: reading past the end; std: a count that passed the bounds but not memory.
    return InvalidArgumentError("malformed message: truncated or inconsistent");
  }
  if (source.in_avail() != 0 && !newer_minor) {
    return InvalidArgumentError("malformed message: trailing bytes");
  }
  return Status::Ok();
}

void Require(bool condition, const char* what) {
  if (!condition) throw DecodeError{what};
}

template <typename T, typename Less>
bool StrictlySorted(const std::vector<T>& items, Less less) {
  return std::adjacent_find(items.begin(), items.end(), [&](const T& a, const T& b) {
           return !less(a, b);
         }) == items.end();
}

// The invariants merge relies on that the archive format alone cannot express (the JSON decoder
// checks the same ones, core/model/record_codec.cc).
void CheckShape(const model::RecordState& state) {
  for (const auto& [field, reg] : state.registers) {
    Require(StrictlySorted(reg.candidates,
                           [](const model::Candidate& a, const model::Candidate& b) {
                             return a.version < b.version;
                           }),
            "register candidates out of order");
  }
  for (const auto& [field, append] : state.appends) {
    for (const auto& [key, entry] : append.entries) {
      Require(entry.value.is_object() && entry.value.contains("id") &&
                  entry.value["id"].is_string() &&
                  key == model::AppendKey(entry.value["id"].get<std::string>(), entry.version),
              "append entry key");
    }
    for (const auto& [key, seen] : append.seen) {
      Require(append.entries.count(key) == 1, "append seen key");
      Require(std::is_sorted(seen.begin(), seen.end()), "append seen order");
    }
  }
  for (const auto& [field, set] : state.sets) {
    for (const auto& [key, element] : set.elements) {
      Require(key == model::CanonicalJson(element.value), "set element key");
    }
  }
  Require(StrictlySorted(state.deletions,
                         [](const model::Deletion& a, const model::Deletion& b) {
                           return a.version < b.version;
                         }),
          "deletions out of order");
}

void CheckShape(const model::Change& change) {
  for (const auto& [field, write] : change.sets) {
    Require(write.added_seen_removals.empty() ||
                write.added_seen_removals.size() == write.added.size(),
            "set write");
  }
}

std::string Frame(MessageKind kind, ProtocolVersion version, const std::string& archive) {
  std::string out(kMagic);
  out.push_back(static_cast<char>(version.major));
  out.push_back(static_cast<char>(version.minor));
  out.push_back(static_cast<char>(kind));
  out += internal::Compress(archive);
  return out;
}

// The 7-byte header: ours, of our major version, of `kind`.
Status CheckHeader(std::string_view body, MessageKind kind) {
  if (body.size() < kHeaderSize || body.substr(0, kMagic.size()) != kMagic) {
    return InvalidArgumentError("malformed message: not an outreach sync body");
  }
  const ProtocolVersion version{static_cast<std::uint8_t>(body[4]),
                                static_cast<std::uint8_t>(body[5])};
  if (version.major != kProtocolVersion.major) {
    return FailedPreconditionError("unsupported protocol version " + VersionString(version) +
                                   "; this peer speaks " + VersionString(kProtocolVersion));
  }
  if (static_cast<std::uint8_t>(body[6]) != static_cast<std::uint8_t>(kind)) {
    return InvalidArgumentError("malformed message: wrong message kind");
  }
  return Status::Ok();
}

Result<std::string> Unframe(std::string_view body, MessageKind kind, const DecodeLimits& limits) {
  OUTREACH_RETURN_IF_ERROR(CheckHeader(body, kind));
  return internal::Decompress(body.substr(kHeaderSize), limits.max_decompressed_bytes);
}

ProtocolVersion VersionOf(std::string_view body) {
  return ProtocolVersion{static_cast<std::uint8_t>(body[4]), static_cast<std::uint8_t>(body[5])};
}

// A peer of a higher minor (same major: Unframe checked) may append fields we do not know.
bool NewerMinor(ProtocolVersion version) { return version.minor > kProtocolVersion.minor; }

void WriteResponseHead(OutArchive& ar, const SyncResponse& response) {
  internal::WriteCount(ar, response.results.size());
  for (const auto& result : response.results) {
    Io(ar, result.change_id);
    ar(static_cast<std::uint8_t>(result.outcome));
    Io(ar, result.reason);
  }
  Io(ar, response.cursor);
  ar(response.has_more, response.server_time_ms, response.directives.wipe,
     response.directives.schemas_changed);
  Io(ar, response.schemas_hash);
}

// A bool as cereal writes it: one byte, 0 or 1.
static_assert(sizeof(bool) == 1, "cereal writes a bool as sizeof(bool) bytes");
bool ReadFlag(InArchive& ar) {
  std::uint8_t flag = 0;
  ar(flag);
  Require(flag <= 1, "a flag that is neither 0 nor 1");
  return flag == 1;
}

void ReadResponseHead(InArchive& ar, SyncResponse& response) {
  const std::size_t results = internal::ReadCount(ar);
  for (std::size_t i = 0; i < results; ++i) {
    ChangeResult& result = response.results.emplace_back();
    Io(ar, result.change_id);
    std::uint8_t outcome = 0;
    ar(outcome);
    Require(outcome <= static_cast<std::uint8_t>(Outcome::kRejected), "unknown outcome");
    result.outcome = static_cast<Outcome>(outcome);
    Io(ar, result.reason);
  }
  Io(ar, response.cursor);
  // Flags are read as bytes: a damaged byte read straight into a bool is undefined.
  response.has_more = ReadFlag(ar);
  ar(response.server_time_ms);
  response.directives.wipe = ReadFlag(ar);
  response.directives.schemas_changed = ReadFlag(ar);
  Io(ar, response.schemas_hash);
}


// A state stored in archive form (before 1.3) is an archive without its one-byte endianness
// header (always "little"), so it could be spliced into a message's archive as is.
constexpr char kLittleEndianHeader = 1;


// Writes `value` as a stored archive: the archive without its header byte.
template <typename T>
std::string EncodeStored(const T& value) {
  std::string bytes = Archive([&](OutArchive& ar) { Io(ar, value); });
  bytes.erase(0, 1);
  return bytes;
}

// A stored archive with its header byte back, as cereal reads it.
std::string WithHeader(std::string_view bytes) {
  std::string archive;
  archive.reserve(bytes.size() + 1);
  archive.push_back(kLittleEndianHeader);
  archive.append(bytes);
  return archive;
}

template <typename T>
Status DecodeStored(std::string_view bytes, T& value) {
  return Unarchive(WithHeader(bytes), [&](InArchive& ar) {
    Io(ar, value);
    CheckShape(value);
  });
}


// 1.3 carries each record as its packed bytes behind a length, so they are stored as they came;
// 1.0-1.2 carry the archive form inline.
bool CarriesPackedRecords(ProtocolVersion version) { return version.minor >= 3; }

void WriteBlob(OutArchive& ar, std::string_view bytes) {
  internal::WriteCount(ar, bytes.size());
  ar(cereal::binary_data(bytes.data(), bytes.size()));
}

// A stored record for a peer of 1.0-1.2: in archive form, which a packed record is turned into.
// One that does not unpack throws DecodeError if `strict`; otherwise it is sent as it is (the
// peer refuses the message, as it would any other malformed one).
void WriteArchiveForm(OutArchive& ar, const std::string& bytes, bool strict) {
  if (internal::IsPackedRecord(bytes)) {
    model::RecordState state;
    try {
      internal::UnpackRecord(bytes, state);
      Io(ar, state);
      return;
    } catch (const DecodeError&) {
      if (strict) throw;
    }
  }
  ar(cereal::binary_data(bytes.data(), bytes.size()));
}

std::string EncodeResponse(const SyncResponse& response,
                           std::span<const std::string> encoded_records, bool packed,
                           bool strict) {
  return Frame(MessageKind::kSyncResponse, response.version, Archive([&](OutArchive& ar) {
                 WriteResponseHead(ar, response);
                 internal::WriteCount(ar, response.records.size() + encoded_records.size());
                 for (const auto& record : response.records) {
                   if (packed) {
                     WriteBlob(ar, internal::PackRecord(record));
                   } else {
                     Io(ar, record);
                   }
                 }
                 // As the store keeps them, packed or (stored before 1.3) in archive form.
                 for (const auto& bytes : encoded_records) {
                   if (packed) {
                     WriteBlob(ar, bytes);
                   } else {
                     WriteArchiveForm(ar, bytes, strict);
                   }
                 }
               }));
}

// The older of the two minors: what both the request's writer and the answer's reads.
bool CarriesPackedRecords(ProtocolVersion header, ProtocolVersion written) {
  return CarriesPackedRecords(header.minor < written.minor ? header : written);
}

// A stored record of either form into `state`, shape-checked; throws DecodeError.
void ReadStoredRecord(std::string_view bytes, model::RecordState& state) {
  if (internal::IsPackedRecord(bytes)) {
    internal::UnpackRecord(bytes, state);
    CheckShape(state);
    return;
  }
  if (!DecodeStored(bytes, state).ok()) throw DecodeError{"stored record does not decode"};
}

}  // namespace

std::string EncodeBinary(const SyncRequest& request) {
  return EncodeBinary(request, std::span<const std::string>());
}

std::string EncodeBinary(const SyncRequest& request,
                         std::span<const std::string> encoded_changes) {
  if (request.changes.empty()) return EncodeBinary(request, CompressChanges(encoded_changes));
  std::vector<std::string> all;
  all.reserve(request.changes.size() + encoded_changes.size());
  for (const auto& change : request.changes) all.push_back(EncodeChange(change));
  all.insert(all.end(), encoded_changes.begin(), encoded_changes.end());
  SyncRequest head;
  head.version = request.version;
  head.cursor = request.cursor;
  head.page_size = request.page_size;
  head.schemas_hash = request.schemas_hash;
  return EncodeBinary(head, CompressChanges(all));
}

CompressedChanges CompressChanges(std::span<const std::string> encoded_changes) {
  CompressedChanges compressed;
  compressed.count = encoded_changes.size();
  if (encoded_changes.empty()) return compressed;
  // Same bytes Io(change) would write: the outbox keeps changes in this format.
  std::string plain;
  std::size_t size = 0;
  for (const auto& bytes : encoded_changes) size += bytes.size();
  plain.reserve(size);
  for (const auto& bytes : encoded_changes) plain += bytes;
  compressed.frame = internal::Compress(plain);
  return compressed;
}

std::string EncodeBinary(const SyncRequest& request, const CompressedChanges& changes) {
  // Written as `request.version`: a device talking to a 1.0 server leaves out what 1.0 does
  // not read (that server refuses trailing bytes). Frames read as one stream: the head (cursor,
  // page size, count), the changes (none for a pull), the tail (none in 1.0).
  std::string body = Frame(MessageKind::kSyncRequest, request.version, Archive([&](OutArchive& ar) {
                             Io(ar, request.cursor);
                             ar(request.page_size);
                             internal::WriteCount(ar, request.changes.size() + changes.count);
                             for (const auto& change : request.changes) Io(ar, change);
                           }));
  body += changes.frame;
  if (request.version.minor >= 1) {  // since 1.1
    std::string tail = Archive([&](OutArchive& ar) { Io(ar, request.schemas_hash); });
    tail.erase(0, 1);  // the archive's header byte: the stream has one already
    body += internal::Compress(tail);
  }
  return body;
}

std::string EncodeBinary(const SyncResponse& response) { return EncodeBinary(response, {}); }

std::string EncodeBinary(const SyncResponse& response,
                         std::span<const std::string> encoded_records) {
  return EncodeResponse(response, encoded_records, CarriesPackedRecords(response.version),
                        /*strict=*/false);
}

Result<std::string> EncodeBinaryFor(const SyncResponse& response,
                                    std::span<const std::string> encoded_records,
                                    ProtocolVersion written) {
  try {
    return EncodeResponse(response, encoded_records,
                          CarriesPackedRecords(response.version, written), /*strict=*/true);
  } catch (const DecodeError&) {
    return InvalidArgumentError("a stored record does not read");
  }
}

// The reader's archive and position: constructed in place, so the source keeps pointing into
// `archive`.
struct BinaryRequestReader::State {
  explicit State(std::string bytes) : archive(std::move(bytes)), source(archive), stream(&source) {}
  ~State() {
    ar.reset();  // nothing reads the bytes once they are given back
    internal::KeepSpareBuffer(std::move(archive));
  }
  State(const State&) = delete;
  State& operator=(const State&) = delete;

  // Runs `read` as Unarchive does; after a failure, nothing more is read.
  template <typename Read>
  Status Step(Read&& read) {
    if (!failed.ok()) return failed;
    internal::InputBounds bounds(&source);
    try {
      read();
    } catch (const DecodeError& error) {
      failed = InvalidArgumentError(std::string("malformed message: ") + error.what);
    } catch (const std::exception&) {
      failed = InvalidArgumentError("malformed message: truncated or inconsistent");
    }
    return failed;
  }

  std::string archive;
  MemorySource source;
  std::istream stream;
  std::optional<InArchive> ar;
  SyncRequest head;
  std::size_t count = 0;
  std::size_t read = 0;
  Status failed = Status::Ok();
};

BinaryRequestReader::BinaryRequestReader(std::unique_ptr<State> state) : state_(std::move(state)) {}
BinaryRequestReader::~BinaryRequestReader() = default;

Result<std::unique_ptr<BinaryRequestReader>> BinaryRequestReader::Open(
    std::string_view body, const DecodeLimits& limits) {
  OUTREACH_ASSIGN_OR_RETURN(std::string archive, Unframe(body, MessageKind::kSyncRequest, limits));
  auto state = std::make_unique<State>(std::move(archive));
  state->head.version = VersionOf(body);
  OUTREACH_RETURN_IF_ERROR(state->Step([&] {
    InArchive& ar = state->ar.emplace(state->stream);
    Io(ar, state->head.cursor);
    ar(state->head.page_size);
    state->count = internal::ReadCount(ar);
  }));
  return std::unique_ptr<BinaryRequestReader>(new BinaryRequestReader(std::move(state)));
}

const SyncRequest& BinaryRequestReader::head() const { return state_->head; }
std::size_t BinaryRequestReader::change_count() const { return state_->count; }

Status BinaryRequestReader::Next(model::Change& change) {
  if (state_->read == state_->count) return FailedPreconditionError("every change was read");
  OUTREACH_RETURN_IF_ERROR(state_->Step([&] {
    change = model::Change{};
    Io(*state_->ar, change);
    CheckShape(change);
  }));
  ++state_->read;
  return Status::Ok();
}

Result<std::string> BinaryRequestReader::Finish() {
  if (state_->read != state_->count) return FailedPreconditionError("changes are left to read");
  std::string schemas_hash;
  OUTREACH_RETURN_IF_ERROR(state_->Step([&] {
    // A 1.0 request ends here: it carries no schemas_hash.
    if (state_->head.version.minor >= 1) Io(*state_->ar, schemas_hash);
  }));
  if (state_->source.in_avail() != 0 && !NewerMinor(state_->head.version)) {
    state_->failed = InvalidArgumentError("malformed message: trailing bytes");
    return state_->failed;
  }
  return schemas_hash;
}

Result<SyncRequest> DecodeBinaryRequest(std::string_view body, const DecodeLimits& limits) {
  OUTREACH_ASSIGN_OR_RETURN(auto reader, BinaryRequestReader::Open(body, limits));
  SyncRequest request = reader->head();
  for (std::size_t i = 0; i < reader->change_count(); ++i) {
    OUTREACH_RETURN_IF_ERROR(reader->Next(request.changes.emplace_back()));
  }
  OUTREACH_ASSIGN_OR_RETURN(request.schemas_hash, reader->Finish());
  return request;
}

Result<SyncResponse> DecodeBinaryResponse(std::string_view body, const DecodeLimits& limits,
                                          std::vector<std::string>* stored_records,
                                          bool leave_packed, ProtocolVersion written) {
  OUTREACH_ASSIGN_OR_RETURN(std::string archive,
                            Unframe(body, MessageKind::kSyncResponse, limits));
  SyncResponse response;
  response.version = VersionOf(body);
  OUTREACH_RETURN_IF_ERROR(Unarchive(archive, [&](InArchive& ar) {
    ReadResponseHead(ar, response);
    const std::size_t records = internal::ReadCount(ar);
    const bool packed = CarriesPackedRecords(response.version, written);
    const bool left_packed = packed && leave_packed && stored_records != nullptr;
    for (std::size_t i = 0; i < records; ++i) {
      if (packed) {
        std::string bytes(internal::ReadCount(ar), '\0');
        ar(cereal::binary_data(bytes.data(), bytes.size()));
        if (!left_packed) ReadStoredRecord(bytes, response.records.emplace_back());
        if (stored_records != nullptr) stored_records->push_back(std::move(bytes));
        continue;
      }
      model::RecordState& record = response.records.emplace_back();
      const std::size_t at = archive.size() - internal::BytesLeftToRead();
      Io(ar, record);
      CheckShape(record);
      if (stored_records != nullptr) {
        // The bytes it came in are a stored form (EncodeRecordState reads it): kept as they are.
        const std::size_t end = archive.size() - internal::BytesLeftToRead();
        stored_records->emplace_back(archive, at, end - at);
      }
    }
  }, NewerMinor(response.version)));
  internal::KeepSpareBuffer(std::move(archive));
  return response;
}

Result<SyncResponse> DecodeBinaryResponseHead(std::string_view body) {
  OUTREACH_RETURN_IF_ERROR(CheckHeader(body, MessageKind::kSyncResponse));
  OUTREACH_ASSIGN_OR_RETURN(std::string prefix,
                            internal::DecompressPrefix(body.substr(kHeaderSize), kResponseHeadBytes));
  SyncResponse head;
  head.version = VersionOf(body);
  // The records follow the head: not trailing garbage, just unread.
  OUTREACH_RETURN_IF_ERROR(Unarchive(
      prefix, [&](InArchive& ar) { ReadResponseHead(ar, head); }, /*newer_minor=*/true));
  return head;
}

std::string EncodeRecordState(const model::RecordState& state) {
  return internal::PackRecord(state);
}

Result<model::RecordState> DecodeRecordState(std::string_view bytes) {
  model::RecordState state;
  if (!internal::IsPackedRecord(bytes)) {
    OUTREACH_RETURN_IF_ERROR(DecodeStored(bytes, state));
    return state;
  }
  try {
    ReadStoredRecord(bytes, state);
  } catch (const DecodeError& error) {
    return InvalidArgumentError(std::string("malformed message: ") + error.what);
  } catch (const std::exception&) {
    return InvalidArgumentError("malformed message: truncated or inconsistent");
  }
  return state;
}

std::string EncodeChange(const model::Change& change) { return EncodeStored(change); }

Result<model::Change> DecodeChange(std::string_view bytes) {
  model::Change change;
  OUTREACH_RETURN_IF_ERROR(DecodeStored(bytes, change));
  return change;
}

Result<model::Change> DecodeChangeHead(std::string_view bytes) {
  model::Change head;
  // The rest of the change follows its head: not trailing garbage, just unread.
  OUTREACH_RETURN_IF_ERROR(Unarchive(
      WithHeader(bytes), [&](InArchive& ar) { internal::ReadChangeHead(ar, head); },
      /*newer_minor=*/true));
  return head;
}

}  // namespace outreach::protocol
