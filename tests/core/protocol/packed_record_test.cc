// The packed form of stored record states (1.3): round trips, the archive form stored before
// 1.3 still reads, 1.2 peers get the archive form, and bytes that are not a packed record are
// refused without a crash or a huge allocation.
#include "core/protocol/internal/packed_record.h"

#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/merge/join.h"
#include "core/model/canonical_json.h"
#include "core/protocol/binary_codec.h"
#include "protocol_samples.h"
#include "tests/testing/status_matchers.h"

namespace outreach::protocol {
namespace {

using internal::IsPackedRecord;
using testing::SampleRecord;
using testing::SampleResponse;
using ::outreach::testing::IsOk;
using ::outreach::testing::StatusIs;

constexpr ProtocolVersion k1_2{1, 2};

// A record as a 1.2 device stored it: the archive form, as a 1.2 answer carried it.
std::string ArchiveForm(const model::RecordState& state) {
  SyncResponse response = SampleResponse(0);
  response.version = k1_2;
  response.records = {state};
  std::vector<std::string> kept;
  EXPECT_THAT(DecodeBinaryResponse(EncodeBinary(response), {}, &kept).status(), IsOk());
  return kept.empty() ? std::string() : kept[0];
}

// A contact as the field team records it: many fields, one device and one author.
model::RecordState Contact() {
  model::RecordState state;
  state.id = "0f8fad5b-d9cb-469f-a165-70867728950e";
  state.collection = "contact";
  state.team = "7c9e6679-7425-40de-944b-e07fc1f90ae7";
  state.schema_version = "1.0";
  const model::Version version{{1'760'000'000'000, 0}, "b3e1a4c2-5d6f-4a8b-9c0d-1e2f3a4b5c6d"};
  const std::string author = "a1b2c3d4-e5f6-4789-8abc-def012345678";
  for (int i = 0; i < 16; ++i) {
    model::RegisterState& reg = state.registers["field_" + std::to_string(i)];
    reg.candidates = {{model::Json(i % 2 == 0), version, author}};
    reg.seen.Add(version);
  }
  model::RegisterState& notes = state.registers["notes"];
  notes.candidates = {{model::Json(std::string(600, 'n')), version, author}};
  notes.seen.Add(version);
  return state;
}

TEST(PackedRecord, EveryPartOfAStateRoundTrips) {
  for (int n = 0; n < 7; ++n) {
    const std::string bytes = EncodeRecordState(SampleRecord(n));
    EXPECT_TRUE(IsPackedRecord(bytes));
    ASSERT_OK_AND_ASSIGN(model::RecordState decoded, DecodeRecordState(bytes));
    EXPECT_EQ(decoded, SampleRecord(n));
    EXPECT_EQ(EncodeRecordState(decoded), bytes) << "equal states pack to equal bytes";
  }
}

// Why it exists: a contact in archive form took over twice its packed size (ids repeated per
// field, 8-byte counts), and spilled onto overflow pages in both stores.
TEST(PackedRecord, AContactPacksToUnderHalfItsArchiveForm) {
  const std::string packed = EncodeRecordState(Contact());
  const std::string archive = ArchiveForm(Contact());
  ASSERT_FALSE(archive.empty());
  EXPECT_LT(packed.size() * 2, archive.size()) << packed.size() << " vs " << archive.size();
}

TEST(PackedRecord, AStateStoredInArchiveFormStillReads) {
  for (int n = 0; n < 3; ++n) {
    const std::string archive = ArchiveForm(SampleRecord(n));
    EXPECT_FALSE(IsPackedRecord(archive));
    ASSERT_OK_AND_ASSIGN(model::RecordState decoded, DecodeRecordState(archive));
    EXPECT_EQ(decoded, SampleRecord(n));
  }
}

// A 1.2 device reads records in archive form only: the server stores them packed and turns
// them back for it; one stored before 1.3 goes as it is.
TEST(PackedRecord, A1_2AnswerCarriesTheArchiveForm) {
  SyncResponse response = SampleResponse(1);
  response.version = k1_2;
  const std::vector<std::string> stored = {EncodeRecordState(SampleRecord(4)),
                                           ArchiveForm(SampleRecord(5))};
  std::vector<std::string> kept;
  ASSERT_OK_AND_ASSIGN(SyncResponse decoded,
                       DecodeBinaryResponse(EncodeBinary(response, stored), {}, &kept));
  ASSERT_EQ(decoded.records.size(), 3u);
  EXPECT_EQ(decoded.records[0], SampleRecord(0));
  EXPECT_EQ(decoded.records[1], SampleRecord(4));
  EXPECT_EQ(decoded.records[2], SampleRecord(5));
  ASSERT_EQ(kept.size(), 3u);
  for (const std::string& bytes : kept) EXPECT_FALSE(IsPackedRecord(bytes));
  EXPECT_EQ(kept[2], stored[1]);
}

// A 1.3 answer carries what the store holds as it is, packed or not, and the device keeps the
// same bytes.
TEST(PackedRecord, A1_3AnswerCarriesBothStoredFormsAsTheyAre) {
  SyncResponse response = SampleResponse(0);
  ASSERT_EQ(response.version, kProtocolVersion);
  const std::vector<std::string> stored = {EncodeRecordState(SampleRecord(1)),
                                           ArchiveForm(SampleRecord(2)),
                                           EncodeRecordState(SampleRecord(3))};
  std::vector<std::string> kept;
  ASSERT_OK_AND_ASSIGN(SyncResponse decoded,
                       DecodeBinaryResponse(EncodeBinary(response, stored), {}, &kept));
  ASSERT_EQ(decoded.records.size(), 3u);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(decoded.records[i], SampleRecord(i + 1));
  EXPECT_EQ(kept, stored);
}

TEST(PackedRecord, EveryTruncationAndTrailingByteIsRefused) {
  const std::string bytes = EncodeRecordState(SampleRecord(2));
  for (std::size_t size = 0; size < bytes.size(); ++size) {
    EXPECT_THAT(DecodeRecordState(bytes.substr(0, size)).status(),
                StatusIs(StatusCode::kInvalidArgument))
        << size;
  }
  EXPECT_THAT(DecodeRecordState(bytes + '\0').status(), StatusIs(StatusCode::kInvalidArgument));
}

// Corrupted bytes (a failing disk, a forged answer) either read as some valid state or are
// refused; never a crash, an overrun (ASan) or an unbounded allocation.
TEST(PackedRecord, CorruptedBytesAreReadOrRefusedNeverMisread) {
  const std::string bytes = EncodeRecordState(SampleRecord(3));
  std::mt19937 random(7);
  int refused = 0;
  for (int round = 0; round < 3000; ++round) {
    std::string corrupt = bytes;
    const int flips = 1 + round % 3;
    for (int i = 0; i < flips; ++i) {
      corrupt[random() % corrupt.size()] = static_cast<char>(random() % 256);
    }
    auto decoded = DecodeRecordState(corrupt);
    if (!decoded.ok()) {
      ++refused;
      EXPECT_THAT(decoded.status(), StatusIs(StatusCode::kInvalidArgument));
    } else {
      // Whatever was read packs and reads again to itself.
      ASSERT_OK_AND_ASSIGN(model::RecordState again, DecodeRecordState(EncodeRecordState(*decoded)));
      EXPECT_EQ(again, *decoded);
    }
  }
  EXPECT_GT(refused, 1000);
}

// PackedStateContains reads a server's bytes beside the store's: a cut, a byte too many or a
// corrupted byte never crashes it or reads past the end (ASan), and of bytes that decode it
// never says "contained" unless the state they decode to holds the device's. (It reads their
// structure, not their values: its caller gives it only bytes already read as a state.) Its
// answers on honest states are checked against the join in tests/core/merge.
TEST(PackedRecord, ContainmentReadFromBytesNeverMisreads) {
  std::mt19937 random(11);
  for (const model::RecordState& state : {Contact(), SampleRecord(2), SampleRecord(5)}) {
    const std::string bytes = EncodeRecordState(state);
    ASSERT_TRUE(IsPackedRecord(bytes));
    const bool whole = PackedStateContains(bytes, bytes);
    EXPECT_EQ(whole, state.deletions.empty() && state.deletions_seen.empty()) << state.id;
    for (std::size_t size = 0; size < bytes.size(); ++size) {
      EXPECT_FALSE(PackedStateContains(bytes.substr(0, size), bytes)) << size;
      EXPECT_FALSE(PackedStateContains(bytes, bytes.substr(0, size))) << size;
    }
    EXPECT_FALSE(PackedStateContains(bytes + '\0', bytes));
    EXPECT_FALSE(PackedStateContains(ArchiveForm(state), ArchiveForm(state)))
        << "the archive form is left to the decoder";
    if (!whole) continue;
    // A corrupted copy on either side: where both decode, "contained" only if it is.
    int contained = 0;
    for (int round = 0; round < 3000; ++round) {
      std::string corrupt = bytes;
      for (int i = 0; i <= round % 2; ++i) {
        corrupt[random() % corrupt.size()] = static_cast<char>(random() % 256);
      }
      auto read = DecodeRecordState(corrupt);
      if (!read.ok()) continue;
      const bool theirs_corrupt = round % 4 < 2;
      const std::string& theirs = theirs_corrupt ? corrupt : bytes;
      const std::string& mine = theirs_corrupt ? bytes : corrupt;
      if (!PackedStateContains(theirs, mine)) continue;
      ++contained;
      EXPECT_TRUE(theirs_corrupt ? merge::JoinContains(*read, state)
                                 : merge::JoinContains(state, *read))
          << round;
    }
    EXPECT_GT(contained, 0) << "no corruption kept containment: the oracle never ran";
  }
}

// Hand-made packed bytes: the magic, then varints and texts as the packer writes them.
class Forge {
 public:
  Forge() : bytes_(internal::kPackedRecordMagic) {}
  Forge& Varint(std::uint64_t value) {
    while (value >= 0x80) {
      bytes_.push_back(static_cast<char>(value | 0x80));
      value >>= 7;
    }
    bytes_.push_back(static_cast<char>(value));
    return *this;
  }
  Forge& Text(const std::string& text) {
    Varint(text.size());
    bytes_ += text;
    return *this;
  }
  // No names; id "r", collection "contact", team "t", schema "1.0".
  Forge& Head() { return Varint(0).Text("r").Text("contact").Text("t").Text("1.0"); }
  const std::string& bytes() const { return bytes_; }

