// Which of a sync's commits reach the disk before the next step (SyncContext::synced_commits):
// an answer before the sync's last is committed unsynced (a power cut that lost it would be a
// lost answer, asked for again by the next sync); the last one, which also stores the sync's
// time, is synced, and so everything before it. Whatever the sync did, what a worker saves
// afterwards is synced as it is saved. FaultVfs, under the device's encryption, counts the
// WAL's syncs: each is a commit's here, as no copy of the WAL into the database runs (checked).
#include <gtest/gtest.h>

#include "client-sdk/client.h"
#include "core/model/physical_clock.h"
#include "tests/client-sdk/scripted_client_fixture.h"
#include "tests/testing/fault_vfs.h"
#include "tests/testing/status_matchers.h"

namespace outreach {
namespace {

using ::outreach::testing::Contact;
using ::outreach::testing::FaultCounts;
using ::outreach::testing::FaultKind;
using ::outreach::testing::FaultOp;
using ::outreach::testing::FaultVfs;
using ::outreach::testing::IsOk;
using ::outreach::testing::RecordedRequest;
using ::outreach::testing::ScriptedResponse;

class ClientCommitSyncTest : public ::outreach::testing::ScriptedClientFixture {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(Enrol());
    ClientOptions options;
    options.base_vfs = FaultVfs::Name();
    options.clock = &clock_;
    ASSERT_NO_FATAL_FAILURE(Reopen(options));
    // The WAL begun (its header is synced once) and the server's version noted.
    server_.Enqueue(Page(1, 1));
    ASSERT_THAT(client_->Sync().status(), IsOk());
  }
  void TearDown() override {
    client_.reset();  // before clock_, which it was given
    FaultVfs::Disarm();
  }

  // Page `n` of `count` pulled pages of nothing: ends at cursor "<pull>c<n>", so every page
  // of every pull moves the cursor (a commit that changes nothing writes nothing).
  ScriptedResponse Page(int n, int count) {
    if (n == 1) ++pulls_;
    protocol::SyncResponse response;
    response.cursor = std::to_string(pulls_) + "c" + std::to_string(n);
    response.has_more = n < count;
    response.schemas_hash = "test";
    return ScriptedResponse::Answer(200, protocol::EncodeBinary(response))
        .WithContentType(std::string(protocol::kBinaryContentType));
  }

  // The syncs of commits since the counters restarted.
  static int CommitSyncs() {
    const FaultCounts counts = FaultVfs::Counts();
    EXPECT_EQ(counts.database_syncs, 0);  // no copy of the WAL ran, whose syncs would count
    return counts.wal_syncs;
  }

  // A sync a second after the last, so its time, stored by its last commit, is new (a commit
  // that changes nothing writes nothing).
  Result<SyncSummary> SyncLater(const SyncOptions& options = {}) {
    clock_.Advance(1000);
    return client_->Sync(options);
  }

  // The syncs of commits a pull of `pages` pages takes.
  int SyncsOfAPull(int pages) {
    for (int n = 1; n <= pages; ++n) server_.Enqueue(Page(n, pages));
    FaultVfs::Disarm();
    auto summary = SyncLater();
    EXPECT_THAT(summary.status(), IsOk());
    EXPECT_EQ(summary.ok() ? summary->requests : 0, pages);
    return CommitSyncs();
  }

  // The syncs of commits a push of `changes` new contacts takes, one per batch.
  int SyncsOfAPushInBatchesOfOne(int changes) {
    for (int i = 0; i < changes; ++i) {
      EXPECT_THAT(client_->Create("contact", Contact("Park " + std::to_string(i))).status(),
                  IsOk());
    }
    server_.SetFallback(ScriptedResponse::From([](const RecordedRequest& request) {
      return ::outreach::testing::SyncAnswer(request, protocol::kProtocolVersion);
    }));
    SyncOptions options;
    options.push_batch = 1;
    options.first_push_batch = 1;
    options.max_push_batch = 1;
    FaultVfs::Disarm();
    auto summary = SyncLater(options);
    EXPECT_THAT(summary.status(), IsOk());
    EXPECT_EQ(summary.ok() ? summary->requests : 0, changes);
    EXPECT_EQ(summary.ok() ? summary->pushed : 0, changes);
    return CommitSyncs();
  }

