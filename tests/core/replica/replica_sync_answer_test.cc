// Replica::ApplySyncAnswer: one sync answer (results of pushed changes plus the records pulled
// with them) applied in one transaction, equal in effect to the call-by-call path.
#include <gtest/gtest.h>

#include <map>
#include <optional>

#include "core/merge/merge.h"
#include "core/merge/record_view.h"
#include "core/model/canonical_json.h"
#include "core/model/record_codec.h"
#include "core/protocol/binary_codec.h"
#include "core/replica/internal/replica_store.h"
#include "core/replica/replica.h"
#include "core/schema/schema_registry.h"
#include "tests/core/replica/replica_fixture.h"
#include "tests/testing/status_matchers.h"

namespace outreach::replica {
namespace {

using model::Json;
using ::outreach::testing::IsOk;

class ReplicaSyncAnswerTest : public testing::ReplicaFixture {
 protected:
  std::int64_t SecureDeleteMode() {
    auto pragma = db_->Prepare("PRAGMA secure_delete");
    if (!pragma.ok()) return -1;
    const auto row = pragma->Step();
    return row.ok() && *row ? pragma->ColumnInt64(0) : -1;
  }
};

// The accepted changes leave the outbox without their freed pages being zeroed (their values
// are in their records' states; core/storage's test shows the pages kept): once the answer
// is applied, deletes zero what they free again.
TEST_F(ReplicaSyncAnswerTest, DeletesZeroWhatTheyFreeAgainOnceTheAnswerIsApplied) {
  ASSERT_EQ(SecureDeleteMode(), 1);
  ASSERT_OK_AND_ASSIGN(std::string skye, replica_->Create("young_person", YoungPerson("Skye")));
  ASSERT_OK_AND_ASSIGN(auto pending, replica_->Outbox(OutboxStatus::kPending));
  ASSERT_EQ(pending.size(), 1u);
  ASSERT_THAT(replica_->ApplySyncAnswer({PushResult{pending[0].change.change_id, false, ""}}, {}),
              IsOk());
  ASSERT_OK_AND_ASSIGN(auto left, replica_->Outbox(OutboxStatus::kPending));
  EXPECT_TRUE(left.empty());
  EXPECT_EQ(SecureDeleteMode(), 1);
  ASSERT_OK_AND_ASSIGN(RecordView view, replica_->Get(skye));
  EXPECT_EQ(view.values["known_as"], "Skye");
}

TEST_F(ReplicaSyncAnswerTest, AcceptedChangesLeaveTheOutboxAndTheViewStaysTheSame) {
  ASSERT_OK_AND_ASSIGN(std::string kept, replica_->Create("young_person", YoungPerson("Skye")));
  ASSERT_OK_AND_ASSIGN(std::string refused, replica_->Create("young_person", YoungPerson("Jay")));
  ASSERT_OK_AND_ASSIGN(std::string unpaged, replica_->Create("young_person", YoungPerson("Kit")));
  clock_.Advance(1000);
  ASSERT_THAT(replica_->Update(kept, Json{{"known_as", "Sky"}}), IsOk());
  ASSERT_OK_AND_ASSIGN(RecordView before, replica_->Get(kept));
  ASSERT_OK_AND_ASSIGN(RecordView unpaged_before, replica_->Get(unpaged));
  ASSERT_OK_AND_ASSIGN(auto pending, replica_->Outbox(OutboxStatus::kPending));
  ASSERT_EQ(pending.size(), 4u);

  // The server applied the changes of `kept` and `unpaged`, refused `refused`'s create, and
  // sent back only `kept` in this page.
  const schema::RecordSchema& schema = *schemas_->Find("young_person");
  model::RecordState server;
  std::vector<PushResult> results;
  for (const auto& entry : pending) {
    const bool refuse = entry.change.record_id == refused;
    results.push_back(PushResult{entry.change.change_id, refuse, refuse ? "failed_precondition: x" : ""});
    if (entry.change.record_id == kept) server = merge::Merge(schema, server, entry.change).state;
  }
  results.push_back(PushResult{"0190a6c2-0000-7000-8000-00000000dead", false, ""});  // discarded
  ASSERT_THAT(replica_->ApplySyncAnswer(results, {server}), IsOk());

  ASSERT_OK_AND_ASSIGN(auto left, replica_->Outbox(OutboxStatus::kPending));
  EXPECT_TRUE(left.empty());
  ASSERT_OK_AND_ASSIGN(auto rejected, replica_->Outbox(OutboxStatus::kRejected));
  ASSERT_EQ(rejected.size(), 1u);
  EXPECT_EQ(rejected[0].change.record_id, refused);
  ASSERT_OK_AND_ASSIGN(RecordView after, replica_->Get(kept));
  EXPECT_EQ(model::CanonicalJson(after.values), model::CanonicalJson(before.values));
  EXPECT_FALSE(after.has_pending_changes);
  // Accepted but not in this page: folded into the confirmed state, still shown.
  ASSERT_OK_AND_ASSIGN(RecordView unpaged_after, replica_->Get(unpaged));
  EXPECT_EQ(model::CanonicalJson(unpaged_after.values), model::CanonicalJson(unpaged_before.values));
  EXPECT_THAT(replica_->CheckViews(), IsOk());
  // The clock moved past every reading the server sent.
  ASSERT_OK_AND_ASSIGN(std::string later, replica_->Create("young_person", YoungPerson("Lou")));
  ASSERT_OK_AND_ASSIGN(auto newest, replica_->Outbox(OutboxStatus::kPending));
  EXPECT_GT(newest.back().change.version.hlc, pending.back().change.version.hlc);
}

// An answer that leaves out records this device can make itself (the server's push answer
// does so when the device held them as they were): their accepted changes are folded into the
// confirmed state, which must then be byte for byte the server's merge. A change written after
// the push stays pending on top.
TEST_F(ReplicaSyncAnswerTest, FoldedChangesGiveTheServersStateAndLaterEditsStayOnTop) {
  ASSERT_OK_AND_ASSIGN(std::string whole, replica_->Create("young_person", YoungPerson("Skye")));
  ASSERT_OK_AND_ASSIGN(std::string part, replica_->Create("young_person", YoungPerson("Jay")));
  clock_.Advance(1000);
  ASSERT_THAT(replica_->Update(whole, Json{{"known_as", "Sky"}}), IsOk());
  ASSERT_THAT(replica_->MarkSending(), IsOk());
  ASSERT_OK_AND_ASSIGN(auto pushed, replica_->Outbox(OutboxStatus::kPending));
  ASSERT_EQ(pushed.size(), 3u);
  clock_.Advance(1000);
  ASSERT_THAT(replica_->Update(part, Json{{"known_as", "J"}}), IsOk());  // after the push left

  const schema::RecordSchema& schema = *schemas_->Find("young_person");
  std::map<std::string, model::RecordState> server;
  std::vector<PushResult> results;
  for (const auto& entry : pushed) {
    results.push_back(PushResult{entry.change.change_id, false, ""});
    model::RecordState& state = server[entry.change.record_id];
    state = merge::Merge(schema, state, entry.change).state;
  }
  ASSERT_THAT(replica_->ApplySyncAnswer(results, {}), IsOk());

  ASSERT_OK_AND_ASSIGN(auto left, replica_->Outbox(OutboxStatus::kPending));
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].change.record_id, part);
  EXPECT_THAT(replica_->CheckViews(), IsOk());
  ASSERT_OK_AND_ASSIGN(RecordView whole_view, replica_->Get(whole));
  EXPECT_FALSE(whole_view.has_pending_changes);
  ASSERT_OK_AND_ASSIGN(RecordView part_view, replica_->Get(part));
  EXPECT_TRUE(part_view.has_pending_changes);
  EXPECT_EQ(part_view.values["known_as"], "J");

