// Replica: local writes with their outbox entries, reads with pending changes overlaid, rebase
// when the server's state arrives, rejected changes kept until discarded.
#include "core/replica/replica.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "core/merge/merge.h"
#include "core/model/hybrid_clock.h"
#include "core/protocol/binary_codec.h"
#include "tests/core/replica/replica_fixture.h"
#include "tests/testing/status_matchers.h"

namespace outreach::replica {
namespace {

using model::Json;
using ::outreach::testing::IsOk;
using ::outreach::testing::StatusIs;

class ReplicaTest : public testing::ReplicaFixture {
 protected:
  // One column of a row, read as bytes; nullopt when there is no row, "NULL" for a NULL value.
  std::optional<std::string> Column(const std::string& sql, const std::string& id) {
    auto select = db_->Prepare(sql);
    if (!select.ok() || !select->BindText(1, id).ok()) return std::nullopt;
    auto found = select->Step();
    if (!found.ok() || !*found) return std::nullopt;
    if (select->ColumnIsNull(0)) return "NULL";
    const auto blob = select->ColumnBlob(0);
    return std::string(reinterpret_cast<const char*>(blob.data()), blob.size());
  }
  std::optional<std::string> ViewState(const std::string& id) {
    return Column("SELECT state FROM local_view WHERE record_id = ?", id);
  }
  std::optional<std::string> PendingBase(const std::string& id) {
    return Column("SELECT state FROM pending_base WHERE record_id = ?", id);
  }
  // The view table as layouts 2 to 4 made it, with its values as JSON text (vals, which
  // queries read): stale text here, so anything still reading it would show it.
  void GiveViewsAValuesColumn() {
    ASSERT_OK(db_->Exec(R"sql(
      CREATE TABLE old_view(
        record_id TEXT NOT NULL UNIQUE, collection TEXT NOT NULL, deleted INTEGER NOT NULL,
        state BLOB, vals TEXT NOT NULL);
      INSERT INTO old_view SELECT record_id, collection, deleted, state, '{"known_as":"stale"}'
        FROM local_view;
      DROP TABLE local_view;
      ALTER TABLE old_view RENAME TO local_view;
      CREATE INDEX local_view_by_collection ON local_view(collection, deleted);)sql"));
    ASSERT_EQ(ValuesColumns(), "1");
  }
  std::optional<std::string> ValuesColumns() {
    return Column("SELECT count(*) FROM pragma_table_info('local_view') WHERE name = ?", "vals");
  }
  std::string OnlyPendingChange() {
    auto outbox = replica_->Outbox(OutboxStatus::kPending);
    EXPECT_TRUE(outbox.ok() && outbox->size() == 1u);
    return outbox.ok() && !outbox->empty() ? outbox->front().change.change_id : "";
  }
};

TEST_F(ReplicaTest, CreateWritesTheRecordAndItsOutboxEntryTogether) {
  ASSERT_OK_AND_ASSIGN(std::string id, replica_->Create("young_person", YoungPerson("Skye")));
  ASSERT_OK_AND_ASSIGN(RecordView view, replica_->Get(id));
  EXPECT_EQ(view.values["known_as"], "Skye");
  EXPECT_EQ(view.values["id"], id);
  EXPECT_TRUE(view.has_pending_changes);
  ASSERT_OK_AND_ASSIGN(auto pending, replica_->Outbox(OutboxStatus::kPending));
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0].change.record_id, id);
  EXPECT_EQ(pending[0].change.kind, model::ChangeKind::kCreate);
  EXPECT_EQ(pending[0].change.version.device_id, "tablet-1");
}

TEST_F(ReplicaTest, InvalidRecordIsRefusedWithEveryProblemAndNothingWritten) {
  std::vector<schema::ValidationProblem> problems;
  auto created = replica_->Create("young_person", Json{{"aliases", "not a list"}}, &problems);
  EXPECT_THAT(created, StatusIs(StatusCode::kInvalidArgument));
  std::set<std::string> pointers;
  for (const auto& problem : problems) pointers.insert(problem.pointer);
  EXPECT_EQ(pointers.count("/known_as"), 1u);
  EXPECT_EQ(pointers.count("/aliases"), 1u);
  EXPECT_NE(created.status().message().find("/known_as"), std::string::npos)
      << created.status().message();
  EXPECT_NE(created.status().message().find("/aliases"), std::string::npos);
  ASSERT_OK_AND_ASSIGN(auto pending, replica_->Outbox(OutboxStatus::kPending));
  EXPECT_TRUE(pending.empty());
  EXPECT_THAT(replica_->Create("no_such_type", Json::object()), StatusIs(StatusCode::kInvalidArgument));
}

TEST_F(ReplicaTest, UpdateAppendDeleteAndQuery) {
  ASSERT_OK_AND_ASSIGN(std::string skye, replica_->Create("young_person", YoungPerson("Skye")));
  ASSERT_OK_AND_ASSIGN(std::string jay, replica_->Create("young_person", YoungPerson("Jay")));
  clock_.Advance(1000);
  ASSERT_THAT(replica_->Update(skye, Json{{"known_as", "Sky"}, {"aliases", {"S", "Skye"}}}), IsOk());
  ASSERT_OK_AND_ASSIGN(auto found, replica_->Query("young_person", "known_as", "Sky"));
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0]["id"], skye);
  ASSERT_OK_AND_ASSIGN(auto all, replica_->Query("young_person"));
  EXPECT_EQ(all.size(), 2u);
  replica_.reset();  // one replica per device at a time: the leader's takes over the clock
  replica_ = OpenReplica("team_leader");
  ASSERT_THAT(replica_->Delete(jay, "recorded twice"), IsOk());
  ASSERT_OK_AND_ASSIGN(all, replica_->Query("young_person"));
  EXPECT_EQ(all.size(), 1u);
  ASSERT_OK_AND_ASSIGN(RecordView gone, replica_->Get(jay));
  EXPECT_TRUE(gone.deleted);
  EXPECT_THAT(replica_->Update(jay, Json{{"known_as", "J"}}), StatusIs(StatusCode::kFailedPrecondition));
  EXPECT_THAT(replica_->Update("0190a6c2-0000-7000-8000-000000000999", Json{{"known_as", "x"}}),
              StatusIs(StatusCode::kNotFound));
  EXPECT_THAT(replica_->Query("young_person", "known_as') OR 1=1 --", "x"),
              StatusIs(StatusCode::kInvalidArgument));
}

