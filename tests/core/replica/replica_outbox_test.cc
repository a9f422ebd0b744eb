// Replica: what happens to a change after it was written: rejected changes kept until
// discarded or fixed in place, creates withdrawn before they leave the device.
#include <gtest/gtest.h>

#include <set>

#include "core/merge/merge.h"
#include "core/replica/replica.h"
#include "tests/core/replica/replica_fixture.h"
#include "tests/testing/fault_vfs.h"
#include "tests/testing/status_matchers.h"

namespace outreach::replica {
namespace {

using model::Json;
using ::outreach::testing::IsOk;
using ::outreach::testing::StatusIs;

class ReplicaOutboxTest : public testing::ReplicaFixture {};

TEST_F(ReplicaOutboxTest, RejectedChangesStayUntilDiscarded) {
  ASSERT_OK_AND_ASSIGN(std::string id, replica_->Create("young_person", YoungPerson("Skye")));
  ASSERT_OK_AND_ASSIGN(auto pending, replica_->Outbox(OutboxStatus::kPending));
  ASSERT_THAT(replica_->MarkRejected(pending[0].change.change_id, "team scope"), IsOk());
  ASSERT_OK_AND_ASSIGN(auto rejected, replica_->Outbox(OutboxStatus::kRejected));
  ASSERT_EQ(rejected.size(), 1u);
  EXPECT_EQ(rejected[0].reason, "team scope");
  EXPECT_THAT(replica_->Discard("0190a6c2-0000-7000-8000-00000000dead"), StatusIs(StatusCode::kNotFound));
  ASSERT_THAT(replica_->Discard(rejected[0].change.change_id), IsOk());
  ASSERT_OK_AND_ASSIGN(rejected, replica_->Outbox(OutboxStatus::kRejected));
  EXPECT_TRUE(rejected.empty());
  EXPECT_THAT(replica_->Get(id), StatusIs(StatusCode::kNotFound));
}

// A tablet back from a long shift offline holds thousands of changes: the status screen and
// every sync start count them, and must not read every stored change to do it (each read page
// is decrypted; 100,000 pending contacts are some 100 MB).
TEST_F(ReplicaOutboxTest, CountingTheOutboxReadsNotEveryStoredChange) {
  constexpr int kChanges = 400;
  const std::string notes(900, 'n');  // about a contact's size
  for (int i = 0; i < kChanges; ++i) {
    Json contact = Contact("0190a6c2-0000-7000-8000-0000000000a1");
    contact["location_text"] = "car park " + std::to_string(i);
    contact["summary"][0]["text"] = notes;
    ASSERT_OK_AND_ASSIGN(std::string id, replica_->Create("contact", contact));
  }
  ASSERT_OK_AND_ASSIGN(auto first, replica_->Outbox(OutboxStatus::kPending, 1));
  ASSERT_THAT(replica_->MarkRejected(first[0].change.change_id, "team scope"), IsOk());

  // Another connection, its page cache cold, its reads counted: on this database, and on one
  // made before the counts had indexes of their own, once opened (opening makes them).
  storage::OpenOptions options;
  options.kdf = storage::KdfParams::FastForTests();
  options.base_vfs = outreach::testing::FaultVfs::Name();
  const auto open_replica = [&](storage::Database* db) {
    return Replica::Open(db, schemas_.get(), &clock_,
                         ReplicaIdentity{"tablet-1", "user-1", "worker", "team-a"});
  };
  for (const bool made_before_the_indexes : {false, true}) {
    SCOPED_TRACE(made_before_the_indexes ? "made before the indexes" : "made with them");
    if (made_before_the_indexes) {
      ASSERT_THAT(db_->Exec("DROP INDEX outbox_pending; DROP INDEX outbox_rejected;"), IsOk());
      // Opened once (the indexes made, which reads every change), then closed.
      ASSERT_OK_AND_ASSIGN(auto opening, storage::Database::Open(
                                             dir_.File("device.db"),
                                             storage::KeySource::Passcode("pin"), options));
      ASSERT_OK_AND_ASSIGN(auto opened, open_replica(opening.get()));
    }
    ASSERT_OK_AND_ASSIGN(auto cold, storage::Database::Open(dir_.File("device.db"),
                                                            storage::KeySource::Passcode("pin"),
                                                            options));
    ASSERT_OK_AND_ASSIGN(auto replica, open_replica(cold.get()));
    outreach::testing::FaultVfs::Disarm();  // counts from here
    ASSERT_OK_AND_ASSIGN(const std::int64_t pending, replica->OutboxCount(OutboxStatus::kPending));
    ASSERT_OK_AND_ASSIGN(const std::int64_t rejected,
                         replica->OutboxCount(OutboxStatus::kRejected));
    EXPECT_EQ(pending, kChanges - 1);
    EXPECT_EQ(rejected, 1);
    // The changes fill well over a hundred pages; the counts read a few index pages.
    EXPECT_LT(outreach::testing::FaultVfs::Counts().reads, 20);
  }
}

TEST_F(ReplicaOutboxTest, AWorkerWithdrawsTheirOwnUnsyncedCreate) {
  ASSERT_OK_AND_ASSIGN(std::string keep, replica_->Create("young_person", YoungPerson("Skye")));
  ASSERT_OK_AND_ASSIGN(std::string mistake, replica_->Create("young_person", YoungPerson("Sky")));
  clock_.Advance(1000);
  ASSERT_THAT(replica_->Update(mistake, Json{{"aliases", {"S"}}}), IsOk());
  ASSERT_OK_AND_ASSIGN(auto before, replica_->Outbox(OutboxStatus::kPending));
  const model::Version newest = before.back().change.version;

  ASSERT_THAT(replica_->WithdrawCreate(mistake), IsOk());
  EXPECT_THAT(replica_->Get(mistake), StatusIs(StatusCode::kNotFound));
  ASSERT_OK_AND_ASSIGN(auto pending, replica_->Outbox(OutboxStatus::kPending));
  ASSERT_EQ(pending.size(), 1u) << "the create and its update left the outbox together";
  EXPECT_EQ(pending[0].change.record_id, keep);
  ASSERT_OK_AND_ASSIGN(auto listed, replica_->Query("young_person"));
  EXPECT_EQ(listed.size(), 1u);
  EXPECT_THAT(replica_->CheckViews(), IsOk());
  EXPECT_THAT(replica_->WithdrawCreate(mistake), StatusIs(StatusCode::kNotFound));

  // The withdrawn update held the clock's last reading: it is not issued again after a restart,
  // even with the wall clock gone back.
  replica_.reset();
  clock_.Advance(-60'000);
  replica_ = OpenReplica("worker");
  ASSERT_THAT(replica_->Update(keep, Json{{"known_as", "Skye B"}}), IsOk());
  ASSERT_OK_AND_ASSIGN(pending, replica_->Outbox(OutboxStatus::kPending));
  EXPECT_LT(newest, pending.back().change.version);
}

TEST_F(ReplicaOutboxTest, ARecordThatMayHaveReachedTheServerIsNotWithdrawn) {
  ASSERT_OK_AND_ASSIGN(std::string pushed, replica_->Create("young_person", YoungPerson("Skye")));
  ASSERT_THAT(replica_->MarkSending(), IsOk());  // the answer may never come back
  EXPECT_THAT(replica_->WithdrawCreate(pushed), StatusIs(StatusCode::kFailedPrecondition));
  // A change made after the push has not left: its record can still be withdrawn...
  ASSERT_OK_AND_ASSIGN(std::string later, replica_->Create("young_person", YoungPerson("Jay")));
  EXPECT_THAT(replica_->WithdrawCreate(later), IsOk());
  // ...but not once the server has a copy, nor an update made since the push of a pushed record.
  ASSERT_OK_AND_ASSIGN(auto pending, replica_->Outbox(OutboxStatus::kPending));
  ASSERT_THAT(replica_->MarkAccepted(pending[0].change.change_id), IsOk());
  EXPECT_THAT(replica_->WithdrawCreate(pushed), StatusIs(StatusCode::kFailedPrecondition));
  ASSERT_OK_AND_ASSIGN(RecordView view, replica_->Get(pushed));
  EXPECT_EQ(view.values["known_as"], "Skye");
}

// The outbox's writing order outlives its entries: once everything pushed has been answered and
// left, a new change still comes after every position pushed, so it is not taken for one that
// may have reached the server.
TEST_F(ReplicaOutboxTest, AChangeWrittenAfterTheOutboxEmptiedCanStillBeWithdrawn) {
  ASSERT_OK_AND_ASSIGN(std::string pushed, replica_->Create("young_person", YoungPerson("Skye")));
  ASSERT_THAT(replica_->MarkSending(), IsOk());
  ASSERT_OK_AND_ASSIGN(auto pending, replica_->Outbox(OutboxStatus::kPending));
  ASSERT_THAT(replica_->MarkAccepted(pending[0].change.change_id), IsOk());
  ASSERT_OK_AND_ASSIGN(pending, replica_->Outbox(OutboxStatus::kPending));
  ASSERT_TRUE(pending.empty());

  ASSERT_OK_AND_ASSIGN(std::string later, replica_->Create("young_person", YoungPerson("Jay")));
  ASSERT_OK_AND_ASSIGN(pending, replica_->Outbox(OutboxStatus::kPending));
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_GT(pending[0].sequence, 1);
  EXPECT_THAT(replica_->WithdrawCreate(later), IsOk());
  EXPECT_THAT(replica_->WithdrawCreate(pushed), StatusIs(StatusCode::kFailedPrecondition));
}

TEST_F(ReplicaOutboxTest, ARecordCreatedElsewhereIsNotWithdrawn) {
  // A colleague's create, arrived from the server, then edited here offline.
  const schema::RecordSchema& schema = *schemas_->Find("young_person");
  model::Change create;
  create.change_id = "0190a6c2-0000-7000-8000-0000000000c2";
  create.record_id = "0190a6c2-0000-7000-8000-0000000000a1";
  create.collection = "young_person";
  create.team = "team-a";
  create.schema_version = "1.0";
  create.kind = model::ChangeKind::kCreate;
  create.version = model::Version{model::Hlc{clock_.NowMs(), 0}, "tablet-2"};
  create.author = "user-2";
  create.author_role = "worker";
  const Json values = YoungPerson("Skye");
  for (const auto& [field, value] : values.items()) {
    create.registers[field] = model::RegisterWrite{value, {}};
  }
  ASSERT_THAT(replica_->ApplyServerRecord(merge::Merge(schema, {}, create).state), IsOk());
  clock_.Advance(1000);
  ASSERT_THAT(replica_->Update(create.record_id, Json{{"known_as", "Sky"}}), IsOk());
  EXPECT_THAT(replica_->WithdrawCreate(create.record_id), StatusIs(StatusCode::kFailedPrecondition));
  EXPECT_THAT(replica_->WithdrawCreate("0190a6c2-0000-7000-8000-0000000000ff"),
              StatusIs(StatusCode::kNotFound));
}

// The server refuses a change (here: a name its newer rules do not accept); the worker fixes
// the name, keeps the rest of the change, and it is pending again.
TEST_F(ReplicaOutboxTest, ARejectedChangeIsFixedInPlace) {
  ASSERT_OK_AND_ASSIGN(std::string id, replica_->Create("young_person", YoungPerson("Skye")));
  ASSERT_OK_AND_ASSIGN(std::string other, replica_->Create("young_person", YoungPerson("Jay")));
  ASSERT_OK_AND_ASSIGN(auto creates, replica_->Outbox(OutboxStatus::kPending));
  ASSERT_THAT(replica_->MarkAccepted(creates[0].change.change_id), IsOk());
  clock_.Advance(1000);
  ASSERT_THAT(replica_->Update(id, Json{{"known_as", "S"}, {"aliases", {"Sky"}}}), IsOk());
  ASSERT_THAT(replica_->Update(other, Json{{"known_as", "Jay B"}}), IsOk());
  ASSERT_OK_AND_ASSIGN(auto pending, replica_->Outbox(OutboxStatus::kPending));
  ASSERT_EQ(pending.size(), 3u);
  const model::Change rejected = pending[1].change;
  ASSERT_THAT(replica_->MarkRejected(rejected.change_id, "known_as: too short"), IsOk());
  ASSERT_OK_AND_ASSIGN(RecordView before, replica_->Get(id));
  EXPECT_EQ(before.values["known_as"], "Skye") << "a rejected change is not shown";

  clock_.Advance(1000);
  std::vector<schema::ValidationProblem> problems;
  ASSERT_OK_AND_ASSIGN(std::string fixed,
                       replica_->FixRejected(rejected.change_id, Json{{"known_as", "Skye B"}},
                                             &problems));
  EXPECT_TRUE(problems.empty());
  EXPECT_NE(fixed, rejected.change_id) << "a fresh change id";
  ASSERT_OK_AND_ASSIGN(auto still_rejected, replica_->Outbox(OutboxStatus::kRejected));
  EXPECT_TRUE(still_rejected.empty());
  ASSERT_OK_AND_ASSIGN(pending, replica_->Outbox(OutboxStatus::kPending));
  ASSERT_EQ(pending.size(), 3u);
  const model::Change& fix = pending.back().change;  // at the end: writing order is clock order
  EXPECT_EQ(fix.change_id, fixed);
  EXPECT_EQ(fix.kind, model::ChangeKind::kUpdate);
  EXPECT_LT(pending[1].change.version, fix.version) << "a fresh clock reading";
  EXPECT_EQ(fix.registers.at("known_as").value, "Skye B");
  ASSERT_OK_AND_ASSIGN(RecordView view, replica_->Get(id));
  EXPECT_EQ(view.values["known_as"], "Skye B");
  EXPECT_EQ(view.values["aliases"], Json::array({"Sky"})) << "the rest of the change is kept";
  EXPECT_TRUE(view.has_pending_changes);
  EXPECT_THAT(replica_->CheckViews(), IsOk());
}

TEST_F(ReplicaOutboxTest, ABadFixChangesNothing) {
  ASSERT_OK_AND_ASSIGN(std::string id, replica_->Create("young_person", YoungPerson("Skye")));
  ASSERT_OK_AND_ASSIGN(auto pending, replica_->Outbox(OutboxStatus::kPending));
  const std::string create = pending[0].change.change_id;
  EXPECT_THAT(replica_->FixRejected(create, Json{{"known_as", "Sky"}}),
              StatusIs(StatusCode::kFailedPrecondition))
      << "only a rejected change is fixed";
  EXPECT_THAT(replica_->FixRejected("0190a6c2-0000-7000-8000-00000000dead", Json::object()),
              StatusIs(StatusCode::kNotFound));
  ASSERT_THAT(replica_->MarkRejected(create, "team scope"), IsOk());

  std::vector<schema::ValidationProblem> problems;
  EXPECT_THAT(replica_->FixRejected(create, Json{{"known_as", 7}, {"aliases", "S"}}, &problems),
              StatusIs(StatusCode::kInvalidArgument));
  std::set<std::string> pointers;
  for (const auto& problem : problems) pointers.insert(problem.pointer);
  EXPECT_EQ(pointers, (std::set<std::string>{"/known_as", "/aliases"}));
  ASSERT_OK_AND_ASSIGN(auto rejected, replica_->Outbox(OutboxStatus::kRejected));
  ASSERT_EQ(rejected.size(), 1u);
  EXPECT_EQ(rejected[0].change.change_id, create);
  EXPECT_EQ(rejected[0].reason, "team scope");
  ASSERT_OK_AND_ASSIGN(pending, replica_->Outbox(OutboxStatus::kPending));
  EXPECT_TRUE(pending.empty());
  EXPECT_THAT(replica_->Get(id), StatusIs(StatusCode::kNotFound));
  EXPECT_THAT(replica_->CheckViews(), IsOk());

  // A fix that validates (here the values were fine: the server had refused the team) makes
  // the rejected create a pending create again.
  ASSERT_OK_AND_ASSIGN(std::string fixed, replica_->FixRejected(create, Json{{"team_id", "team-a"}}));
  ASSERT_OK_AND_ASSIGN(pending, replica_->Outbox(OutboxStatus::kPending));
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0].change.kind, model::ChangeKind::kCreate);
  ASSERT_OK_AND_ASSIGN(RecordView view, replica_->Get(id));
  EXPECT_EQ(view.values["known_as"], "Skye");
}

TEST_F(ReplicaOutboxTest, AFixThatWritesNothingNewIsRefused) {
  ASSERT_OK_AND_ASSIGN(std::string id, replica_->Create("young_person", YoungPerson("Skye")));
  ASSERT_THAT(replica_->Update(id, Json{{"known_as", "Sky"}}), IsOk());
  ASSERT_OK_AND_ASSIGN(auto pending, replica_->Outbox(OutboxStatus::kPending));
  const std::string rename = pending[1].change.change_id;
  ASSERT_THAT(replica_->MarkRejected(rename, "sent twice"), IsOk());
  ASSERT_THAT(replica_->Update(id, Json{{"known_as", "Sky"}}), IsOk());  // typed again
  EXPECT_THAT(replica_->FixRejected(rename, Json::object()),
              StatusIs(StatusCode::kFailedPrecondition));
  ASSERT_OK_AND_ASSIGN(auto rejected, replica_->Outbox(OutboxStatus::kRejected));
  ASSERT_EQ(rejected.size(), 1u) << "left for the worker to discard";
  EXPECT_EQ(rejected[0].change.change_id, rename);
}

TEST_F(ReplicaOutboxTest, ARejectedDeleteIsDiscardedNotFixed) {
  ASSERT_OK_AND_ASSIGN(std::string id, replica_->Create("young_person", YoungPerson("Skye")));
  replica_.reset();
  replica_ = OpenReplica("team_leader");
  ASSERT_THAT(replica_->Delete(id, "recorded twice"), IsOk());
  ASSERT_OK_AND_ASSIGN(auto pending, replica_->Outbox(OutboxStatus::kPending));
  ASSERT_THAT(replica_->MarkRejected(pending[1].change.change_id, "legal hold"), IsOk());
  EXPECT_THAT(replica_->FixRejected(pending[1].change.change_id, Json::object()),
              StatusIs(StatusCode::kInvalidArgument));
  ASSERT_OK_AND_ASSIGN(auto rejected, replica_->Outbox(OutboxStatus::kRejected));
  EXPECT_EQ(rejected.size(), 1u);
}

// The server refused a record's create (here with the rest of the push, as a sync answer
// brings it); the record's later changes are held back with it instead of being refused as
// not_found for good. Fixing the create sends them again after it, with fresh ids.
TEST_F(ReplicaOutboxTest, ChangesOfARefusedCreateFollowItsFix) {
  ASSERT_OK_AND_ASSIGN(std::string id, replica_->Create("young_person", YoungPerson("Skye")));
  clock_.Advance(1000);
  ASSERT_THAT(replica_->Update(id, Json{{"aliases", {"S"}}}), IsOk());
  ASSERT_THAT(replica_->Update(id, Json{{"known_as", "Sky"}}), IsOk());
  ASSERT_OK_AND_ASSIGN(std::string other, replica_->Create("young_person", YoungPerson("Jay")));
  ASSERT_OK_AND_ASSIGN(auto pushed, replica_->Outbox(OutboxStatus::kPending));
  ASSERT_EQ(pushed.size(), 4u);
  ASSERT_THAT(replica_->MarkSending(), IsOk());
  const std::string not_found = "not_found: record " + id + " does not exist";
  ASSERT_THAT(replica_->ApplySyncAnswer({{pushed[0].change.change_id, true, "team scope"},
                                         {pushed[1].change.change_id, true, not_found},
                                         {pushed[2].change.change_id, true, not_found},
                                         {pushed[3].change.change_id, false, ""}},
                                        {}),
              IsOk());
  ASSERT_OK_AND_ASSIGN(auto rejected, replica_->Outbox(OutboxStatus::kRejected));
  ASSERT_EQ(rejected.size(), 3u);
  EXPECT_EQ(rejected[0].reason, "team scope");
  for (const std::size_t held : {1u, 2u}) {
    EXPECT_NE(rejected[held].reason.find("held"), std::string::npos) << rejected[held].reason;
    EXPECT_NE(rejected[held].reason.find(pushed[0].change.change_id), std::string::npos)
        << "names the create to fix";
  }
  EXPECT_THAT(replica_->Get(id), StatusIs(StatusCode::kNotFound));
  EXPECT_THAT(replica_->Get(other), IsOk());

  clock_.Advance(1000);
  ASSERT_OK_AND_ASSIGN(std::string fixed,
                       replica_->FixRejected(pushed[0].change.change_id, Json{{"known_as", "Sky"}}));
  ASSERT_OK_AND_ASSIGN(rejected, replica_->Outbox(OutboxStatus::kRejected));
  EXPECT_TRUE(rejected.empty());
  ASSERT_OK_AND_ASSIGN(auto pending, replica_->Outbox(OutboxStatus::kPending));
  ASSERT_EQ(pending.size(), 2u) << "the rename is dropped: the fixed create already says it";
  EXPECT_EQ(pending[0].change.change_id, fixed);
  EXPECT_EQ(pending[0].change.kind, model::ChangeKind::kCreate);
  const model::Change& aliases = pending[1].change;
  EXPECT_EQ(aliases.kind, model::ChangeKind::kUpdate);
  EXPECT_NE(aliases.change_id, pushed[1].change.change_id) << "the server remembers the old id";
  EXPECT_LT(pending[0].change.version, aliases.version) << "after the create, in clock order";
  EXPECT_EQ(aliases.sets.count("aliases"), 1u);
  ASSERT_OK_AND_ASSIGN(RecordView view, replica_->Get(id));
  EXPECT_EQ(view.values["known_as"], "Sky");
  EXPECT_EQ(view.values["aliases"], Json::array({"S"}));
  EXPECT_THAT(replica_->CheckViews(), IsOk());
}

// Review finding (c): a follower the server refused for its own reason keeps that reason when
// its record's create is refused too, whichever answer the device took in first; the hold
// is added after it.
TEST_F(ReplicaOutboxTest, AHeldFollowerKeepsItsOwnRejectionReason) {
  for (const bool follower_first : {true, false}) {
    ASSERT_OK_AND_ASSIGN(std::string id, replica_->Create("young_person", YoungPerson("Skye")));
    ASSERT_THAT(replica_->Update(id, Json{{"aliases", {"S"}}}), IsOk());
    ASSERT_OK_AND_ASSIGN(auto pushed, replica_->Outbox(OutboxStatus::kPending));
    ASSERT_EQ(pushed.size(), 2u);
    const std::string& create = pushed[0].change.change_id;
    const std::string& follower = pushed[1].change.change_id;
    if (follower_first) {
      ASSERT_THAT(replica_->MarkRejected(follower, "own: aliases"), IsOk());
    }
    ASSERT_THAT(replica_->MarkRejected(create, "team scope"), IsOk());
    if (!follower_first) {
      ASSERT_THAT(replica_->MarkRejected(follower, "own: aliases"), IsOk());
    }

    ASSERT_OK_AND_ASSIGN(auto rejected, replica_->Outbox(OutboxStatus::kRejected));
    ASSERT_EQ(rejected.size(), 2u);
    EXPECT_EQ(rejected[0].reason, "team scope");
    EXPECT_EQ(rejected[1].reason.rfind("own: aliases; held", 0), 0u) << rejected[1].reason;
    EXPECT_NE(rejected[1].reason.find(create), std::string::npos) << "names the create to fix";
    // Taking the same answer in again does not stack the hold twice.
    ASSERT_THAT(replica_->MarkRejected(create, "team scope"), IsOk());
    ASSERT_OK_AND_ASSIGN(auto again, replica_->Outbox(OutboxStatus::kRejected));
    ASSERT_EQ(again.size(), 2u);
    EXPECT_EQ(again[1].reason, rejected[1].reason);
    ASSERT_THAT(replica_->Discard(create), IsOk());
    ASSERT_OK_AND_ASSIGN(rejected, replica_->Outbox(OutboxStatus::kRejected));
    EXPECT_TRUE(rejected.empty()) << "the discarded create takes its follower with it";
  }
}

// A 422 refuses the create before its updates were pushed: they are held back, not pushed. One
// the fixed record refuses (an immutable field the fix has set otherwise) stays rejected with
// why; discarding a refused create discards what was held behind it.
TEST_F(ReplicaOutboxTest, AFollowerTheFixedRecordRefusesStaysAndADiscardedCreateTakesItsFollowers) {
  replica_.reset();
  replica_ = OpenReplica("team_leader");
  const std::string first = "0190a6c2-0000-7000-8000-0000000000b1";
  const std::string second = "0190a6c2-0000-7000-8000-0000000000b2";
  ASSERT_OK_AND_ASSIGN(std::string id, replica_->Create("young_person", YoungPerson("Skye")));
  ASSERT_THAT(replica_->Update(id, Json{{"merged_into", first}}), IsOk());
  ASSERT_THAT(replica_->Update(id, Json{{"aliases", {"S"}}}), IsOk());
  ASSERT_OK_AND_ASSIGN(auto written, replica_->Outbox(OutboxStatus::kPending));
  ASSERT_THAT(replica_->MarkRejected(written[0].change.change_id, "invalid_argument: /known_as"),
              IsOk());
  ASSERT_OK_AND_ASSIGN(auto pending, replica_->Outbox(OutboxStatus::kPending));
  EXPECT_TRUE(pending.empty()) << "nothing of the record is pushed while its create is refused";
  EXPECT_THAT(replica_->Update(id, Json{{"known_as", "Sky"}}), StatusIs(StatusCode::kNotFound));

  ASSERT_OK(replica_->FixRejected(written[0].change.change_id, Json{{"merged_into", second}})
                .status());
  ASSERT_OK_AND_ASSIGN(auto rejected, replica_->Outbox(OutboxStatus::kRejected));
  ASSERT_EQ(rejected.size(), 1u);
  EXPECT_EQ(rejected[0].change.change_id, written[1].change.change_id);
  EXPECT_NE(rejected[0].reason.find("create was fixed"), std::string::npos) << rejected[0].reason;
  ASSERT_OK_AND_ASSIGN(pending, replica_->Outbox(OutboxStatus::kPending));
  ASSERT_EQ(pending.size(), 2u);
  ASSERT_OK_AND_ASSIGN(RecordView view, replica_->Get(id));
  EXPECT_EQ(view.values["merged_into"], second);
  EXPECT_EQ(view.values["aliases"], Json::array({"S"}));
  EXPECT_THAT(replica_->CheckViews(), IsOk());

  // Another record: its create refused and discarded takes its held update with it.
  ASSERT_OK_AND_ASSIGN(std::string gone, replica_->Create("young_person", YoungPerson("Jay")));
  ASSERT_THAT(replica_->Update(gone, Json{{"aliases", {"J"}}}), IsOk());
  ASSERT_OK_AND_ASSIGN(pending, replica_->Outbox(OutboxStatus::kPending));
  ASSERT_EQ(pending.size(), 4u);
  ASSERT_THAT(replica_->MarkRejected(pending[2].change.change_id, "team scope"), IsOk());
  ASSERT_THAT(replica_->Discard(pending[2].change.change_id), IsOk());
  ASSERT_OK_AND_ASSIGN(rejected, replica_->Outbox(OutboxStatus::kRejected));
  ASSERT_EQ(rejected.size(), 1u) << "only the first record's refused update is left";
  ASSERT_OK_AND_ASSIGN(auto left, replica_->Outbox(OutboxStatus::kPending));
  EXPECT_EQ(left.size(), 2u);
  EXPECT_THAT(replica_->Get(gone), StatusIs(StatusCode::kNotFound));
  EXPECT_THAT(replica_->CheckViews(), IsOk());
}

}  // namespace
}  // namespace outreach::replica
