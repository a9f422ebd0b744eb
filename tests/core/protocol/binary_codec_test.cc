#include "core/protocol/binary_codec.h"

#include <fstream>
#include <random>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <zstd.h>

#include "core/model/record_codec.h"
#include "core/protocol/internal/model_archive.h"
#include "core/protocol/internal/zstd_frame.h"
#include "protocol_samples.h"
#include "tests/testing/status_matchers.h"

namespace outreach::protocol {
namespace {

using testing::SampleRecord;
using testing::SampleRequest;
using testing::SampleResponse;
using ::outreach::testing::IsOk;
using ::outreach::testing::StatusIs;

TEST(BinaryCodec, RequestRoundTripsEveryField) {
  const SyncRequest request = SampleRequest(3);
  ASSERT_OK_AND_ASSIGN(SyncRequest decoded, DecodeBinaryRequest(EncodeBinary(request)));
  EXPECT_EQ(decoded, request);
}

// The reader a server checks and applies a push with while it decodes the rest: the same
// request, change by change.
TEST(BinaryCodec, ARequestReadChangeByChangeIsTheDecodedRequest) {
  const SyncRequest request = SampleRequest(4);
  ASSERT_OK_AND_ASSIGN(auto reader, BinaryRequestReader::Open(EncodeBinary(request)));
  EXPECT_EQ(reader->head().version, request.version);
  EXPECT_EQ(reader->head().cursor, request.cursor);
  EXPECT_EQ(reader->head().page_size, request.page_size);
  EXPECT_TRUE(reader->head().changes.empty());
  ASSERT_EQ(reader->change_count(), 4u);
  EXPECT_THAT(reader->Finish().status(), StatusIs(StatusCode::kFailedPrecondition));
  for (const model::Change& expected : request.changes) {
    model::Change change;
    ASSERT_THAT(reader->Next(change), IsOk());
    EXPECT_EQ(change, expected);
  }
  model::Change extra;
  EXPECT_THAT(reader->Next(extra), StatusIs(StatusCode::kFailedPrecondition));
  ASSERT_OK_AND_ASSIGN(std::string schemas_hash, reader->Finish());
  EXPECT_EQ(schemas_hash, request.schemas_hash);
}

// A body cut inside its last changes: those before the cut read, the one cut and every one
// after it fail.
TEST(BinaryCodec, AReaderStopsAtTheFirstChangeThatDoesNotDecode) {
  const SyncRequest request = SampleRequest(4);
  const std::string body = EncodeBinary(request);
  ASSERT_OK_AND_ASSIGN(std::string archive, internal::Decompress(body.substr(7), 1 << 20));
  model::Change change;
  const std::string cut = body.substr(0, 7) +
                          internal::Compress(archive.substr(0, archive.size() * 3 / 4));
  ASSERT_OK_AND_ASSIGN(auto reader, BinaryRequestReader::Open(cut));
  ASSERT_EQ(reader->change_count(), 4u);
  std::size_t read = 0;
  Status failed = Status::Ok();
  for (std::size_t i = 0; i < 4 && failed.ok(); ++i) {
    failed = reader->Next(change);
    read += failed.ok();
  }
  EXPECT_THAT(failed, StatusIs(StatusCode::kInvalidArgument));
  EXPECT_GE(read, 2u);
  EXPECT_LT(read, 4u);
  EXPECT_THAT(reader->Next(change), StatusIs(StatusCode::kInvalidArgument)) << "nothing more";
  EXPECT_FALSE(DecodeBinaryRequest(cut).ok());
}

TEST(BinaryCodec, ResponseRoundTripsEveryField) {
  const SyncResponse response = SampleResponse(3);
  ASSERT_OK_AND_ASSIGN(SyncResponse decoded, DecodeBinaryResponse(EncodeBinary(response)));
  EXPECT_EQ(decoded, response);
}

TEST(BinaryCodec, StoredRecordStatesSpliceIntoAResponse) {
  SyncResponse response = SampleResponse(0);
  std::vector<std::string> stored;
  for (int i = 0; i < 4; ++i) stored.push_back(EncodeRecordState(SampleRecord(i)));
  ASSERT_OK_AND_ASSIGN(SyncResponse decoded, DecodeBinaryResponse(EncodeBinary(response, stored)));
  ASSERT_EQ(decoded.records.size(), 4u);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(decoded.records[i], SampleRecord(i));
  // A device keeps each record's bytes as they came: exactly its stored form.
  std::vector<std::string> kept;
  ASSERT_OK(DecodeBinaryResponse(EncodeBinary(response, stored), {}, &kept).status());
  EXPECT_EQ(kept, stored);
}

// A device asks for the next page as soon as a page arrives, from its head alone: the head
// of a page of many records is read exactly (not the records), and a body that is not a
// response, or cut inside its head, is refused rather than guessed at.
TEST(BinaryCodec, AResponseHeadIsReadWithoutItsRecords) {
  SyncResponse response = SampleResponse(0);
  response.has_more = true;
  response.directives.schemas_changed = true;
  std::vector<std::string> stored;
  // Far more record bytes than the head's prefix: only the head is decompressed.
  for (int i = 0; i < 2000; ++i) stored.push_back(EncodeRecordState(SampleRecord(i % 7)));
  const std::string body = EncodeBinary(response, stored);
  ASSERT_OK_AND_ASSIGN(SyncResponse head, DecodeBinaryResponseHead(body));
  SyncResponse expected = response;
  expected.records.clear();
  EXPECT_EQ(head, expected);
  ASSERT_OK_AND_ASSIGN(SyncResponse whole, DecodeBinaryResponse(body));
  EXPECT_EQ(whole.cursor, head.cursor);
  EXPECT_EQ(whole.records.size(), 2000u);

  // A push's answer of a few results: its head is read whole too.
  const SyncResponse answered = SampleResponse(3);
  ASSERT_OK_AND_ASSIGN(SyncResponse answered_head, DecodeBinaryResponseHead(EncodeBinary(answered)));
  EXPECT_EQ(answered_head.results, answered.results);
  EXPECT_TRUE(answered_head.records.empty());

  EXPECT_THAT(DecodeBinaryResponseHead(EncodeBinary(SampleRequest(1))).status(),
              StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(DecodeBinaryResponseHead(body.substr(0, 12)).status(),
              StatusIs(StatusCode::kInvalidArgument));
  std::string garbage = body.substr(0, 7) + std::string(64, 'x');
  EXPECT_THAT(DecodeBinaryResponseHead(garbage).status(), StatusIs(StatusCode::kInvalidArgument));
}

// A device's push carries its outbox's stored changes as they are: the same request, byte for
// byte, as one encoded from the decoded changes.
TEST(BinaryCodec, StoredChangesSpliceIntoARequest) {
  const SyncRequest request = SampleRequest(4);
  SyncRequest head = request;
  head.changes.clear();
  std::vector<std::string> stored;
  for (const model::Change& change : request.changes) stored.push_back(EncodeChange(change));
  const std::string spliced = EncodeBinary(head, stored);
  EXPECT_EQ(spliced, EncodeBinary(request));
  ASSERT_OK_AND_ASSIGN(SyncRequest decoded, DecodeBinaryRequest(spliced));
  EXPECT_EQ(decoded, request);
  // Compressed ahead of the head they go with (a device's next batch, read while the answer
  // before is on its way): the same body.
  const CompressedChanges ahead = CompressChanges(stored);
  EXPECT_EQ(ahead.count, stored.size());
  EXPECT_EQ(EncodeBinary(head, ahead), spliced);
  // And a pull, with none.
  ASSERT_OK_AND_ASSIGN(SyncRequest pull, DecodeBinaryRequest(EncodeBinary(head, CompressChanges({}))));
  EXPECT_EQ(pull, head);
}

// A change's head is read without its writes: ids, kind and version come back, the rest stays
// empty, and bytes cut inside the head are refused.
TEST(BinaryCodec, AChangeHeadIsReadAlone) {
  const model::Change change = testing::SampleChange(2);
  const std::string bytes = EncodeChange(change);
  ASSERT_OK_AND_ASSIGN(model::Change head, DecodeChangeHead(bytes));
  EXPECT_EQ(head.change_id, change.change_id);
  EXPECT_EQ(head.record_id, change.record_id);
  EXPECT_EQ(head.collection, change.collection);
  EXPECT_EQ(head.kind, change.kind);
  EXPECT_EQ(head.version, change.version);
  EXPECT_TRUE(head.registers.empty());
  EXPECT_TRUE(head.author.empty());
  EXPECT_THAT(DecodeChangeHead(bytes.substr(0, change.change_id.size())).status(),
              StatusIs(StatusCode::kInvalidArgument));
}

TEST(BinaryCodec, RecordStateRoundTrips) {
  ASSERT_OK_AND_ASSIGN(model::RecordState state, DecodeRecordState(EncodeRecordState(SampleRecord(5))));
  EXPECT_EQ(state, SampleRecord(5));
}

// Plain strings and booleans are read without the JSON parser; every other value, and every
// string with an escape, must still come back exactly, and a value that is not JSON is refused.
TEST(BinaryCodec, EveryKindOfValueRoundTrips) {
  const model::Json values[] = {
      "plain text", "", "quote \" inside", "back\\slash", "tab\tand\nnewline",
      "caf\u00e9 \u2014 \U0001F600", "\u0001", true, false, nullptr, 0, -17, 3.25,
      model::Json::array({"a", 1}), model::Json{{"id", "x"}, {"text", "y \" z"}}};
  for (const model::Json& value : values) {
    model::RecordState state = SampleRecord(1);
    state.registers["risk"].candidates.at(0).value = value;
    ASSERT_OK_AND_ASSIGN(model::RecordState decoded, DecodeRecordState(EncodeRecordState(state)));
    EXPECT_EQ(decoded, state) << value.dump();
  }
}

// Plain strings and booleans are written without the JSON serializer: the bytes must be exactly
// what the serializer writes, or records encoded before and after would differ (I1).
TEST(BinaryCodec, ValuesAreWrittenExactlyAsTheirJsonText) {
  const model::Json values[] = {"plain text", "", "quote \" inside", "back\\slash", "tab\tand\nnewline",
                                "caf\u00e9 \u2014 \U0001F600", "\u0001", "\u007f del", "/slash",
                                true, false, nullptr, 7, model::Json::array({"a", true})};
  for (const model::Json& value : values) {
    std::ostringstream fast;
    std::ostringstream serializer;
    {
      internal::OutArchive fast_archive(fast);
      internal::Io(fast_archive, value);
      internal::OutArchive serializer_archive(serializer);
      internal::Io(serializer_archive, value.dump());
    }
    EXPECT_EQ(fast.str(), serializer.str()) << value.dump();
  }
}

TEST(BinaryCodec, AValueThatIsNotJsonIsRefused) {
  for (const std::string text : {"\"unterminated", "\"raw\ncontrol\"", "tru", "\"a\"b\""}) {
    model::RecordState state = SampleRecord(1);
    state.registers["risk"].candidates.at(0).value = "PLACEHOLDER-PLACEHOLDER";
    std::string bytes = EncodeRecordState(state);
    const std::string quoted = "\"PLACEHOLDER-PLACEHOLDER\"";
    const auto at = bytes.find(quoted);
    ASSERT_NE(at, std::string::npos);
    // Same length keeps the archive's length prefix right: pad the bad text with spaces.
    std::string bad = text;
    ASSERT_LE(bad.size(), quoted.size());
    // Inside the closing quote when there is one, so the text still looks like a string.
    const std::size_t pad_at = bad.back() == '"' ? bad.size() - 1 : bad.size();
    bad.insert(pad_at, quoted.size() - bad.size(), ' ');
    bytes.replace(at, quoted.size(), bad);
    EXPECT_THAT(DecodeRecordState(bytes).status(), StatusIs(StatusCode::kInvalidArgument)) << text;
  }
}

TEST(BinaryCodec, AnotherMajorVersionIsRefusedByName) {
  std::string body = EncodeBinary(SampleRequest(1));
  body[4] = 2;
  body[5] = 0;
  const auto decoded = DecodeBinaryRequest(body);
  EXPECT_THAT(decoded.status(), StatusIs(StatusCode::kFailedPrecondition));
  EXPECT_NE(decoded.status().message().find("2.0"), std::string::npos);
}

TEST(BinaryCodec, ANewerMinorVersionIsRead) {
  std::string body = EncodeBinary(SampleRequest(1));
  body[5] = 7;
  ASSERT_OK_AND_ASSIGN(SyncRequest decoded, DecodeBinaryRequest(body));
  EXPECT_EQ(decoded.version, (ProtocolVersion{1, 7}));
}

// The archive of a 1.0 request, written field by field as 1.0 did (no schemas_hash).
std::string Archive1_0(const SyncRequest& request) {
  std::ostringstream out;
  {
    internal::OutArchive ar(out, internal::OutArchive::Options::LittleEndian());
    internal::Io(ar, request.cursor);
    ar(request.page_size);
    internal::Io(ar, request.changes);
  }
  return out.str();
}

// `body` as a peer of minor version `minor` that appended `added` (fields we do not know)
// would send it.
std::string WithNewerFields(const std::string& body, char minor, const std::string& added) {
  auto archive = internal::Decompress(body.substr(7), 1 << 20);
  EXPECT_THAT(archive.status(), IsOk());
  std::string header = body.substr(0, 7);
  header[5] = minor;
  return header + internal::Compress((archive.ok() ? *archive : std::string()) + added);
}

// A 1.0 device's request (as it was before schemas_hash): read, with no hash.
TEST(BinaryCodec, A1_0RequestIsReadWithoutSchemasHash) {
  const SyncRequest request = SampleRequest(2);
  const std::string body = std::string("OSYN\x01\x00\x01", 7) + internal::Compress(Archive1_0(request));
  ASSERT_OK_AND_ASSIGN(SyncRequest decoded, DecodeBinaryRequest(body));
  EXPECT_EQ(decoded.version, (ProtocolVersion{1, 0}));
  EXPECT_EQ(decoded.schemas_hash, "");
  EXPECT_EQ(decoded.changes, request.changes);
  EXPECT_EQ(decoded.cursor, request.cursor);
}

// Review finding (a): a device that has not seen its server speak 1.1 writes 1.0, which a 1.0
// server reads to the end: the header says 1.0 and nothing follows the changes.
TEST(BinaryCodec, ARequestWrittenAs1_0IsExactlyWhat1_0Reads) {
  SyncRequest request = SampleRequest(2);
  request.version = ProtocolVersion{1, 0};
  const std::string body = EncodeBinary(request);
  ASSERT_GE(body.size(), 7u);
  EXPECT_EQ(body.substr(0, 7), std::string("OSYN\x01\x00\x01", 7));
  ASSERT_OK_AND_ASSIGN(std::string archive, internal::Decompress(body.substr(7), 1 << 20));
  EXPECT_EQ(archive, Archive1_0(request)) << "a 1.0 server refuses trailing bytes";
}

// Forward compatibility within a major: what a higher minor appends is skipped, in requests
// (a newer device) and responses (a newer server); the same bytes from our own minor are
// still refused, and another major still gets the clear error.
TEST(BinaryCodec, FieldsANewerMinorAppendsAreSkipped) {
  const SyncRequest request = SampleRequest(2);
  ASSERT_OK_AND_ASSIGN(SyncRequest decoded,
                       DecodeBinaryRequest(WithNewerFields(EncodeBinary(request), 9, "1.9 adds")));
  EXPECT_EQ(decoded.version, (ProtocolVersion{1, 9}));
  decoded.version = request.version;
  EXPECT_EQ(decoded, request);
  const SyncResponse response = SampleResponse(2);
  const char next_minor = static_cast<char>(kProtocolVersion.minor + 1);
  ASSERT_OK_AND_ASSIGN(SyncResponse read, DecodeBinaryResponse(WithNewerFields(
                                              EncodeBinary(response), next_minor, "next adds")));
  read.version = response.version;
  EXPECT_EQ(read, response);

  const char ours = static_cast<char>(kProtocolVersion.minor);
  EXPECT_THAT(DecodeBinaryRequest(WithNewerFields(EncodeBinary(request), ours, "x")).status(),
              StatusIs(StatusCode::kInvalidArgument));
  std::string other_major = WithNewerFields(EncodeBinary(request), 9, "2.x adds");
  other_major[4] = 2;
  EXPECT_THAT(DecodeBinaryRequest(other_major).status(), StatusIs(StatusCode::kFailedPrecondition));
}

TEST(BinaryCodec, AResponseIsNotARequest) {
  EXPECT_THAT(DecodeBinaryRequest(EncodeBinary(SampleResponse(1))).status(),
              StatusIs(StatusCode::kInvalidArgument));
}

TEST(BinaryCodec, EveryTruncationIsAnErrorNeverACrash) {
  const std::string body = EncodeBinary(SampleRequest(2));
  for (std::size_t size = 0; size < body.size(); ++size) {
    EXPECT_FALSE(DecodeBinaryRequest(body.substr(0, size)).ok()) << size;
  }
}

// The archive inside the frame, damaged byte by byte and compressed again so zstd's checksum
// does not hide the damage: every result is an error or a well-formed message.
TEST(BinaryCodec, DamagedArchivesAreErrorsOrValidMessages) {
  const std::string body = EncodeBinary(SampleResponse(2));
  ASSERT_OK_AND_ASSIGN(std::string archive, internal::Decompress(body.substr(7), 1 << 20));
  std::mt19937 random(7);
  int errors = 0;
  for (int round = 0; round < 2000; ++round) {
    std::string damaged = archive;
    const int flips = 1 + round % 4;
    for (int i = 0; i < flips; ++i) {
      damaged[random() % damaged.size()] = static_cast<char>(random());
    }
    const auto decoded = DecodeBinaryResponse(body.substr(0, 7) + internal::Compress(damaged));
    if (!decoded.ok()) {
      ++errors;
      EXPECT_THAT(decoded.status(), StatusIs(StatusCode::kInvalidArgument));
    }
  }
  EXPECT_GT(errors, 1000);
}

TEST(BinaryCodec, ALyingCountFailsWithoutAllocatingIt) {
  // A response whose first count (of results) claims 2^62 entries.
  std::string archive(1, '\x01');
  const std::uint64_t huge = std::uint64_t{1} << 62;
  archive.append(reinterpret_cast<const char*>(&huge), sizeof huge);
  const std::string body = EncodeBinary(SampleResponse(0)).substr(0, 7) + internal::Compress(archive);
  EXPECT_THAT(DecodeBinaryResponse(body).status(), StatusIs(StatusCode::kInvalidArgument));
}

TEST(BinaryCodec, TrailingBytesAreRefused) {
  const std::string body = EncodeBinary(SampleRequest(1));
  ASSERT_OK_AND_ASSIGN(std::string archive, internal::Decompress(body.substr(7), 1 << 20));
  archive += "extra";
  EXPECT_THAT(DecodeBinaryRequest(body.substr(0, 7) + internal::Compress(archive)).status(),
              StatusIs(StatusCode::kInvalidArgument));
  // Read in steps: the changes read, the tail refuses what follows it.
  ASSERT_OK_AND_ASSIGN(auto reader,
                       BinaryRequestReader::Open(body.substr(0, 7) + internal::Compress(archive)));
  model::Change change;
  ASSERT_THAT(reader->Next(change), IsOk());
  EXPECT_THAT(reader->Finish().status(), StatusIs(StatusCode::kInvalidArgument));
}

TEST(BinaryCodec, ADecompressionBombStopsAtTheLimit) {
  const std::string zeros(8 << 20, '\0');
  const std::string body = EncodeBinary(SampleRequest(0)).substr(0, 7) + internal::Compress(zeros);
  EXPECT_LT(body.size(), 4096u);
  EXPECT_THAT(DecodeBinaryRequest(body, DecodeLimits{1 << 20}).status(),
              StatusIs(StatusCode::kResourceExhausted));
}

// Each thread keeps its zstd contexts from one message to the next (zstd_frame.cc): a body cut
// off mid-frame must leave nothing behind for the next body decoded on that thread.
TEST(BinaryCodec, ABodyCutShortDoesNotSpoilTheNextOne) {
  const SyncRequest request = SampleRequest(3);
  const std::string body = EncodeBinary(request);
  for (int round = 0; round < 3; ++round) {
    EXPECT_THAT(DecodeBinaryRequest(body.substr(0, body.size() / 2)).status(),
                StatusIs(StatusCode::kInvalidArgument));
    ASSERT_OK_AND_ASSIGN(SyncRequest decoded, DecodeBinaryRequest(body));
    EXPECT_EQ(decoded, request);
  }
}

// This process's peak resident memory in KiB, after `ResetPeakMemory`.
long PeakMemoryKib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}
bool ResetPeakMemory() { return static_cast<bool>(std::ofstream("/proc/self/clear_refs") << "5"); }

// A frame whose header claims a gigabyte, followed by junk: refused as not zstd, and the claim
// only sized a small first buffer (zstd_frame.cc), never memory in proportion to it or to the
// input.
TEST(BinaryCodec, AFrameClaimingAHugeSizeTakesLittleMemory) {
  std::string frame("\x28\xb5\x2f\xfd\xe0", 5);  // magic; 8-byte content size, one segment
  const std::uint64_t claimed = std::uint64_t{1} << 30;
  for (int i = 0; i < 8; ++i) frame += static_cast<char>((claimed >> (8 * i)) & 0xff);
  ASSERT_EQ(ZSTD_getFrameContentSize(frame.data(), frame.size()), claimed);
  frame += std::string(2 << 20, '\x5a');
  if (!ResetPeakMemory()) GTEST_SKIP() << "cannot reset the peak memory reading";
  const long before = PeakMemoryKib();
  EXPECT_THAT(internal::Decompress(frame, 256 << 20).status(),
              StatusIs(StatusCode::kInvalidArgument));
  EXPECT_LT(PeakMemoryKib() - before, 24 * 1024) << "KiB taken for a frame that is junk";
}

TEST(BinaryCodec, GarbageIsNotAMessage) {
  EXPECT_THAT(DecodeBinaryRequest("").status(), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(DecodeBinaryRequest("{\"protocol\":\"1.0\"}").status(),
              StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(DecodeBinaryRequest(std::string("OSYN\x01\x00\x01garbage", 14)).status(),
              StatusIs(StatusCode::kInvalidArgument));
}

TEST(BinaryCodec, ValuesNestedTooDeepAreRefused) {
  SyncRequest request = SampleRequest(1);
  model::Json deep = 1;
  for (int i = 0; i < 100; ++i) deep = model::Json::array({deep});
  request.changes[0].registers["place"].value = deep;
  EXPECT_THAT(DecodeBinaryRequest(EncodeBinary(request)).status(),
              StatusIs(StatusCode::kInvalidArgument));
}

TEST(BinaryCodec, ARecordWithCandidatesOutOfOrderIsRefused) {
  model::RecordState state = SampleRecord(1);
  auto& candidates = state.registers["risk"].candidates;
  std::swap(candidates[0], candidates[1]);
  EXPECT_THAT(DecodeRecordState(EncodeRecordState(state)).status(),
              StatusIs(StatusCode::kInvalidArgument));
}

// A version vector names each device once, in order: a stored or sent one that repeats a device
// (which one of the two readings would count?) is forged.
TEST(BinaryCodec, AVersionVectorNamingADeviceTwiceOrOutOfOrderIsRefused) {
  model::RecordState state = SampleRecord(1);
  model::VersionVector seen;
  seen.Add({{1000, 0}, "device-x1"});
  seen.Add({{2000, 0}, "device-x2"});
  state.registers["risk"].seen = seen;
  std::string bytes = EncodeRecordState(state);
  ASSERT_OK_AND_ASSIGN(model::RecordState decoded, DecodeRecordState(bytes));
  EXPECT_EQ(decoded.registers["risk"].seen, seen);
  const std::size_t second = bytes.find("device-x2");
  ASSERT_NE(second, std::string::npos);
  std::string repeated = bytes;
  repeated.replace(second, 9, "device-x1");
  EXPECT_THAT(DecodeRecordState(repeated).status(), StatusIs(StatusCode::kInvalidArgument));
  // Out of order (x3 before x2) is refused too: a vector is searched as sorted.
  std::string unsorted = bytes;
  unsorted.replace(bytes.find("device-x1"), 9, "device-x3");
  EXPECT_THAT(DecodeRecordState(unsorted).status(), StatusIs(StatusCode::kInvalidArgument));
}

// Batches of similar records compress as one frame far better than the JSON they carry.
TEST(BinaryCodec, ABatchIsSmallerThanItsJson) {
  const SyncRequest request = SampleRequest(200);
  std::size_t json_bytes = 0;
  for (const auto& change : request.changes) json_bytes += model::ChangeToJson(change).dump().size();
  EXPECT_LT(EncodeBinary(request).size() * 4, json_bytes);
}

}  // namespace
}  // namespace outreach::protocol

namespace outreach::protocol {
namespace {

// Bytes that are not UTF-8 would be stored and then break every JSON encoding of the record on
// every device of the team: refused at the door.
TEST(BinaryCodec, TextThatIsNotUtf8IsRefused) {
  for (const std::string& bad : {std::string("\xff"), std::string("\xc0\xaf"),
                                std::string("\xed\xa0\x80"), std::string("a\xe2\x82")}) {
    SyncRequest request = testing::SampleRequest(1);
    request.changes[0].reason = bad;
    EXPECT_THAT(DecodeBinaryRequest(EncodeBinary(request)).status(),
                ::outreach::testing::StatusIs(StatusCode::kInvalidArgument));
  }
  SyncRequest fine = testing::SampleRequest(1);
  fine.changes[0].reason = "Zoë’s name, corrected \xf0\x9f\x99\x82";
  EXPECT_TRUE(DecodeBinaryRequest(EncodeBinary(fine)).ok());
}

}  // namespace
}  // namespace outreach::protocol