  // Byte for byte: the record with nothing pending is stored as its confirmed state, which
  // is the server's; the other's confirmed state shows once its last change is folded too.
  ASSERT_OK_AND_ASSIGN(auto tables, detail::ReplicaStore::Open(db_.get()));
  ASSERT_OK_AND_ASSIGN(auto stored_whole, tables->LoadView(whole));
  ASSERT_TRUE(stored_whole.has_value());
  EXPECT_EQ(model::CanonicalRecord(*stored_whole), model::CanonicalRecord(server[whole]));
  ASSERT_OK_AND_ASSIGN(auto confirmed_part, tables->LoadConfirmed(part));
  ASSERT_TRUE(confirmed_part.has_value());
  EXPECT_EQ(model::CanonicalRecord(*confirmed_part), model::CanonicalRecord(server[part]));
}

TEST_F(ReplicaSyncAnswerTest, AnAnswerThatFailsChangesNothing) {
  ASSERT_OK_AND_ASSIGN(std::string id, replica_->Create("young_person", YoungPerson("Skye")));
  ASSERT_OK_AND_ASSIGN(auto pending, replica_->Outbox(OutboxStatus::kPending));
  model::RecordState stranger;
  stranger.id = "0190a6c2-0000-7000-8000-0000000000aa";
  stranger.collection = "no_such_collection";
  EXPECT_FALSE(replica_->ApplySyncAnswer({PushResult{pending[0].change.change_id, false, ""}},
                                         {stranger}).ok());
  ASSERT_OK_AND_ASSIGN(auto still, replica_->Outbox(OutboxStatus::kPending));
  EXPECT_EQ(still.size(), 1u);
  (void)id;
}