TEST_F(ReplicaTest, OnlyALeaderOrAdministratorWithAReasonDeletes) {
  ASSERT_OK_AND_ASSIGN(std::string id, replica_->Create("young_person", YoungPerson("Skye")));
  EXPECT_THAT(replica_->Delete(id, "recorded twice"), StatusIs(StatusCode::kFailedPrecondition));
  replica_.reset();
  replica_ = OpenReplica("office");
  EXPECT_THAT(replica_->Delete(id, "recorded twice"), StatusIs(StatusCode::kFailedPrecondition));
  replica_.reset();
  replica_ = OpenReplica("team_leader");
  EXPECT_THAT(replica_->Delete(id, ""), StatusIs(StatusCode::kFailedPrecondition));
  ASSERT_OK_AND_ASSIGN(auto pending, replica_->Outbox(OutboxStatus::kPending));
  EXPECT_EQ(pending.size(), 1u) << "a refused delete writes nothing";
  ASSERT_OK_AND_ASSIGN(RecordView alive, replica_->Get(id));
  EXPECT_FALSE(alive.deleted);
  ASSERT_THAT(replica_->Delete(id, "recorded twice"), IsOk());
  ASSERT_OK_AND_ASSIGN(pending, replica_->Outbox(OutboxStatus::kPending));
  ASSERT_EQ(pending.size(), 2u);
  EXPECT_EQ(pending[1].change.reason, "recorded twice");
  ASSERT_OK_AND_ASSIGN(RecordView gone, replica_->Get(id));
  EXPECT_TRUE(gone.deleted);
}

TEST_F(ReplicaTest, ServerStateIsRebasedUnderPendingChanges) {
  ASSERT_OK_AND_ASSIGN(std::string id, replica_->Create("young_person", YoungPerson("Skye")));
  ASSERT_OK_AND_ASSIGN(auto pending, replica_->Outbox(OutboxStatus::kPending));
  const model::Change create = pending[0].change;
  // The server accepted the create; meanwhile the worker renamed her offline.
  ASSERT_THAT(replica_->MarkAccepted(create.change_id), IsOk());
  clock_.Advance(1000);
  ASSERT_THAT(replica_->Update(id, Json{{"known_as", "Sky"}}), IsOk());
  // The server's state: the create plus a colleague's concurrent edit of a review field.
  const schema::RecordSchema& schema = *schemas_->Find("young_person");
  model::RecordState server = merge::Merge(schema, {}, create).state;
  model::Change colleague = create;
  colleague.change_id = "0190a6c2-0000-7000-8000-0000000000c1";
  colleague.kind = model::ChangeKind::kUpdate;
  colleague.version = model::Version{model::Hlc{clock_.NowMs(), 0}, "tablet-2"};
  colleague.author = "user-2";
  colleague.registers.clear();
  colleague.appends.clear();
  colleague.sets.clear();
  colleague.registers["caseload_owner"] = model::RegisterWrite{"user-2", server.registers["caseload_owner"].seen};
  server = merge::Merge(schema, server, colleague).state;
  ASSERT_THAT(replica_->ApplyServerRecord(server), IsOk());

  ASSERT_OK_AND_ASSIGN(RecordView view, replica_->Get(id));
  EXPECT_EQ(view.values["known_as"], "Sky") << "the pending rename stays on top";
  EXPECT_EQ(view.values["caseload_owner"], "user-2");
  EXPECT_TRUE(view.has_pending_changes);
}

