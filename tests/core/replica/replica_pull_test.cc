// Replica::ReadPulled and ApplyPulled: a simple pulled record (protocol::ScanSimpleRecord) is
// stored from its bytes without being decoded, read as the decoded path reads it; any other
// record is decoded. One this device already holds is stored
// as it came when its bytes show it holds the device's copy and nothing of it is pending;
// otherwise it is decoded and joined.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

#include "core/merge/merge.h"
#include "core/merge/record_view.h"
#include "core/model/uuid.h"
#include "core/protocol/binary_codec.h"
#include "core/replica/internal/newest_reading.h"
#include "core/replica/replica.h"
#include "core/schema/schema_registry.h"
#include "tests/core/replica/replica_fixture.h"
#include "tests/core/schema/schema_test_util.h"
#include "tests/testing/status_matchers.h"

namespace outreach::replica {
namespace {

using model::Json;
using ::outreach::testing::IsOk;

class ReplicaPullTest : public testing::ReplicaFixture {
 protected:
  // The server's state of a record this replica creates from `values` (then forgets).
  model::RecordState ServerState(const std::string& collection, const Json& values) {
    auto id = replica_->Create(collection, values);
    EXPECT_THAT(id.status(), IsOk());
    auto pending = replica_->Outbox(OutboxStatus::kPending);
    EXPECT_THAT(pending.status(), IsOk());
    model::RecordState state;
    if (!id.ok() || !pending.ok()) return state;
    for (const auto& entry : *pending) {
      if (entry.change.record_id != *id) continue;
      state = merge::Merge(*schemas_->Find(collection), state, entry.change).state;
    }
    EXPECT_THAT(replica_->WithdrawCreate(*id), IsOk());
    return state;
  }

  // Applies `state` pulled as its bytes (read, not decoded: it is simple) with `results`.
  Status ApplySimple(const std::vector<PushResult>& results, const model::RecordState& state) {
    auto pulled = replica_->ReadPulled(protocol::EncodeRecordState(state));
    if (!pulled.ok()) return pulled.status();
    EXPECT_FALSE(pulled->state.has_value());
    std::vector<PulledRecord> records;
    records.push_back(*std::move(pulled));
    return replica_->ApplyPulled(results, records);
  }

  model::RecordState AContact() { return ServerState("contact", Contact("0190a6c2-0000-7000-8000-0000000000a1")); }