// A push reads its batch as stored: the bytes the outbox's changes encode to, in writing order.
TEST_F(ReplicaSyncAnswerTest, APushBatchIsTheOutboxAsStored) {
  ASSERT_OK_AND_ASSIGN(std::string first, replica_->Create("young_person", YoungPerson("Skye")));
  ASSERT_OK_AND_ASSIGN(std::string second, replica_->Create("young_person", YoungPerson("Jay")));
  ASSERT_OK_AND_ASSIGN(auto pending, replica_->Outbox(OutboxStatus::kPending));
  ASSERT_OK_AND_ASSIGN(auto batch, replica_->PendingForPush(10, 0));
  ASSERT_EQ(batch.size(), 2u);
  for (std::size_t i = 0; i < batch.size(); ++i) {
    EXPECT_EQ(batch[i].sequence, pending[i].sequence);
    EXPECT_EQ(batch[i].change, protocol::EncodeChange(pending[i].change));
  }
  ASSERT_OK_AND_ASSIGN(auto rest, replica_->PendingForPush(10, batch[0].sequence));
  ASSERT_EQ(rest.size(), 1u);
  EXPECT_EQ(rest[0].sequence, batch[1].sequence);
  (void)first;
  (void)second;
}

// A pulled record new to the device is stored in the bytes it came in; bytes that do not pair
// with the records are refused, changing nothing.
TEST_F(ReplicaSyncAnswerTest, APulledRecordIsStoredInTheBytesItCameIn) {
  const schema::RecordSchema& schema = *schemas_->Find("young_person");
  ASSERT_OK_AND_ASSIGN(std::string id, replica_->Create("young_person", YoungPerson("Skye")));
  ASSERT_OK_AND_ASSIGN(auto pending, replica_->Outbox(OutboxStatus::kPending));
  ASSERT_THAT(replica_->WithdrawCreate(id), IsOk());  // the device now has nothing of it
  const model::RecordState server = merge::Merge(schema, {}, pending[0].change).state;
  // Bytes that decode to `server` but are not what encoding it writes (a space after a JSON
  // value, which parsing skips): kept as they are, they can be told from a re-encoding.
  std::string bytes = protocol::EncodeRecordState(server);
  const std::string name = "\x06\"Skye\"";  // its length, a one-byte varint, then its text
  const std::size_t at = bytes.find(name);
  ASSERT_NE(at, std::string::npos);
  bytes.replace(at, name.size(), "\x07\"Skye\" ");
  ASSERT_OK_AND_ASSIGN(const model::RecordState decoded, protocol::DecodeRecordState(bytes));
  ASSERT_EQ(decoded, server);
  ASSERT_NE(protocol::EncodeRecordState(decoded), bytes);
  const std::vector<std::string> stored{bytes};
  const std::vector<std::string> unpaired;
  EXPECT_FALSE(replica_->ApplySyncAnswer({}, {server}, &unpaired).ok());
  EXPECT_FALSE(replica_->Get(id).ok());
  ASSERT_THAT(replica_->ApplySyncAnswer({}, {server}, &stored), IsOk());
  ASSERT_OK_AND_ASSIGN(auto select, db_->Prepare("SELECT state FROM local_view WHERE record_id = ?"));
  ASSERT_OK(select.BindText(1, id));
  ASSERT_OK_AND_ASSIGN(const bool found, select.Step());
  ASSERT_TRUE(found);
  const auto blob = select.ColumnBlob(0);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(blob.data()), blob.size()), stored[0]);
  ASSERT_OK(select.Reset());
  EXPECT_THAT(replica_->CheckViews(), IsOk());
}