TEST_F(ReplicaTest, OnlyATeamLeaderResolves) {
  ASSERT_OK_AND_ASSIGN(std::string id, replica_->Create("young_person", YoungPerson("Skye")));
  EXPECT_THAT(replica_->Resolve(id, "caseload_owner", "user-3", "handover"),
              StatusIs(StatusCode::kFailedPrecondition));
  auto leader = OpenReplica("team_leader");
  EXPECT_THAT(leader->Resolve(id, "caseload_owner", "user-3", "handover"), IsOk());
}

TEST_F(ReplicaTest, ClockSurvivesReopenEvenIfTheWallClockGoesBack) {
  ASSERT_OK_AND_ASSIGN(std::string id, replica_->Create("young_person", YoungPerson("Skye")));
  ASSERT_OK_AND_ASSIGN(auto first, replica_->Outbox(OutboxStatus::kPending));
  replica_.reset();
  clock_.Advance(-24 * 3600 * 1000);  // the tablet's clock jumps back a day
  replica_ = OpenReplica("worker");
  ASSERT_THAT(replica_->Update(id, Json{{"known_as", "Sky"}}), IsOk());
  ASSERT_OK_AND_ASSIGN(auto both, replica_->Outbox(OutboxStatus::kPending));
  ASSERT_EQ(both.size(), 2u);
  EXPECT_LT(first[0].change.version, both[1].change.version);
}

TEST_F(ReplicaTest, OnlyATeamLeaderWritesTheSignedOffRiskLevel) {
  ASSERT_OK_AND_ASSIGN(std::string id, replica_->Create("young_person", YoungPerson("Skye")));
  EXPECT_THAT(replica_->Update(id, Json{{"current_cse_risk", "significant"}}),
              StatusIs(StatusCode::kFailedPrecondition));
  auto leader = OpenReplica("team_leader");
  EXPECT_THAT(leader->Update(id, Json{{"current_cse_risk", "significant"}}), IsOk());
}

TEST_F(ReplicaTest, QueryMatchesBooleansAndNumbersByTypeAndValue) {
  Json values = YoungPerson("Skye");
  values["dob_estimated"] = true;
  ASSERT_OK_AND_ASSIGN(std::string id, replica_->Create("young_person", values));
  ASSERT_OK_AND_ASSIGN(auto found, replica_->Query("young_person", "dob_estimated", true));
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0]["id"], id);
  ASSERT_OK_AND_ASSIGN(auto none, replica_->Query("young_person", "dob_estimated", 1));
  EXPECT_TRUE(none.empty());
}

// Queries compare decoded values as they compared stored JSON text in SQL (json_type and
// json_extract): an integer is not a real, inside a value too, and a field not set matches
// nothing, null included.
TEST_F(ReplicaTest, QueryMatchesIntegersNotRealsAndNeverAFieldNotSet) {
  const std::string young_person = "0190a6c2-0000-7000-8000-0000000000a1";
  Json counted = Contact(young_person);
  counted["unidentified_young_people_count"] = 2;
  counted["geo_point"] = Json{{"lat", 51}, {"lon", -1}};
  ASSERT_OK_AND_ASSIGN(std::string id, replica_->Create("contact", counted));
  ASSERT_OK(replica_->Create("contact", Contact(young_person)).status());
  const char* field = "unidentified_young_people_count";
  ASSERT_OK_AND_ASSIGN(auto found, replica_->Query("contact", field, 2));
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0]["id"], id);
  ASSERT_OK_AND_ASSIGN(auto real, replica_->Query("contact", field, 2.0));
  EXPECT_TRUE(real.empty());
  ASSERT_OK_AND_ASSIGN(auto null, replica_->Query("contact", field, nullptr));
  EXPECT_TRUE(null.empty());
  // Inside a value too.
  ASSERT_OK_AND_ASSIGN(auto point, replica_->Query("contact", "geo_point",
                                                   Json{{"lat", 51}, {"lon", -1}}));
  ASSERT_EQ(point.size(), 1u);
  EXPECT_EQ(point[0]["id"], id);
  ASSERT_OK_AND_ASSIGN(auto real_point, replica_->Query("contact", "geo_point",
                                                        Json{{"lat", 51.0}, {"lon", -1}}));
  EXPECT_TRUE(real_point.empty());
  // -1 is not 2^64 - 1 (which nlohmann's == takes for the same bits).
  const Json wrapped_point{{"lat", 51}, {"lon", ~std::uint64_t{0}}};
  ASSERT_OK_AND_ASSIGN(auto wrapped, replica_->Query("contact", "geo_point", wrapped_point));
  EXPECT_TRUE(wrapped.empty());
  ASSERT_OK_AND_ASSIGN(auto all, replica_->Query("contact"));
  EXPECT_EQ(all.size(), 2u);
}

