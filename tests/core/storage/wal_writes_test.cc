// How the encrypting VFS writes the WAL: a commit's frames (each a header and its sealed page)
// leave in as few write calls as its buffer allows, never one per page, and never later than
// the commit: other connections read it at once, and an app killed right after it finds it on
// disk. io_fault_test.cc fails each of these writes in turn.
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/storage/database.h"
#include "core/storage/internal/wal_frame_buffer.h"
#include "tests/testing/fault_vfs.h"
#include "tests/testing/file_scan.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace outreach::storage {
namespace {

using ::outreach::testing::FaultCounts;
using ::outreach::testing::FaultKind;
using ::outreach::testing::FaultOp;
using ::outreach::testing::FaultVfs;
using ::outreach::testing::IsOk;
using ::outreach::testing::StatusIs;

constexpr char kPasscode[] = "wal-writes-test-passcode";
constexpr std::uintmax_t kFrameBytes = 24 + 4096;

OpenOptions Options() {
  OpenOptions options;
  options.kdf = KdfParams::FastForTests();
  options.synchronous = Synchronous::kNormal;  // nothing follows a commit's last frame
  options.wal_autocheckpoint_pages = 10'000;   // the rows stay in the WAL
  options.base_vfs = FaultVfs::Name();         // counts the write calls
  return options;
}

// SQL adding `rows` notes of 500 bytes of `fill`.
std::string InsertNotes(int rows, char fill) {
  return "INSERT INTO notes(body) SELECT printf('%.500c', '" + std::string(1, fill) +
         "') FROM (WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < " +
         std::to_string(rows) + ") SELECT i FROM n)";
}

// A new database with an empty table of notes, open (null if that failed).
std::unique_ptr<Database> CreateNotes(const std::string& path, const OpenOptions& options) {
  auto db = Database::Create(path, KeySource::Passcode(kPasscode), options);
  EXPECT_THAT(db.status(), IsOk());
  if (!db.ok()) return nullptr;
  const Status made =
      (*db)->Exec("CREATE TABLE notes(id INTEGER PRIMARY KEY, body TEXT NOT NULL)");
  EXPECT_THAT(made, IsOk());
  return made.ok() ? *std::move(db) : nullptr;
}

std::int64_t CountNotes(Database& db, const std::string& where = "1") {
  auto count = db.Prepare("SELECT COUNT(*) FROM notes WHERE " + where);
  if (!count.ok()) return -1;
  auto row = count->Step();
  return row.ok() && *row ? count->ColumnInt64(0) : -1;
}

std::string IntegrityOf(Database& db) {
  auto check = db.Prepare("PRAGMA integrity_check");
  if (!check.ok()) return check.status().ToString();
  auto row = check->Step();
  return row.ok() && *row ? std::string(check->ColumnText(0)) : "no answer";
}

// Runs `work` in a child process, which must end by calling ::_exit with its code while what
// it opened is still open: nothing is closed or flushed, as when an app is killed. The
// child's exit code, or -1 if it died.
int InDyingChild(const std::function<void()>& work) {
  const pid_t child = ::fork();
  if (child == 0) {
    work();
    ::_exit(100);  // `work` returned: its destructors ran, the test would prove nothing
  }
  int status = 0;
  if (child < 0 || ::waitpid(child, &status, 0) != child || !WIFEXITED(status)) return -1;
  return WEXITSTATUS(status);
}

struct CommitWrites {
  std::uintmax_t frames = 0;
  FaultCounts counts;
};

CommitWrites WritesOfOneCommit(const std::string& path, int rows) {
  const std::unique_ptr<Database> db = CreateNotes(path, Options());
  if (db == nullptr) return {};
  const auto wal_size = [&] { return std::filesystem::file_size(path + "-wal"); };
  const std::uintmax_t before = wal_size();
  FaultVfs::Disarm();  // counters from zero
  EXPECT_THAT(db->Exec(InsertNotes(rows, 'n')), IsOk());
  return {(wal_size() - before) / kFrameBytes, FaultVfs::Counts()};
}

TEST(WalWritesTest, ASmallCommitIsOneWrite) {
  ::outreach::testing::TempDir dir;
  const CommitWrites commit = WritesOfOneCommit(dir.File("small.db"), 40);
  EXPECT_GE(commit.frames, 5u) << "40 rows of 500 bytes span several pages";
  EXPECT_EQ(commit.counts.writes, 1);
  EXPECT_EQ(commit.counts.frame_header_writes, 0);
}

TEST(WalWritesTest, ALargeCommitLeavesInWritesOfFullBuffers) {
  ::outreach::testing::TempDir dir;
  const CommitWrites commit = WritesOfOneCommit(dir.File("large.db"), 1'000);
  constexpr auto kPerWrite = static_cast<std::uintmax_t>(detail::kWalFramesPerWrite);
  EXPECT_GT(commit.frames, 2 * kPerWrite) << "1,000 rows of 500 bytes: over 120 pages";
  EXPECT_EQ(static_cast<std::uintmax_t>(commit.counts.writes),
            (commit.frames + kPerWrite - 1) / kPerWrite);
  EXPECT_EQ(commit.counts.frame_header_writes, 0);
}

// Under synchronous=NORMAL SQLite makes no call on the WAL between a commit's last frame and
// publishing the commit to other connections (in the shared wal-index): the frames must be
// in the file by then, or a reader would be sent to frames that are not there.
TEST(WalWritesTest, ACommitIsReadByAnotherConnectionAtOnce) {
  ::outreach::testing::TempDir dir;
  const std::string path = dir.File("shared.db");
  const OpenOptions options = Options();
  const std::unique_ptr<Database> writer = CreateNotes(path, options);
  ASSERT_NE(writer, nullptr);
  auto reader = Database::Open(path, KeySource::Passcode(kPasscode), options);
  ASSERT_THAT(reader.status(), IsOk());
  for (int round = 1; round <= 3; ++round) {
    ASSERT_THAT(writer->Exec(InsertNotes(100, 'r')), IsOk());
    EXPECT_EQ(CountNotes(**reader, "LENGTH(body) = 500"), 100 * round);
  }
}

// Nor may a commit's frames wait in the process for a next call: an app killed right after a
// commit must find it on disk (only a power cut may lose it, under synchronous=NORMAL).
TEST(WalWritesTest, ACommitSurvivesTheAppDyingRightAfter) {
  ::outreach::testing::TempDir dir;
  const std::string path = dir.File("killed.db");
  const OpenOptions options = Options();
  ASSERT_NE(CreateNotes(path, options), nullptr);  // and closed
  const int code = InDyingChild([&] {
    auto db = Database::Open(path, KeySource::Passcode(kPasscode), options);
    ::_exit(db.ok() && (*db)->Exec(InsertNotes(50, 'k')).ok() ? 0 : 3);
  });
  ASSERT_EQ(code, 0) << "the child's commit failed";
  auto db = Database::Open(path, KeySource::Passcode(kPasscode), options);
  ASSERT_THAT(db.status(), IsOk());
  EXPECT_EQ(CountNotes(**db), 50) << "the committed transaction is on disk, whole";
}

// A transaction larger than the page cache spills pages into the WAL and, rewriting one,
// makes SQLite rewrite the checksums of the frames after it: headers written alone, with no
// page after them, the commit frame's last. Nothing follows the commit; an app killed then
// must still find the commit on disk.
TEST(WalWritesTest, ACommitWhoseFrameHeadersWereRewrittenSurvivesTheAppDying) {
  ::outreach::testing::TempDir dir;
  const std::string path = dir.File("rewritten.db");
  OpenOptions options = Options();
  options.cache_size_kib = 16;  // four pages: the transaction below spills
  ASSERT_NE(CreateNotes(path, options), nullptr);  // and closed
  const int code = InDyingChild([&] {
    auto db = Database::Open(path, KeySource::Passcode(kPasscode), options);
    if (!db.ok()) ::_exit(2);
    FaultVfs::Disarm();  // counters from zero
    const bool done = (*db)->Exec("BEGIN; " + InsertNotes(200, 'a') +
                                  "; UPDATE notes SET body = printf('%.500c', 'b'); COMMIT;")
                          .ok();
    // 4: SQLite rewrote no header, so this test would not test what it says.
    ::_exit(!done ? 3 : FaultVfs::Counts().frame_header_writes == 0 ? 4 : 0);
  });
  ASSERT_NE(code, 4) << "SQLite rewrote no frame header: the scenario is gone";
  ASSERT_EQ(code, 0) << "the child's commit failed";
  auto db = Database::Open(path, KeySource::Passcode(kPasscode), options);
  ASSERT_THAT(db.status(), IsOk());
  EXPECT_EQ(CountNotes(**db, "body LIKE 'b%'"), 200) << "the committed transaction is whole";
}

// A transaction rolled back after spilling pages into the WAL, then another connection
// commits where its frames were. Frames still buffered when a write transaction ends were
// rolled back: they are dropped, never written, since another connection may then write its
// own frames at the same place. The other connection empties the WAL first (a TRUNCATE
// checkpoint), so the rollback reloads page 1 from the database file, not the WAL, and makes
// no call on the WAL that would write the buffered frames before the write lock's release.
TEST(WalWritesTest, ASpilledTransactionRolledBackDropsItsBufferedFrames) {
  ::outreach::testing::TempDir dir;
  const std::string path = dir.File("rolled-back.db");
  OpenOptions options = Options();
  // 16 pages: the insert below spills its leaves as it goes, never reading one back, so
  // frames are still buffered when it rolls back.
  options.cache_size_kib = 64;
  const std::unique_ptr<Database> spiller = CreateNotes(path, options);
  ASSERT_NE(spiller, nullptr);
  auto other = Database::Open(path, KeySource::Passcode(kPasscode), Options());
  ASSERT_THAT(other.status(), IsOk());
  constexpr std::int64_t kWalHeader = 32;
  constexpr std::int64_t kFullBuffer =
      static_cast<std::int64_t>(kFrameBytes) * detail::kWalFramesPerWrite;
  for (int round = 1; round <= 3; ++round) {
    ASSERT_THAT((*other)->Checkpoint(), IsOk());  // TRUNCATE; an error if it was busy
    FaultVfs::Disarm();  // counters from zero
    ASSERT_THAT(spiller->Exec("BEGIN; " + InsertNotes(1'000 + 7 * round, 's')), IsOk());
    ASSERT_THAT(spiller->Exec("ROLLBACK"), IsOk());
    const FaultCounts rolled_back = FaultVfs::Counts();
    ASSERT_GT(rolled_back.bytes_written, kWalHeader)
        << "no full buffer of frames was spilled: the scenario is gone";
    EXPECT_EQ((rolled_back.bytes_written - kWalHeader) % kFullBuffer, 0)
        << "only full buffers reached the WAL: the frames left in the buffer were not written";
    FaultVfs::Disarm();  // counters from zero
    EXPECT_EQ(CountNotes(*spiller), 1'500 * (round - 1));
    EXPECT_EQ(FaultVfs::Counts().bytes_written, 0) << "nor later: they were dropped";
    // More frames than the spiller wrote: written later, its dropped frames would land on
    // these.
    ASSERT_THAT((*other)->Exec(InsertNotes(1'500, 'o')), IsOk());
    EXPECT_EQ(CountNotes(*spiller), 1'500 * round) << "the spiller reads the other's commits";
    EXPECT_EQ(CountNotes(**other, "body LIKE 'o%'"), 1'500 * round);
    EXPECT_EQ(IntegrityOf(**other), "ok");
    EXPECT_EQ(IntegrityOf(*spiller), "ok");
  }
}

// In EXCLUSIVE locking mode SQLite takes and releases the WAL locks without xShmLock, whose
// release of the write lock is what ends a transaction's buffered frames: refused.
TEST(WalWritesTest, ExclusiveLockingModeIsRefused) {
  ::outreach::testing::TempDir dir;
  const std::unique_ptr<Database> db = CreateNotes(dir.File("exclusive.db"), Options());
  ASSERT_NE(db, nullptr);
  for (const char* pragma : {"PRAGMA locking_mode=EXCLUSIVE", "PRAGMA main.locking_mode=exclusive",
                             "PRAGMA locking_mode='exclusive'", "PRAGMA locking_mode(Exclusive)"}) {
    EXPECT_THAT(db->Exec(pragma), StatusIs(StatusCode::kFailedPrecondition)) << pragma;
  }
  auto mode = db->Prepare("PRAGMA locking_mode");
  ASSERT_THAT(mode.status(), IsOk());
  auto row = mode->Step();
  ASSERT_TRUE(row.ok() && *row);
  EXPECT_EQ(mode->ColumnText(0), "normal");
  EXPECT_THAT(db->Exec("PRAGMA locking_mode=NORMAL"), IsOk());
  ASSERT_THAT(db->Exec(InsertNotes(40, 'x')), IsOk());
  EXPECT_EQ(CountNotes(*db), 40);
}

// A flush that fails before a read (here ENOSPC) loses frames of the open transaction: the
// transaction must not commit, since the WAL would then name frames that were never written.
TEST(WalWritesTest, FramesLostBeforeAReadKeepTheTransactionFromCommitting) {
  ::outreach::testing::TempDir dir;
  const std::string path = dir.File("lost.db");
  OpenOptions options = Options();
  options.cache_size_kib = 16;  // four pages: the insert spills, the count reads the WAL
  const std::unique_ptr<Database> db = CreateNotes(path, options);
  ASSERT_NE(db, nullptr);
  ASSERT_THAT(db->Exec(InsertNotes(10, 'k')), IsOk());
  ASSERT_THAT(db->Exec("BEGIN; " + InsertNotes(45, 'l')), IsOk());
  // An update of several rows inside a transaction has a statement journal: SQLite takes
  // SQLITE_FULL from it as that statement's failure alone, and the transaction goes on.
  FaultVfs::Arm(FaultOp::kWrite, 1, FaultKind::kNoSpace);
  // It reads spilled pages: the buffered frames are flushed first, and that write fails.
  (void)db->Exec("UPDATE notes SET body = printf('%.500c', 'u') WHERE id <= 20");
  const bool fired = FaultVfs::Fired();
  FaultVfs::Disarm();
  ASSERT_TRUE(fired) << "no frames were buffered at the read: the scenario is gone";
  (void)db->Exec("COMMIT");  // fails, or finds the transaction already rolled back
  EXPECT_EQ(CountNotes(*db), 10) << "the transaction's rows are gone, and only they";
  EXPECT_EQ(IntegrityOf(*db), "ok");
  auto reopened = Database::Open(path, KeySource::Passcode(kPasscode), Options());
  ASSERT_THAT(reopened.status(), IsOk());
  EXPECT_EQ(CountNotes(**reopened), 10);
}

// A commit of several buffers' worth of frames, with each of its write calls failing in turn:
// the commit fails, and the database holds what it held before.
TEST(WalWritesTest, EachFailedWriteOfALargeCommitFailsItAndChangesNothing) {
  ::outreach::testing::TempDir dir;
  const CommitWrites clean = WritesOfOneCommit(dir.File("clean.db"), 400);
  ASSERT_GE(clean.counts.writes, 2) << "the commit needs several writes";
  for (int nth = 1; nth <= clean.counts.writes; ++nth) {
    for (const FaultKind kind : {FaultKind::kNoSpace, FaultKind::kIoError}) {
      const std::string path = dir.File("fail-" + std::to_string(nth) + "-" +
                                        std::to_string(static_cast<int>(kind)) + ".db");
      const std::unique_ptr<Database> db = CreateNotes(path, Options());
      ASSERT_NE(db, nullptr);
      ASSERT_THAT(db->Exec(InsertNotes(10, 'p')), IsOk());
      FaultVfs::Arm(FaultOp::kWrite, nth, kind);
      EXPECT_FALSE(db->Exec(InsertNotes(400, 'f')).ok()) << "write " << nth;
      FaultVfs::Disarm();
      EXPECT_EQ(CountNotes(*db), 10) << "write " << nth;
      EXPECT_EQ(IntegrityOf(*db), "ok") << "write " << nth;
      ASSERT_THAT(db->Exec(InsertNotes(5, 'q')), IsOk()) << "the store goes on after write "
                                                          << nth;
      auto reopened = Database::Open(path, KeySource::Passcode(kPasscode), Options());
      ASSERT_THAT(reopened.status(), IsOk());
      EXPECT_EQ(CountNotes(**reopened), 15) << "write " << nth;
    }
  }
}

// A new database whose WAL holds one commit of 1,000 notes of `fill`, written in page order
// (null if that failed), and the number of frames the WAL holds.
std::unique_ptr<Database> WithOneLargeCommitInTheWal(const std::string& path, char fill,
                                                     std::int64_t* frames) {
  std::unique_ptr<Database> db = CreateNotes(path, Options());
  if (db == nullptr || !db->Checkpoint().ok() || !db->Exec(InsertNotes(1'000, fill)).ok()) {
    ADD_FAILURE() << "could not write the commit";
    return nullptr;
  }
  *frames = static_cast<std::int64_t>(std::filesystem::file_size(path + "-wal") / kFrameBytes);
  return db;
}

// A checkpoint copies frames in page order, one read each; frames written in page order (one
// large insert) are read many at a time instead, and copied whole.
TEST(WalWritesTest, ACheckpointReadsFramesWrittenInOrderManyAtATime) {
  ::outreach::testing::TempDir dir;
  const std::string path = dir.File("read-ahead.db");
  std::int64_t frames = 0;
  const std::unique_ptr<Database> db = WithOneLargeCommitInTheWal(path, 'c', &frames);
  ASSERT_NE(db, nullptr);
  ASSERT_GT(frames, 100);
  FaultVfs::Disarm();  // counters from zero
  ASSERT_THAT(db->Checkpoint(), IsOk());
  EXPECT_LT(FaultVfs::Counts().reads * 4, frames) << "each frame copied was read alone";
  auto reopened = Database::Open(path, KeySource::Passcode(kPasscode), Options());
  ASSERT_THAT(reopened.status(), IsOk());
  EXPECT_EQ(CountNotes(**reopened, "body LIKE 'c%'"), 1'000);
  EXPECT_EQ(IntegrityOf(**reopened), "ok");
}

// A frame read ahead is authenticated as it is copied, as one read alone is: one damaged
// frame in the middle of a run stops the checkpoint (the frames before it may be copied, as
// after any failed write), and the connection writes nothing more.
TEST(WalWritesTest, ADamagedFrameReadAheadStopsTheCheckpoint) {
  ::outreach::testing::TempDir dir;
  const std::string path = dir.File("damaged.db");
  std::int64_t frames = 0;
  const std::unique_ptr<Database> db = WithOneLargeCommitInTheWal(path, 'd', &frames);
  ASSERT_NE(db, nullptr);
  ASSERT_GT(frames, 100);
  constexpr std::int64_t kWalHeader = 32;
  const std::int64_t damaged = kWalHeader + 40 * static_cast<std::int64_t>(kFrameBytes);
  ::outreach::testing::FlipByte(path + "-wal", damaged + 24 + 100);
  FaultVfs::Disarm();  // counters from zero
  EXPECT_THAT(db->Checkpoint(), StatusIs(StatusCode::kCorrupt));
  EXPECT_LT(FaultVfs::Counts().reads, 40) << "the damaged frame was not read ahead";
  EXPECT_FALSE(db->Exec(InsertNotes(1, 'x')).ok());
}

// The same, over pages the database already holds an older copy of: the damaged frame's page
// keeps its older copy in the database file, byte for byte.
TEST(WalWritesTest, ADamagedFrameReadAheadLeavesTheOlderCopyOfItsPage) {
  ::outreach::testing::TempDir dir;
  const std::string path = dir.File("older.db");
  std::int64_t frames = 0;
  const std::unique_ptr<Database> db = WithOneLargeCommitInTheWal(path, 'o', &frames);
  ASSERT_NE(db, nullptr);
  ASSERT_THAT(db->Checkpoint(), IsOk());
  ASSERT_THAT(db->Exec("UPDATE notes SET body = printf('%.500c', 'n')"), IsOk());
  constexpr std::int64_t kWalHeader = 32;
  const std::int64_t damaged = kWalHeader + 40 * static_cast<std::int64_t>(kFrameBytes);
  const std::vector<std::uint8_t> wal = ::outreach::testing::ReadFileBytes(path + "-wal");
  ASSERT_GT(static_cast<std::int64_t>(wal.size()), damaged + 24 + 4096);
  const std::int64_t page = (std::int64_t{wal[damaged]} << 24) | (wal[damaged + 1] << 16) |
                            (wal[damaged + 2] << 8) | wal[damaged + 3];
  const auto page_bytes = [&] {
    const std::vector<std::uint8_t> file = ::outreach::testing::ReadFileBytes(path);
    const auto start = file.begin() + (page - 1) * 4096;
    return std::vector<std::uint8_t>(start, start + 4096);
  };
  ASSERT_GE(static_cast<std::int64_t>(std::filesystem::file_size(path)), page * 4096)
      << "the database holds an older copy of the page";
  const std::vector<std::uint8_t> older = page_bytes();
  ::outreach::testing::FlipByte(path + "-wal", damaged + 24 + 100);
  FaultVfs::Disarm();  // counters from zero
  EXPECT_THAT(db->Checkpoint(), StatusIs(StatusCode::kCorrupt));
  EXPECT_LT(FaultVfs::Counts().reads, 40) << "the damaged frame was not read ahead";
  EXPECT_TRUE(page_bytes() == older) << "page " << page << " was overwritten";
}

// Frames read ahead serve the checkpoint that read them only. After a checkpoint that read
// the WAL ahead to its end, the WAL starts again, and one note is rewritten in as many commits
// as the WAL had frames: the second checkpoint's only read is that note's page in the frame
// where the first checkpoint's last frame was, among those it read ahead. Served from there,
// it would be another page's old frame (authentic, for that page) written over this one.
TEST(WalWritesTest, ACheckpointNeverCopiesFramesReadAheadForAnEarlierOne) {
  ::outreach::testing::TempDir dir;
  const std::string path = dir.File("stale.db");
  std::int64_t frames = 0;
  const std::unique_ptr<Database> db = WithOneLargeCommitInTheWal(path, 'o', &frames);
  ASSERT_NE(db, nullptr);
  // The first checkpoint reads frame 1 alone, then 4, 8, 16 and then 31 at a time: its last
  // frame stays read ahead unless it begins a read of its own.
  const bool last_begins_a_read = frames == 2 || frames == 6 || frames == 14 ||
                                  (frames >= 30 && (frames - 30) % 31 == 0);
  ASSERT_FALSE(last_begins_a_read) << frames << " frames: the last would be read alone";
  FaultVfs::Disarm();  // counters from zero
  ASSERT_THAT(db->Checkpoint(), IsOk());
  ASSERT_LT(FaultVfs::Counts().reads * 4, frames) << "the first checkpoint did not read ahead";
  char last = 'n';
  for (std::int64_t commit = 0; commit < frames; ++commit) {
    last = commit % 2 == 0 ? 'n' : 'm';  // a write of the same bytes writes nothing
    ASSERT_THAT(db->Exec("UPDATE notes SET body = printf('%.500c', '" + std::string(1, last) +
                         "') WHERE id = 1"),
                IsOk());
  }
  ASSERT_EQ(std::filesystem::file_size(path + "-wal"), 32 + frames * kFrameBytes)
      << "one frame per commit, from the WAL's start";
  ASSERT_THAT(db->Checkpoint(), IsOk());
  auto reopened = Database::Open(path, KeySource::Passcode(kPasscode), Options());
  ASSERT_THAT(reopened.status(), IsOk());
  EXPECT_EQ(CountNotes(**reopened, "id = 1 AND body LIKE '" + std::string(1, last) + "%'"), 1);
  EXPECT_EQ(CountNotes(**reopened, "body LIKE 'o%'"), 999);
  EXPECT_EQ(IntegrityOf(**reopened), "ok");
}

}  // namespace
}  // namespace outreach::storage