// A record new to the device that has pending changes here (pushed, but the answer was lost):
// its view is the server's state with them on top, and the server's state is kept apart.
TEST_F(ReplicaSyncAnswerTest, APulledRecordWithChangesPendingHereShowsThemOnTop) {
  const schema::RecordSchema& schema = *schemas_->Find("young_person");
  ASSERT_OK_AND_ASSIGN(std::string id, replica_->Create("young_person", YoungPerson("Skye")));
  clock_.Advance(1000);
  ASSERT_THAT(replica_->Update(id, Json{{"known_as", "Sky"}}), IsOk());
  ASSERT_OK_AND_ASSIGN(auto pending, replica_->Outbox(OutboxStatus::kPending));
  ASSERT_EQ(pending.size(), 2u);
  // The server has the create only; this answer carries no results (an earlier one was lost).
  const model::RecordState server = merge::Merge(schema, {}, pending[0].change).state;
  const std::vector<std::string> stored{protocol::EncodeRecordState(server)};
  ASSERT_THAT(replica_->ApplySyncAnswer({}, {server}, &stored), IsOk());
  ASSERT_OK_AND_ASSIGN(RecordView view, replica_->Get(id));
  EXPECT_EQ(view.values.value("known_as", ""), "Sky");
  EXPECT_TRUE(view.has_pending_changes);
  EXPECT_THAT(replica_->CheckViews(), IsOk());
  // Both accepted: the view is the confirmed state, nothing kept apart.
  std::vector<PushResult> accepted;
  for (const auto& entry : pending) accepted.push_back(PushResult{entry.change.change_id, false, ""});
  ASSERT_THAT(replica_->ApplySyncAnswer(accepted, {}), IsOk());
  ASSERT_OK_AND_ASSIGN(RecordView after, replica_->Get(id));
  EXPECT_EQ(after.values.value("known_as", ""), "Sky");
  EXPECT_FALSE(after.has_pending_changes);
  EXPECT_THAT(replica_->CheckViews(), IsOk());
}

// A rebuild in which the merge refuses every pending change (here the server's copy of the
// record is of another team, so the device's create cannot apply to it) leaves nothing pending,
// and so no confirmed state kept apart either.
TEST_F(ReplicaSyncAnswerTest, ARebuildThatRefusesEveryPendingChangeKeepsNothingApart) {
  const schema::RecordSchema& schema = *schemas_->Find("young_person");
  ASSERT_OK_AND_ASSIGN(std::string id, replica_->Create("young_person", YoungPerson("Skye")));
  ASSERT_OK_AND_ASSIGN(auto pending, replica_->Outbox(OutboxStatus::kPending));
  model::Change elsewhere = pending[0].change;
  elsewhere.team = "team-b";
  elsewhere.version.device_id = "tablet-9";
  elsewhere.change_id = "0190a6c2-0000-7000-8000-00000000beef";
  const model::RecordState server = merge::Merge(schema, {}, elsewhere).state;
  ASSERT_FALSE(server.id.empty());
  ASSERT_THAT(replica_->ApplyServerRecord(server), IsOk());
  ASSERT_OK_AND_ASSIGN(auto still, replica_->Outbox(OutboxStatus::kPending));
  EXPECT_TRUE(still.empty());
  ASSERT_OK_AND_ASSIGN(auto refused, replica_->Outbox(OutboxStatus::kRejected));
  EXPECT_EQ(refused.size(), 1u);
  ASSERT_OK_AND_ASSIGN(auto tables, detail::ReplicaStore::Open(db_.get()));
  ASSERT_OK_AND_ASSIGN(const bool kept_apart, tables->HasPendingBase(id));
  EXPECT_FALSE(kept_apart);
  EXPECT_THAT(replica_->CheckViews(), IsOk());
}


// A pulled record new to the device is listed with its state's values; records that do not
// pair with their stored bytes are refused, changing nothing. A record with changes pending
// here lists them on top of the pulled state.
TEST_F(ReplicaSyncAnswerTest, APulledRecordIsListedWithItsValuesAndPendingChangesOnTop) {
  const schema::RecordSchema& schema = *schemas_->Find("young_person");
  ASSERT_OK_AND_ASSIGN(std::string id, replica_->Create("young_person", YoungPerson("Skye")));
  ASSERT_OK_AND_ASSIGN(auto pending, replica_->Outbox(OutboxStatus::kPending));
  ASSERT_THAT(replica_->WithdrawCreate(id), IsOk());
  const model::RecordState server = merge::Merge(schema, {}, pending[0].change).state;

  const std::vector<std::string> unpaired;
  EXPECT_FALSE(replica_->ApplySyncAnswer({}, {server}, &unpaired).ok());
  EXPECT_FALSE(replica_->Get(id).ok());
  ASSERT_THAT(replica_->ApplySyncAnswer({}, {server}), IsOk());
  ASSERT_OK_AND_ASSIGN(auto listed, replica_->Query("young_person"));
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0], merge::CurrentValues(schema, server));
  EXPECT_EQ(listed[0].value("known_as", ""), "Skye");
  EXPECT_THAT(replica_->CheckViews(), IsOk());

  clock_.Advance(1000);
  ASSERT_THAT(replica_->Update(id, Json{{"known_as", "Sky"}}), IsOk());
  ASSERT_THAT(replica_->ApplySyncAnswer({}, {server}), IsOk());
  ASSERT_OK_AND_ASSIGN(RecordView edited, replica_->Get(id));
  EXPECT_EQ(edited.values.value("known_as", ""), "Sky");
  ASSERT_OK_AND_ASSIGN(auto relisted, replica_->Query("young_person"));
  ASSERT_EQ(relisted.size(), 1u);
  EXPECT_EQ(relisted[0].value("known_as", ""), "Sky") << "the list shows the pending edit";
  EXPECT_THAT(replica_->CheckViews(), IsOk());
}