// A stored state that is damaged, or missing, fails the list as corrupt, naming its record;
// the other records still read one by one.
TEST_F(ReplicaTest, AListNamesTheRecordWhoseStoredStateIsDamaged) {
  ASSERT_OK_AND_ASSIGN(std::string damaged, replica_->Create("young_person", YoungPerson("Skye")));
  ASSERT_OK_AND_ASSIGN(std::string sound, replica_->Create("young_person", YoungPerson("Jay")));
  for (const char* state : {"x'00'", "NULL"}) {
    SCOPED_TRACE(state);
    ASSERT_OK(db_->Exec("SAVEPOINT tamper"));
    ASSERT_OK(db_->Exec(std::string("UPDATE local_view SET state = ") + state +
                        " WHERE record_id = '" + damaged + "'"));
    const auto listed = replica_->Query("young_person");
    EXPECT_THAT(listed.status(), StatusIs(StatusCode::kCorrupt));
    EXPECT_NE(listed.status().message().find(damaged), std::string::npos)
        << listed.status().message();
    EXPECT_THAT(replica_->Get(sound).status(), IsOk());
    ASSERT_OK(db_->Exec("ROLLBACK TO tamper; RELEASE tamper"));
  }
  ASSERT_OK_AND_ASSIGN(auto listed, replica_->Query("young_person"));
  EXPECT_EQ(listed.size(), 2u);
}

TEST_F(ReplicaTest, AStaleServerCopyDoesNotDropAnAcceptedChange) {
  ASSERT_OK_AND_ASSIGN(std::string id, replica_->Create("young_person", YoungPerson("Skye")));
  ASSERT_OK_AND_ASSIGN(auto pending, replica_->Outbox(OutboxStatus::kPending));
  const model::Change create = pending[0].change;
  ASSERT_THAT(replica_->MarkAccepted(create.change_id), IsOk());
  clock_.Advance(1000);
  ASSERT_THAT(replica_->Update(id, Json{{"known_as", "Sky"}}), IsOk());
  ASSERT_OK_AND_ASSIGN(pending, replica_->Outbox(OutboxStatus::kPending));
  ASSERT_THAT(replica_->MarkAccepted(pending[0].change.change_id), IsOk());
  // The server's answer was taken before the rename reached it.
  const schema::RecordSchema& schema = *schemas_->Find("young_person");
  ASSERT_THAT(replica_->ApplyServerRecord(merge::Merge(schema, {}, create).state), IsOk());
  ASSERT_OK_AND_ASSIGN(RecordView view, replica_->Get(id));
  EXPECT_EQ(view.values["known_as"], "Sky");
}

TEST_F(ReplicaTest, ClockSkewRestampsPendingChangesNearServerTime) {
  // The tablet's clock is a day fast: the server refuses its changes with clock_skew.
  const std::int64_t server_now = clock_.NowMs();
  clock_.Advance(24 * 3600 * 1000);
  ASSERT_OK_AND_ASSIGN(std::string id, replica_->Create("young_person", YoungPerson("Skye")));
  clock_.Advance(10);
  ASSERT_THAT(replica_->Update(id, Json{{"known_as", "Sky"}}), IsOk());
  ASSERT_OK_AND_ASSIGN(auto before, replica_->Outbox(OutboxStatus::kPending));
  ASSERT_EQ(before.size(), 2u);
  EXPECT_FALSE(model::HybridClock::CheckSkew(before[0].change.version.hlc, server_now).ok());

  ASSERT_THAT(replica_->RestampPending(server_now), IsOk());
  ASSERT_OK_AND_ASSIGN(auto after, replica_->Outbox(OutboxStatus::kPending));
  ASSERT_EQ(after.size(), 2u);
  for (const OutboxEntry& entry : after) {
    EXPECT_THAT(model::HybridClock::CheckSkew(entry.change.version.hlc, server_now), IsOk());
  }
  EXPECT_EQ(after[0].change.change_id, before[0].change.change_id) << "same idempotence key";
  EXPECT_LT(after[0].change.version, after[1].change.version);
  // The rename's base follows the create to its new reading: it still supersedes it.
  EXPECT_TRUE(after[1].change.registers.at("known_as").base.Covers(after[0].change.version));
  ASSERT_OK_AND_ASSIGN(RecordView view, replica_->Get(id));
  EXPECT_EQ(view.values["known_as"], "Sky");
  EXPECT_TRUE(view.conflicts.empty());
}