 private:
  std::string bytes_;
};

// Each forgery next to its honest twin, so it fails for its own reason and not another.
TEST(PackedRecord, ForgedStatesAreRefusedByWhatIsWrong) {
  // One name ("d"), one register "a" written at `ms` by name `device`; nothing else.
  auto one_register = [](std::uint64_t ms, std::uint64_t device) {
    return Forge().Varint(1).Text("d").Text("r").Text("contact").Text("t").Text("1.0")
        .Varint(1).Text("a").Varint(1).Text("1").Varint(ms).Varint(0).Varint(device).Varint(0)
        .Varint(0)                                 // the register's seen vector
        .Varint(0).Varint(0).Varint(0).Varint(0)   // appends, sets, deletions, deletions seen
        .bytes();
  };
  EXPECT_THAT(DecodeRecordState(one_register(5, 0)).status(), IsOk());
  EXPECT_THAT(DecodeRecordState(one_register(5, 1)).status(),
              StatusIs(StatusCode::kInvalidArgument)) << "name index beyond the table";
  EXPECT_THAT(DecodeRecordState(one_register(std::uint64_t{1} << 50, 0)).status(),
              StatusIs(StatusCode::kInvalidArgument)) << "a clock beyond its range";
  std::string trailing = one_register(5, 0) + '\0';
  EXPECT_THAT(DecodeRecordState(trailing).status(), StatusIs(StatusCode::kInvalidArgument));

  // One append entry of `value`.
  auto one_entry = [](const std::string& value) {
    return Forge().Varint(1).Text("d").Text("r").Text("contact").Text("t").Text("1.0")
        .Varint(0).Varint(1).Text("notes").Varint(1).Text(value).Varint(1).Varint(0).Varint(0)
        .Varint(0)
        .Varint(0)                       // the field's seen
        .Varint(0).Varint(0).Varint(0)   // sets, deletions, deletions seen
        .bytes();
  };
  ASSERT_OK_AND_ASSIGN(model::RecordState entry,
                       DecodeRecordState(one_entry(R"({"id":"e","text":"x"})")));
  EXPECT_EQ(entry.appends.at("notes").entries.size(), 1u);
  EXPECT_THAT(DecodeRecordState(one_entry(R"({"text":"x"})")).status(),
              StatusIs(StatusCode::kInvalidArgument)) << "an append entry without an id";
  EXPECT_THAT(DecodeRecordState(one_entry("{\"id\":\"e\",")).status(),
              StatusIs(StatusCode::kInvalidArgument)) << "a value that is not JSON";

  // Two registers of one name.
  auto two_registers = [](const std::string& second) {
    return Forge().Varint(0).Text("r").Text("contact").Text("t").Text("1.0").Varint(2)
        .Text("a").Varint(0).Varint(0).Text(second).Varint(0).Varint(0)
        .Varint(0).Varint(0).Varint(0).Varint(0).bytes();
  };
  EXPECT_THAT(DecodeRecordState(two_registers("b")).status(), IsOk());
  EXPECT_THAT(DecodeRecordState(two_registers("a")).status(),
              StatusIs(StatusCode::kInvalidArgument)) << "a repeated field";

  // A name table claiming 2^40 names, a varint of 11 bytes, text that is not UTF-8.
  EXPECT_THAT(DecodeRecordState(Forge().Varint(std::uint64_t{1} << 40).bytes()).status(),
              StatusIs(StatusCode::kInvalidArgument));
  std::string long_varint(internal::kPackedRecordMagic);
  long_varint.append(10, '\xFF');
  long_varint.push_back('\x01');
  EXPECT_THAT(DecodeRecordState(long_varint).status(), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(DecodeRecordState(Forge().Varint(1).Text("\xC0\xAF").bytes()).status(),
              StatusIs(StatusCode::kInvalidArgument));
}

// Every name index copies a name: a few bytes naming a long name many times must be refused
// quickly, not decoded into gigabytes.
TEST(PackedRecord, ANameNamedOverAndOverIsRefused) {
  constexpr int kTimes = 100000;
  Forge forge;
  forge.Varint(1).Text(std::string(4000, 'd')).Text("r").Text("contact").Text("t").Text("1.0");
  forge.Varint(0).Varint(0);                               // no registers, no append fields
  forge.Varint(1).Text("tags").Varint(1).Text("\"x\"");    // one set field of one element
  forge.Varint(1).Varint(1).Varint(0).Varint(0);           // added once, by name 0
  forge.Varint(kTimes);                                    // having seen name 0 that often
  for (int i = 0; i < kTimes; ++i) forge.Varint(0).Varint(0).Varint(0);
  forge.Varint(0).Varint(0).Varint(0);                     // no removals, deletions, context
  EXPECT_THAT(DecodeRecordState(forge.bytes()).status(), StatusIs(StatusCode::kInvalidArgument));
  // A table of more names than any record has.
  Forge table;
  table.Varint(70000);
  for (int i = 0; i < 70000; ++i) table.Text("");
  EXPECT_THAT(DecodeRecordState(table.bytes()).status(), StatusIs(StatusCode::kInvalidArgument));
}

// A simple record: one register, one append entry, one set element, one writer.
model::RecordState SimpleSample() {
  model::RecordState state;
  state.id = "r-1";
  state.collection = "contact";
  state.team = "team-a";
  state.schema_version = "1.0";
  const model::Version version{{1'760'000'000'000, 0}, "device-a"};
  auto& reg = state.registers["location_text"];
  reg.candidates = {{model::Json("car park"), version, "user-1"}};
  reg.seen.Add(version);
  const model::Json entry{{"id", "e-1"}, {"text", "seen\n\"twice\""}};
  state.appends["summary"].entries[model::AppendKey("e-1", version)] = {entry, version, "user-1"};
  model::SetElement element;
  element.value = "user-1";
  element.adds[version] = {};
  state.sets["workers_present"].elements[model::CanonicalJson(element.value)] = element;
  return state;
}

// The scan is never less strict than the decode: whatever it takes, the decode reads, to a
// state whose fields are exactly what the scan said.
// One long name named by every field: the decoder refuses to copy it that often (its budget),
// so the scan must not take the record as simple either, or a device would store bytes it can
// never decode. The same record with a short name is taken by both.
TEST(PackedRecord, TheScanRefusesWhatTheDecodeWouldNotCopy) {
  const auto forged = [](const std::string& name) {
    Forge forge;
    forge.Varint(1).Text(name).Text("r").Text("contact").Text("t").Text("1.0");
    forge.Varint(100);
    for (int field = 0; field < 100; ++field) {
      forge.Text("f" + std::to_string(1000 + field)).Varint(1).Text("true");
      forge.Varint(1'760'000'000'000).Varint(0).Varint(0).Varint(0);  // clock, device, author
      forge.Varint(1).Varint(0).Varint(1'760'000'000'000).Varint(0);  // seen
    }
    forge.Varint(0).Varint(0).Varint(0).Varint(0);  // appends, sets, deletions, their context
    return forge.bytes();
  };
  const std::string honest = forged("b3e1a4c2-5d6f-4a8b-9c0d-1e2f3a4b5c6d");
  ASSERT_THAT(DecodeRecordState(honest).status(), IsOk());
  EXPECT_TRUE(ScanSimpleRecord(honest).has_value());
  const std::string costly = forged(std::string(60'000, 'd'));
  EXPECT_THAT(DecodeRecordState(costly).status(), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_FALSE(ScanSimpleRecord(costly).has_value());
}

TEST(PackedRecord, WhatTheScanTakesTheDecodeReadsAlike) {
  const std::string bytes = EncodeRecordState(SimpleSample());
  ASSERT_TRUE(ScanSimpleRecord(bytes).has_value());
  std::mt19937 random(5);
  int taken = 0;
  for (int round = 0; round < 20000; ++round) {
    std::string corrupt = bytes;
    for (int i = 1 + round % 2; i > 0; --i) {
      corrupt[random() % corrupt.size()] = static_cast<char>(random() % 256);
    }
    const auto scanned = ScanSimpleRecord(corrupt);
    if (!scanned.has_value()) continue;
    ++taken;
    ASSERT_OK_AND_ASSIGN(model::RecordState state, DecodeRecordState(corrupt));
    EXPECT_EQ(scanned->id, state.id);
    EXPECT_EQ(scanned->collection, state.collection);
    EXPECT_EQ(scanned->fields.size(),
              state.registers.size() + state.appends.size() + state.sets.size());
    for (const SimpleField& field : scanned->fields) {
      const std::string name(field.name);
      if (!field.list) {
        ASSERT_EQ(state.registers.count(name), 1u) << name;
        EXPECT_EQ(field.text, state.registers.at(name).candidates.at(0).value.dump());
      } else if (state.appends.count(name) == 1) {
        ASSERT_EQ(field.count, 1u);
        EXPECT_EQ(scanned->items[field.first],
                  state.appends.at(name).entries.begin()->second.value.dump());
      } else {
        ASSERT_EQ(state.sets.count(name), 1u) << name;
        ASSERT_EQ(field.count, state.sets.at(name).elements.size());
        std::size_t at = field.first;
        for (const auto& [key, element] : state.sets.at(name).elements) {
          EXPECT_EQ(scanned->items[at++], element.value.dump());
        }
      }
    }
  }
  EXPECT_GT(taken, 1000);
}

}  // namespace
}  // namespace outreach::protocol