// The encoding of `state` with a space after the JSON value `json` (which parsing skips): bytes
// that decode to `state` but are not what encoding it writes, so a row shows which it holds.
std::string SpacedEncoding(const model::RecordState& state, const std::string& json) {
  std::string bytes = protocol::EncodeRecordState(state);
  // A value's text behind its length, a one-byte varint in the packed form (under 128).
  const auto length = [](std::size_t size) { return std::string(1, static_cast<char>(size)); };
  const std::size_t at = bytes.find(length(json.size()) + json);
  if (at == std::string::npos) return bytes;
  bytes.replace(at, 1 + json.size(), length(json.size() + 1) + json + " ");
  return bytes;
}

std::string StoredColumn(storage::Database& db, const char* column, const std::string& id) {
  auto select = db.Prepare(std::string("SELECT ") + column + " FROM local_view WHERE record_id = ?");
  if (!select.ok() || !select->BindText(1, id).ok()) return "";
  auto found = select->Step();
  if (!found.ok() || !*found) return "";
  const auto blob = select->ColumnBlob(0);
  return std::string(reinterpret_cast<const char*>(blob.data()), blob.size());
}

// A record the device holds, nothing pending, that the server sends with all the device had
// and more: the join is the server's copy, kept in the bytes it came in. A copy that lacks
// what the device holds is joined, and the join stored anew.
TEST_F(ReplicaSyncAnswerTest, AHeldRecordTheServerSendsWholeIsStoredAsItCame) {
  const schema::RecordSchema& schema = *schemas_->Find("young_person");
  ASSERT_OK_AND_ASSIGN(std::string id, replica_->Create("young_person", YoungPerson("Skye")));
  ASSERT_OK_AND_ASSIGN(auto created, replica_->Outbox(OutboxStatus::kPending));
  const model::RecordState first = merge::Merge(schema, {}, created[0].change).state;
  ASSERT_THAT(replica_->ApplySyncAnswer({PushResult{created[0].change.change_id, false, ""}},
                                        {first}),
              IsOk());
  clock_.Advance(1000);
  ASSERT_THAT(replica_->Update(id, Json{{"known_as", "Sky"}}), IsOk());
  ASSERT_OK_AND_ASSIGN(auto edited, replica_->Outbox(OutboxStatus::kPending));
  ASSERT_EQ(edited.size(), 1u);
  const model::RecordState second = merge::Merge(schema, first, edited[0].change).state;

  const std::vector<std::string> stored{SpacedEncoding(second, "\"team-a\"")};
  ASSERT_NE(stored[0], protocol::EncodeRecordState(second));
  ASSERT_THAT(replica_->ApplySyncAnswer({PushResult{edited[0].change.change_id, false, ""}},
                                        {second}, &stored),
              IsOk());
  EXPECT_EQ(StoredColumn(*db_, "state", id), stored[0]);
  ASSERT_OK_AND_ASSIGN(RecordView sent, replica_->Get(id));
  EXPECT_EQ(sent.values, merge::CurrentValues(schema, second));
  EXPECT_THAT(replica_->CheckViews(), IsOk());

  // An older copy (a page read before the edit): the device keeps the edit, joined.
  const std::vector<std::string> older{SpacedEncoding(first, "\"team-a\"")};
  ASSERT_THAT(replica_->ApplySyncAnswer({}, {first}, &older), IsOk());
  EXPECT_EQ(StoredColumn(*db_, "state", id), protocol::EncodeRecordState(second));
  ASSERT_OK_AND_ASSIGN(RecordView view, replica_->Get(id));
  EXPECT_EQ(view.values.value("known_as", ""), "Sky");
  EXPECT_THAT(replica_->CheckViews(), IsOk());
}

}  // namespace
}  // namespace outreach::replica