// Regression: MarkSending (which the SDK calls before every push) used to raise the re-stamp
// floor to the pushed readings, so after a clock_skew refusal RestampPending could not bring
// them back near server time and the tablet was refused forever.
TEST_F(ReplicaTest, ClockSkewRefusalOfAPushMarkedSendingStillRestampsNearServerTime) {
  const std::int64_t server_now = clock_.NowMs();
  clock_.Advance(24 * 3600 * 1000);
  ASSERT_OK_AND_ASSIGN(std::string id, replica_->Create("young_person", YoungPerson("Skye")));
  ASSERT_THAT(replica_->Update(id, Json{{"known_as", "Sky"}}), IsOk());
  ASSERT_THAT(replica_->MarkSending(), IsOk());  // pushed; refused with clock_skew

  ASSERT_THAT(replica_->RestampPending(server_now), IsOk());
  ASSERT_OK_AND_ASSIGN(auto after, replica_->Outbox(OutboxStatus::kPending));
  ASSERT_EQ(after.size(), 2u);
  for (const OutboxEntry& entry : after) {
    EXPECT_THAT(model::HybridClock::CheckSkew(entry.change.version.hlc, server_now), IsOk());
  }
}

TEST_F(ReplicaTest, RestampStaysAboveAnEarlierPushWhoseAnswerWasLost) {
  const std::int64_t server_now = clock_.NowMs();
  ASSERT_OK_AND_ASSIGN(std::string id, replica_->Create("young_person", YoungPerson("Skye")));
  ASSERT_OK_AND_ASSIGN(auto first_push, replica_->Outbox(OutboxStatus::kPending));
  ASSERT_THAT(replica_->MarkSending(), IsOk());  // stored by the server, its answer lost
  clock_.Advance(24 * 3600 * 1000);
  ASSERT_THAT(replica_->Update(id, Json{{"known_as", "Sky"}}), IsOk());
  ASSERT_THAT(replica_->MarkSending(), IsOk());  // refused with clock_skew

  ASSERT_THAT(replica_->RestampPending(server_now), IsOk());
  ASSERT_OK_AND_ASSIGN(auto after, replica_->Outbox(OutboxStatus::kPending));
  ASSERT_EQ(after.size(), 2u);
  for (const OutboxEntry& entry : after) {
    EXPECT_LT(first_push[0].change.version.hlc, entry.change.version.hlc)
        << "a new reading could repeat one the server holds";
    EXPECT_THAT(model::HybridClock::CheckSkew(entry.change.version.hlc, server_now), IsOk());
  }
}

// States and changes are stored binary since layout 2; a device database of the JSON layout must
// be refused by name, never misread as records.
TEST_F(ReplicaTest, ADatabaseOfAnOlderLayoutIsRefusedByName) {
  ASSERT_OK(replica_->Create("young_person", YoungPerson("Skye")).status());
  replica_.reset();
  ASSERT_OK(db_->Exec("UPDATE replica_meta SET value = '1' WHERE key = 'replica_format'"));
  auto reopened = Replica::Open(db_.get(), schemas_.get(), &clock_,
                                ReplicaIdentity{"tablet-1", "user-1", "worker", "team-a"});
  EXPECT_THAT(reopened.status(), StatusIs(StatusCode::kFailedPrecondition));
  EXPECT_NE(reopened.status().message().find("layout 1"), std::string::npos);
  // The JSON layout had no format key at all.
  ASSERT_OK(db_->Exec("DELETE FROM replica_meta WHERE key = 'replica_format'"));
  EXPECT_THAT(Replica::Open(db_.get(), schemas_.get(), &clock_,
                            ReplicaIdentity{"tablet-1", "user-1", "worker", "team-a"})
                  .status(),
              StatusIs(StatusCode::kFailedPrecondition));
}