  // Reads `given`'s bytes (under an id of its own, unless it brings an unusual one): the fast
  // read must say what the decoded path says, and the record, stored, shows its state's values.
  void ExpectReadAsDecoded(const model::RecordState& given, bool simple, const char* what) {
    SCOPED_TRACE(what);
    model::RecordState state = given;
    if (model::IsUuid(state.id)) {
      char id[40];
      std::snprintf(id, sizeof(id), "0190a6c2-0000-7000-8000-%012x", 0xf000 + ++read_);
      state.id = id;
      ASSERT_TRUE(model::IsUuid(state.id)) << state.id;
    }
    const std::string bytes = protocol::EncodeRecordState(state);
    ASSERT_OK_AND_ASSIGN(PulledRecord pulled, replica_->ReadPulled(bytes));
    EXPECT_EQ(!pulled.state.has_value(), simple);
    if (pulled.state.has_value()) {
      EXPECT_EQ(*pulled.state, state);
    }
    EXPECT_EQ(pulled.id, state.id);
    EXPECT_EQ(pulled.collection, state.collection);
    EXPECT_EQ(pulled.newest, detail::NewestReading(state));
    EXPECT_EQ(pulled.bytes, bytes);
    std::vector<PulledRecord> records;
    records.push_back(std::move(pulled));
    ASSERT_THAT(replica_->ApplyPulled({}, records), IsOk());
    ASSERT_OK_AND_ASSIGN(RecordView view, replica_->Get(state.id));
    EXPECT_EQ(view.values, merge::CurrentValues(*schemas_->Find(state.collection), state));
  }
  int read_ = 0;  // records read so far, each under an id of its own
};

TEST_F(ReplicaPullTest, EveryRecordReadsAsItsDecodedStateShows) {
  const model::RecordState contact = AContact();
  ASSERT_FALSE(contact.appends.empty());
  ASSERT_FALSE(contact.sets.empty());
  ExpectReadAsDecoded(contact, /*simple=*/true, "a contact as created");
  ExpectReadAsDecoded(ServerState("young_person", YoungPerson("Skye")), true, "a young person");

  model::RecordState escaped = contact;
  escaped.registers.at("location_text").candidates.at(0).value =
      "line one\nline \"two\"\t\\ caf\u00e9 \u2014 \x01 \x1f \x7f end";
  ExpectReadAsDecoded(escaped, true, "a text with escapes, control characters and UTF-8");

  model::RecordState conflict = contact;
  model::Candidate other = conflict.registers.at("location_text").candidates.at(0);
  other.version.hlc.physical_ms += 5;
  other.version.device_id = "tablet-9";
  other.value = "the other place";
  conflict.registers.at("location_text").candidates.push_back(other);
  ExpectReadAsDecoded(conflict, false, "a register in conflict");

  model::RecordState number = contact;
  number.registers.at("location_text").candidates.at(0).value = 12;
  ExpectReadAsDecoded(number, false, "a number");

  model::RecordState cleared = contact;
  cleared.registers.at("location_text").candidates.at(0).value = nullptr;
  ExpectReadAsDecoded(cleared, false, "a cleared field");

  model::RecordState removed = contact;
  auto& element = removed.sets.at("workers_present").elements.begin()->second;
  model::Version removal = element.adds.begin()->first;
  removal.hlc.physical_ms += 10;
  element.removes[removal] = {element.adds.begin()->first};
  ExpectReadAsDecoded(removed, false, "a set element removed");

  model::RecordState two_entries = contact;
  auto& summary = two_entries.appends.at("summary");
  model::Candidate correction = summary.entries.begin()->second;
  correction.version.hlc.physical_ms += 20;
  correction.value["id"] = "0190a6c2-0000-7000-8000-0000000000e2";
  correction.value["supersedes"] = kFirstSummaryId;
  summary.entries[model::AppendKey("0190a6c2-0000-7000-8000-0000000000e2", correction.version)] =
      correction;
  ExpectReadAsDecoded(two_entries, false, "an entry corrected");

  model::RecordState id_field = contact;
  id_field.registers["id"] = id_field.registers.at("status");
  ExpectReadAsDecoded(id_field, true, "a register named id shows the record's id");

  model::RecordState names = contact;
  for (const char* name : {"i", "ia", "idx", "Id", "", "a\"b", "zz"}) {
    names.registers[name] = names.registers.at("status");
  }
  ExpectReadAsDecoded(names, true, "names around id, and names that need escaping");

  model::RecordState empty_set = contact;
  empty_set.sets.at("workers_present").elements.clear();
  ExpectReadAsDecoded(empty_set, true, "an empty set field");

  model::RecordState added_twice = contact;
  auto& twice = added_twice.sets.at("workers_present").elements.begin()->second;
  model::Version again = twice.adds.begin()->first;
  again.hlc.physical_ms += 30;
  twice.adds[again] = {};
  ExpectReadAsDecoded(added_twice, true, "a set element added twice");

  model::RecordState odd_id = contact;
  odd_id.id = "odd \"id\"";
  ExpectReadAsDecoded(odd_id, true, "an id that needs escaping");

  model::RecordState deleted = contact;
  // Filled member by member: g++ 12 at -O3 warned (maybe-uninitialized, an error under
  // -Werror) on the temporary of a braced Deletion in a Release build.
  model::Deletion deletion;
  deletion.version = model::Version{{1'764'000'100'000, 0}, "tablet-1"};
  deletion.author = "user-1";
  deleted.deletions.push_back(deletion);
  ExpectReadAsDecoded(deleted, false, "a deletion");
}

// Derived fields are computed from the values whenever a record is read, never stored: a
// simple record of a schema with derived fields is stored as it came like any other, and
// shows them.
TEST_F(ReplicaPullTest, ARecordWithDerivedFieldsIsStoredAsItCameAndShowsThem) {
  Json example = schema::testing::ValidExample("cse_screening");
  example.erase("id");
  model::RecordState state = ServerState("cse_screening", example);
  ASSERT_FALSE(state.id.empty());
  state.id = "0190a6c2-0000-7000-8000-0000000000f1";  // new to this device
  const Json expected = merge::CurrentValues(*schemas_->Find("cse_screening"), state);
  ASSERT_TRUE(expected.contains("computed_score")) << "derived fields shown";
  ASSERT_THAT(ApplySimple({}, state), IsOk());  // read, not decoded
  ASSERT_OK_AND_ASSIGN(RecordView view, replica_->Get(state.id));
  EXPECT_EQ(view.values, expected);
  ASSERT_OK_AND_ASSIGN(auto listed, replica_->Query("cse_screening"));
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0], expected);
  EXPECT_THAT(replica_->CheckViews(), IsOk());
}