  // The cursor the device asks its next sync from (a page of nothing answers it).
  std::string NextCursorAskedFor() {
    server_.Enqueue(Page(1, 1));
    EXPECT_THAT(client_->Sync().status(), IsOk());
    auto asked = protocol::DecodeBinaryRequest(server_.Requests().back().body);
    EXPECT_THAT(asked.status(), IsOk());
    return asked.ok() ? asked->cursor : "";
  }

  // The syncs of commits one save of a new contact takes.
  int SyncsOfOneSave() {
    FaultVfs::Disarm();
    EXPECT_THAT(client_->Create("contact", Contact("Bus station")).status(), IsOk());
    return CommitSyncs();
  }

  model::ManualClock clock_{model::SystemClock().NowMs()};
  int pulls_ = 0;  // Page's
};

// Pages before the last cost no sync of their own: one page, or six, take one sync, the last
// page's (with the sync's time).
TEST_F(ClientCommitSyncTest, APullOfSixPagesSyncsOnceAsAPullOfOne) {
  EXPECT_EQ(SyncsOfAPull(1), 1);
  EXPECT_EQ(SyncsOfAPull(6), 1);
  ASSERT_OK_AND_ASSIGN(ClientStatus status, client_->GetStatus());
  EXPECT_EQ(status.last_sync_ms, clock_.NowMs());
  EXPECT_EQ(NextCursorAskedFor(), "3c6");
}

// Answers to pushes before the last cost no sync either, and every change is settled. Each
// batch's readings are synced before it leaves (Replica::MarkSending): the second batch's move
// them on from the first's; the third's are the same, and SQLite writes nothing for a row
// rewritten with the same bytes.
TEST_F(ClientCommitSyncTest, APushInThreeBatchesSyncsItsAnswersOnce) {
  EXPECT_EQ(SyncsOfAPushInBatchesOfOne(1), 2);  // readings sent, the answer
  EXPECT_EQ(SyncsOfAPushInBatchesOfOne(3), 3);  // readings sent twice, the last answer
  ASSERT_OK_AND_ASSIGN(ClientStatus status, client_->GetStatus());
  EXPECT_EQ(status.pending, 0);
}

// A sync ahead of a save leaves the save synced: nothing a worker saves waits for a later
// commit to reach the disk.
TEST_F(ClientCommitSyncTest, ASaveAfterAPullOfSeveralPagesIsSynced) {
  (void)SyncsOfAPull(3);
  EXPECT_GE(SyncsOfOneSave(), 1);
}

// The sync stops at a refusal after two pages were applied unsynced: the next save is synced
// all the same, and the next sync asks from the last page applied.
TEST_F(ClientCommitSyncTest, ASaveAfterAPullRefusedHalfWayIsSynced) {
  server_.Enqueue(Page(1, 3));
  server_.Enqueue(Page(2, 3));
  protocol::ErrorBody refused{"forbidden", "not yours", 0, false, {}, std::nullopt};
  server_.Enqueue(ScriptedResponse::Answer(403, protocol::ToJson(refused).dump()));
  EXPECT_FALSE(client_->Sync().ok());
  EXPECT_GE(SyncsOfOneSave(), 1);
  EXPECT_EQ(NextCursorAskedFor(), "2c2");
}

// The first page's commit fails (its first write, as a failing disk would): the sync fails,
// and the next save is synced.
TEST_F(ClientCommitSyncTest, ASaveAfterAPageWhoseCommitFailedIsSynced) {
  for (int n = 1; n <= 3; ++n) server_.Enqueue(Page(n, 3));
  FaultVfs::Arm(FaultOp::kWrite, 1, FaultKind::kIoError);
  EXPECT_FALSE(client_->Sync().ok());
  ASSERT_TRUE(FaultVfs::Fired());
  EXPECT_GE(SyncsOfOneSave(), 1);
}

}  // namespace
}  // namespace outreach