// Layout 4 stores states packed (1.3). A layout-3 database, its states in archive form, is
// moved to layout 5 when opened (its values column goes) and reads as before; a later layout
// is refused by name.
TEST_F(ReplicaTest, ALayout3DatabaseReadsOnAndALaterLayoutIsRefusedByName) {
  ASSERT_OK_AND_ASSIGN(std::string id, replica_->Create("young_person", YoungPerson("Skye")));
  ASSERT_OK(replica_->MarkAccepted(OnlyPendingChange()));
  ASSERT_OK_AND_ASSIGN(RecordView before, replica_->Get(id));
  const std::optional<std::string> packed = ViewState(id);
  ASSERT_TRUE(packed.has_value());
  ASSERT_OK_AND_ASSIGN(model::RecordState state, protocol::DecodeRecordState(*packed));
  // The archive form, as a layout-3 device stored it (what a 1.2 answer carries).
  protocol::SyncResponse old_answer;
  old_answer.version = protocol::ProtocolVersion{1, 2};
  old_answer.records = {state};
  std::vector<std::string> archive;
  ASSERT_OK(protocol::DecodeBinaryResponse(protocol::EncodeBinary(old_answer), {}, &archive).status());
  ASSERT_EQ(archive.size(), 1u);
  ASSERT_NE(archive[0], *packed);
  replica_.reset();
  ASSERT_OK_AND_ASSIGN(auto update, db_->Prepare("UPDATE local_view SET state = ? WHERE record_id = ?"));
  ASSERT_OK(update.BindBlob(
      1, std::span(reinterpret_cast<const std::uint8_t*>(archive[0].data()), archive[0].size())));
  ASSERT_OK(update.BindText(2, id));
  ASSERT_OK(update.Run());
  ASSERT_NO_FATAL_FAILURE(GiveViewsAValuesColumn());
  ASSERT_OK(db_->Exec("UPDATE replica_meta SET value = '3' WHERE key = 'replica_format'"));
  replica_ = OpenReplica("worker");
  ASSERT_TRUE(replica_);
  EXPECT_EQ(Column("SELECT value FROM replica_meta WHERE key = ?", "replica_format"), "5");
  EXPECT_EQ(ValuesColumns(), "0");
  ASSERT_OK_AND_ASSIGN(RecordView after, replica_->Get(id));
  EXPECT_EQ(after.values, before.values);
  ASSERT_OK_AND_ASSIGN(auto listed, replica_->Query("young_person"));
  EXPECT_EQ(listed, std::vector<Json>{before.values}) << "listed from the state, not stale text";
  EXPECT_THAT(replica_->CheckViews(), IsOk());
  ASSERT_OK(replica_->Update(id, Json{{"known_as", "Sky"}}));  // written on top, packed
  EXPECT_THAT(replica_->CheckViews(), IsOk());

  replica_.reset();
  ASSERT_OK(db_->Exec("UPDATE replica_meta SET value = '6' WHERE key = 'replica_format'"));
  auto later = Replica::Open(db_.get(), schemas_.get(), &clock_,
                             ReplicaIdentity{"tablet-1", "user-1", "worker", "team-a"});
  EXPECT_THAT(later.status(), StatusIs(StatusCode::kFailedPrecondition));
  EXPECT_NE(later.status().message().find("layout 6"), std::string::npos);
}

// Up to layout 4 a view row also held the record's values as JSON text (vals), which
// queries read. A layout-4 database loses that column when opened (layout 5): its records,
// listed or read one by one, show what they showed, from their states.
TEST_F(ReplicaTest, ALayout4DatabaseLosesItsValuesColumnAndReadsOn) {
  ASSERT_OK_AND_ASSIGN(std::string synced, replica_->Create("young_person", YoungPerson("Skye")));
  ASSERT_OK(replica_->MarkAccepted(OnlyPendingChange()));
  ASSERT_OK(replica_->Update(synced, Json{{"known_as", "Sky"}}));  // pending on top
  ASSERT_OK_AND_ASSIGN(std::string other, replica_->Create("young_person", YoungPerson("Jay")));
  ASSERT_OK_AND_ASSIGN(auto listed_before, replica_->Query("young_person"));
  ASSERT_EQ(listed_before.size(), 2u);
  ASSERT_OK_AND_ASSIGN(RecordView synced_before, replica_->Get(synced));
  replica_.reset();
  ASSERT_NO_FATAL_FAILURE(GiveViewsAValuesColumn());
  ASSERT_OK(db_->Exec("UPDATE replica_meta SET value = '4' WHERE key = 'replica_format'"));

  replica_ = OpenReplica("worker");
  ASSERT_NE(replica_, nullptr);
  EXPECT_EQ(Column("SELECT value FROM replica_meta WHERE key = ?", "replica_format"), "5");
  EXPECT_EQ(ValuesColumns(), "0");
  ASSERT_OK_AND_ASSIGN(auto listed_after, replica_->Query("young_person"));
  EXPECT_EQ(listed_after, listed_before);
  ASSERT_OK_AND_ASSIGN(auto found, replica_->Query("young_person", "known_as", "Sky"));
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0]["id"], synced);
  ASSERT_OK_AND_ASSIGN(RecordView synced_after, replica_->Get(synced));
  EXPECT_EQ(synced_after.values, synced_before.values);
  EXPECT_TRUE(synced_after.has_pending_changes);
  EXPECT_THAT(replica_->CheckViews(), IsOk());
  // And it is written on.
  clock_.Advance(1000);
  ASSERT_OK(replica_->Update(other, Json{{"known_as", "J"}}));
  ASSERT_OK_AND_ASSIGN(auto j, replica_->Query("young_person", "known_as", "J"));
  ASSERT_EQ(j.size(), 1u);
  EXPECT_EQ(j[0]["id"], other);
  EXPECT_THAT(replica_->CheckViews(), IsOk());
}