TEST_F(ReplicaPullTest, BytesThatAreNotARecordAreRefused) {
  std::string bytes = protocol::EncodeRecordState(AContact());
  bytes.pop_back();
  EXPECT_THAT(replica_->ReadPulled(bytes).status(),
              ::outreach::testing::StatusIs(StatusCode::kInvalidArgument));
}

// New to this device: stored in the bytes it came in, listed with its values.
TEST_F(ReplicaPullTest, ASimpleRecordNewHereIsStoredAsItCame) {
  const model::RecordState state = AContact();
  ASSERT_OK_AND_ASSIGN(PulledRecord pulled, replica_->ReadPulled(protocol::EncodeRecordState(state)));
  ASSERT_FALSE(pulled.state.has_value());
  std::vector<PulledRecord> records;
  records.push_back(std::move(pulled));
  ASSERT_THAT(replica_->ApplyPulled({}, records), IsOk());
  ASSERT_OK_AND_ASSIGN(RecordView view, replica_->Get(state.id));
  EXPECT_FALSE(view.has_pending_changes);
  EXPECT_EQ(view.values["location_text"], "car park");
  EXPECT_THAT(replica_->CheckViews(), IsOk());

  // Pulled again (decoded, as a record that is not simple is): held now, and the copy stored
  // as it came.
  std::vector<PulledRecord> again;
  again.push_back(replica_->PulledOf(state, protocol::EncodeRecordState(state)));
  ASSERT_THAT(replica_->ApplyPulled({}, again), IsOk());
  ASSERT_OK_AND_ASSIGN(RecordView same, replica_->Get(state.id));
  EXPECT_EQ(same.values, view.values);
  EXPECT_THAT(replica_->CheckViews(), IsOk());
}

// This device's own create, accepted and sent back with nothing else pending: its view row
// is written over in the bytes that came.
TEST_F(ReplicaPullTest, AnAcceptedCreateSentBackIsStoredOverItsView) {
  ASSERT_OK_AND_ASSIGN(std::string id, replica_->Create("contact", Contact("0190a6c2-0000-7000-8000-0000000000a1")));
  ASSERT_OK_AND_ASSIGN(auto created, replica_->Outbox(OutboxStatus::kPending));
  const model::RecordState server =
      merge::Merge(*schemas_->Find("contact"), {}, created[0].change).state;
  ASSERT_THAT(ApplySimple({PushResult{created[0].change.change_id, false, ""}}, server), IsOk());
  ASSERT_OK_AND_ASSIGN(RecordView view, replica_->Get(id));
  EXPECT_FALSE(view.has_pending_changes);
  ASSERT_OK_AND_ASSIGN(auto left, replica_->Outbox(OutboxStatus::kPending));
  EXPECT_TRUE(left.empty());
  EXPECT_THAT(replica_->CheckViews(), IsOk());
}

// Held here with nothing pending: a copy that holds the device's (an edit made elsewhere on
// top) is stored as it came, read from the bytes; an older copy, which does not, is joined,
// and the edit the device holds stays.
TEST_F(ReplicaPullTest, AHeldRecordIsStoredAsItCameOnlyWhenItHoldsTheDevicesCopy) {
  const model::RecordState first = AContact();
  ASSERT_THAT(ApplySimple({}, first), IsOk());
  model::Change edit;
  edit.change_id = "0190a6c2-0000-7000-8000-0000000000e1";
  edit.record_id = first.id;
  edit.collection = first.collection;
  edit.team = first.team;
  edit.schema_version = first.schema_version;
  edit.kind = model::ChangeKind::kUpdate;
  edit.version = model::Version{model::Hlc{clock_.NowMs() + 5000, 0},
                                "0190a6c2-0000-7000-8000-0000000000d2"};
  edit.author = "0190a6c2-0000-7000-8000-0000000000c2";
  edit.author_role = "worker";
  edit.registers["location_text"] =
      model::RegisterWrite{"by the bus stop", first.registers.at("location_text").seen};
  const merge::MergeOutput edited = merge::Merge(*schemas_->Find("contact"), first, edit);
  ASSERT_EQ(edited.result.outcome, merge::Outcome::kApplied);
  ASSERT_TRUE(protocol::PackedStateContains(protocol::EncodeRecordState(edited.state),
                                            protocol::EncodeRecordState(first)));

  ASSERT_THAT(ApplySimple({}, edited.state), IsOk());
  ASSERT_OK_AND_ASSIGN(RecordView view, replica_->Get(first.id));
  EXPECT_EQ(view.values["location_text"], "by the bus stop");
  {
    ASSERT_OK_AND_ASSIGN(auto stored, db_->Prepare("SELECT state FROM local_view WHERE record_id = ?"));
    ASSERT_THAT(stored.BindText(1, first.id), IsOk());
    ASSERT_OK_AND_ASSIGN(bool found, stored.Step());
    ASSERT_TRUE(found);
    const auto blob = stored.ColumnBlob(0);
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(blob.data()), blob.size()),
              protocol::EncodeRecordState(edited.state))
        << "stored as it came";
  }

  ASSERT_THAT(ApplySimple({}, first), IsOk());  // the older copy again
  ASSERT_OK_AND_ASSIGN(RecordView after, replica_->Get(first.id));
  EXPECT_EQ(after.values["location_text"], "by the bus stop") << "nothing held is lost";
  EXPECT_THAT(replica_->CheckViews(), IsOk());
}