// Layout 3: a record is stored once, in its view; its confirmed state is kept apart exactly
// while something is pending on it, and an accepted push only drops that copy.
TEST_F(ReplicaTest, ARecordIsStoredOnceAndItsConfirmedStateApartOnlyWhilePending) {
  ASSERT_OK_AND_ASSIGN(std::string id, replica_->Create("young_person", YoungPerson("Skye")));
  EXPECT_EQ(PendingBase(id), "NULL") << "a pending create: nothing confirmed yet";
  ASSERT_OK(replica_->MarkAccepted(OnlyPendingChange()));
  EXPECT_EQ(PendingBase(id), std::nullopt) << "nothing pending: the view is the confirmed state";
  const std::optional<std::string> confirmed = ViewState(id);
  ASSERT_TRUE(confirmed.has_value() && *confirmed != "NULL");
  EXPECT_THAT(replica_->CheckViews(), IsOk());

  ASSERT_OK(replica_->Update(id, Json{{"known_as", "Sky"}}));
  EXPECT_EQ(PendingBase(id), confirmed) << "the confirmed state, as stored, kept under the edit";
  EXPECT_NE(ViewState(id), confirmed);
  ASSERT_OK_AND_ASSIGN(auto edited, replica_->Get(id));
  EXPECT_EQ(edited.values.value("known_as", ""), "Sky");
  EXPECT_TRUE(edited.has_pending_changes);
  EXPECT_THAT(replica_->CheckViews(), IsOk());

  // Refused: the view goes back to the confirmed state and the copy goes.
  ASSERT_OK(replica_->MarkRejected(OnlyPendingChange(), "not allowed"));
  EXPECT_EQ(PendingBase(id), std::nullopt);
  EXPECT_EQ(ViewState(id), confirmed);
  ASSERT_OK_AND_ASSIGN(auto back, replica_->Get(id));
  EXPECT_EQ(back.values.value("known_as", ""), "Skye");
  EXPECT_THAT(replica_->CheckViews(), IsOk());
}

// A device database of layout 2 (every confirmed state in a `confirmed` table, a view's state
// NULL while it equalled it, its values beside it) is moved to layout 3 and on to 5 when
// opened, every record reading as before.
TEST_F(ReplicaTest, ADatabaseOfLayout2IsMovedToLayout5WhenOpened) {
  ASSERT_OK_AND_ASSIGN(std::string synced, replica_->Create("young_person", YoungPerson("Skye")));
  ASSERT_OK(replica_->MarkAccepted(OnlyPendingChange()));
  ASSERT_OK_AND_ASSIGN(std::string edited, replica_->Create("young_person", YoungPerson("Jay")));
  ASSERT_OK(replica_->MarkAccepted(OnlyPendingChange()));
  ASSERT_OK(replica_->Update(edited, Json{{"known_as", "J"}}));
  ASSERT_OK_AND_ASSIGN(std::string created, replica_->Create("young_person", YoungPerson("Lou")));
  // Refused by the server: layout 2 left such a view its own state (equal to the confirmed
  // one) with nothing pending.
  ASSERT_OK(replica_->Update(synced, Json{{"known_as", "Sky"}}));
  ASSERT_OK_AND_ASSIGN(auto outbox, replica_->Outbox(OutboxStatus::kPending));
  ASSERT_OK(replica_->MarkRejected(outbox.back().change.change_id, "not allowed"));
  std::map<std::string, std::pair<Json, bool>> before;
  for (const std::string& id : {synced, edited, created}) {
    ASSERT_OK_AND_ASSIGN(auto view, replica_->Get(id));
    before[id] = {view.values, view.has_pending_changes};
  }
  const std::optional<std::string> edited_base = PendingBase(edited);
  replica_.reset();
  // The same records as layout 2 wrote them.
  ASSERT_NO_FATAL_FAILURE(GiveViewsAValuesColumn());
  ASSERT_OK(db_->Exec(R"sql(
    CREATE TABLE confirmed(record_id TEXT NOT NULL UNIQUE, state BLOB NOT NULL);
    INSERT INTO confirmed SELECT record_id, state FROM local_view
      WHERE record_id NOT IN (SELECT record_id FROM pending_base);
    INSERT INTO confirmed SELECT record_id, state FROM pending_base WHERE state IS NOT NULL;
    UPDATE local_view SET state = NULL WHERE record_id NOT IN (SELECT record_id FROM pending_base)
      AND record_id NOT IN (SELECT record_id FROM outbox WHERE status = 'rejected');
    DROP TABLE pending_base;
    UPDATE replica_meta SET value = '2' WHERE key = 'replica_format';)sql"));
  ASSERT_EQ(Column("SELECT count(*) FROM local_view WHERE state IS NOT NULL AND record_id = ?", synced),
            "1") << "a view of its own with nothing pending, as layout 2 could leave";

  replica_ = OpenReplica("worker");
  ASSERT_NE(replica_, nullptr);
  EXPECT_EQ(Column("SELECT value FROM replica_meta WHERE key = ?", "replica_format"), "5");
  EXPECT_FALSE(db_->Prepare("SELECT 1 FROM confirmed").ok()) << "the old table is gone";
  EXPECT_EQ(ValuesColumns(), "0");
  for (const std::string& id : {synced, edited, created}) {
    ASSERT_OK_AND_ASSIGN(auto view, replica_->Get(id));
    EXPECT_EQ(view.values, before[id].first) << id;
    EXPECT_EQ(view.has_pending_changes, before[id].second) << id;
  }
  ASSERT_OK_AND_ASSIGN(auto listed, replica_->Query("young_person"));
  ASSERT_EQ(listed.size(), 3u);
  for (const Json& values : listed) {
    EXPECT_EQ(values, before[values.at("id").get<std::string>()].first) << "not stale text";
  }
  EXPECT_EQ(PendingBase(synced), std::nullopt);
  EXPECT_EQ(PendingBase(edited), edited_base);
  EXPECT_EQ(PendingBase(created), "NULL");
  EXPECT_THAT(replica_->CheckViews(), IsOk());
  // And it syncs on: the server accepts both pending changes.
  ASSERT_OK_AND_ASSIGN(auto pending, replica_->Outbox(OutboxStatus::kPending));
  ASSERT_EQ(pending.size(), 2u);
  for (const OutboxEntry& entry : pending) ASSERT_OK(replica_->MarkAccepted(entry.change.change_id));
  EXPECT_EQ(PendingBase(edited), std::nullopt);
  EXPECT_EQ(PendingBase(created), std::nullopt);
  EXPECT_THAT(replica_->CheckViews(), IsOk());
}

// Without its pending_base row a record's view would be taken for its confirmed state: the
// self-check finds a missing copy under pending changes, and a stray one with none.
TEST_F(ReplicaTest, CheckViewsFindsAConfirmedStateMissingOrKeptForNothing) {
  ASSERT_OK_AND_ASSIGN(std::string synced, replica_->Create("young_person", YoungPerson("Skye")));
  ASSERT_OK(replica_->MarkAccepted(OnlyPendingChange()));
  ASSERT_OK_AND_ASSIGN(std::string pending, replica_->Create("young_person", YoungPerson("Jay")));
  ASSERT_THAT(replica_->CheckViews(), IsOk());
  ASSERT_OK(db_->Exec("SAVEPOINT tamper"));
  ASSERT_OK(db_->Exec("DELETE FROM pending_base WHERE record_id = '" + pending + "'"));
  EXPECT_THAT(replica_->CheckViews(), StatusIs(StatusCode::kCorrupt));
  ASSERT_OK(db_->Exec("ROLLBACK TO tamper; RELEASE tamper"));
  ASSERT_OK(db_->Exec("INSERT INTO pending_base SELECT record_id, state FROM local_view "
                      "WHERE record_id = '" + synced + "'"));
  EXPECT_THAT(replica_->CheckViews(), StatusIs(StatusCode::kCorrupt));
}

// Review finding (d): queries pick records by the stored collection and deleted flag, so
// CheckViews compares them with what the view computed from confirmed + outbox says, as well
// as its state.
TEST_F(ReplicaTest, CheckViewsComparesTheStoredDeletedFlagAndCollection) {
  ASSERT_OK_AND_ASSIGN(std::string id, replica_->Create("young_person", YoungPerson("Skye")));
  ASSERT_OK_AND_ASSIGN(auto outbox, replica_->Outbox(OutboxStatus::kPending));
  ASSERT_OK(replica_->MarkAccepted(outbox[0].change.change_id));
  ASSERT_OK_AND_ASSIGN(std::string pending, replica_->Create("young_person", YoungPerson("Jay")));
  ASSERT_THAT(replica_->CheckViews(), IsOk());
  for (const std::string& record : {id, pending}) {
    ASSERT_OK(db_->Exec("SAVEPOINT tamper"));
    ASSERT_OK(db_->Exec("UPDATE local_view SET deleted = 1 WHERE record_id = '" + record + "'"));
    EXPECT_THAT(replica_->CheckViews(), StatusIs(StatusCode::kCorrupt)) << "deleted of " << record;
    ASSERT_OK(db_->Exec("ROLLBACK TO tamper; RELEASE tamper"));
    // Queries list records by this column: a record filed under another collection is missing
    // from its own list.
    ASSERT_OK(db_->Exec("SAVEPOINT tamper"));
    ASSERT_OK(db_->Exec("UPDATE local_view SET collection = 'contact' WHERE record_id = '" +
                        record + "'"));
    EXPECT_THAT(replica_->CheckViews(), StatusIs(StatusCode::kCorrupt)) << "collection of " << record;
    ASSERT_OK(db_->Exec("ROLLBACK TO tamper; RELEASE tamper"));
  }
}

}  // namespace
}  // namespace outreach::replica