// An edit accepted and sent back in the same answer: once its result is settled nothing of the
// record is pending, so the copy that came is stored as it is and the confirmed copy kept
// under the edit (pending_base) goes.
TEST_F(ReplicaPullTest, AnAcceptedEditSentBackLeavesNoConfirmedCopyBehind) {
  const model::RecordState first = AContact();
  ASSERT_THAT(ApplySimple({}, first), IsOk());
  clock_.Advance(1000);
  ASSERT_THAT(replica_->Update(first.id, Json{{"location_text", "by the station"}}), IsOk());
  ASSERT_OK_AND_ASSIGN(auto pending, replica_->Outbox(OutboxStatus::kPending));
  ASSERT_EQ(pending.size(), 1u);
  const model::RecordState server =
      merge::Merge(*schemas_->Find("contact"), first, pending[0].change).state;
  ASSERT_THAT(ApplySimple({PushResult{pending[0].change.change_id, false, ""}}, server), IsOk());
  ASSERT_OK_AND_ASSIGN(RecordView view, replica_->Get(first.id));
  EXPECT_FALSE(view.has_pending_changes);
  EXPECT_EQ(view.values["location_text"], "by the station");
  ASSERT_OK_AND_ASSIGN(auto bases, db_->Prepare("SELECT count(*) FROM pending_base"));
  ASSERT_OK_AND_ASSIGN(bool row, bases.Step());
  ASSERT_TRUE(row);
  EXPECT_EQ(bases.ColumnInt64(0), 0);
  EXPECT_THAT(replica_->CheckViews(), IsOk());
}

// Held here with changes pending here: decoded and joined, the changes shown on top.
TEST_F(ReplicaPullTest, ASimpleRecordHeldHereIsDecodedAndJoined) {
  const std::string young_person = "0190a6c2-0000-7000-8000-0000000000a1";
  ASSERT_OK_AND_ASSIGN(std::string id, replica_->Create("contact", Contact(young_person)));
  ASSERT_OK_AND_ASSIGN(auto created, replica_->Outbox(OutboxStatus::kPending));
  const model::RecordState server =
      merge::Merge(*schemas_->Find("contact"), {}, created[0].change).state;
  clock_.Advance(1000);
  ASSERT_THAT(replica_->Update(id, Json{{"location_text", "by the station"}}), IsOk());
  // The create accepted and sent back; the edit still pending.
  ASSERT_THAT(ApplySimple({PushResult{created[0].change.change_id, false, ""}}, server), IsOk());
  ASSERT_OK_AND_ASSIGN(RecordView view, replica_->Get(id));
  EXPECT_TRUE(view.has_pending_changes);
  EXPECT_EQ(view.values["location_text"], "by the station");
  EXPECT_THAT(replica_->CheckViews(), IsOk());

  // The same copy pulled again, the edit still pending: joined with what is held here.
  ASSERT_THAT(ApplySimple({}, server), IsOk());
  ASSERT_OK_AND_ASSIGN(RecordView still, replica_->Get(id));
  EXPECT_EQ(still.values["location_text"], "by the station");
  EXPECT_THAT(replica_->CheckViews(), IsOk());
}

}  // namespace
}  // namespace outreach::replica
