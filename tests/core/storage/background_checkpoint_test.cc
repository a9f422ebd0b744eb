// Checkpoints in the background (OpenOptions::checkpoint_in_background): a thread with a
// connection of its own copies the WAL into the database while the writer goes on writing and
// reading; what it copies stays sealed, and the WAL stays bounded.
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/storage/database.h"
#include "core/storage/database_internal.h"
#include "tests/testing/file_scan.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace outreach::storage {
namespace {

using ::outreach::testing::IsOk;
using ::outreach::testing::StatusIs;

constexpr int kPages = 100;
constexpr char kMarker[] = "SAFEGUARDING-MARKER-";

OpenOptions BackgroundOptions() {
  OpenOptions options;
  options.kdf = KdfParams::FastForTests();
  options.wal_autocheckpoint_pages = kPages;
  options.checkpoint_in_background = true;
  // A small page cache: the writer reads back from the files while the copying goes on.
  options.cache_size_kib = 64;
  return options;
}

// About 3 KB: each row takes most of a page, so a batch of 50 is about half the WAL's limit.
std::string Body(int row) { return kMarker + std::to_string(row) + std::string(3000, 'x'); }

void InsertBatch(Database& db, int first, int count) {
  ASSERT_THAT(db.Exec("CREATE TABLE IF NOT EXISTS notes(id INTEGER PRIMARY KEY, body TEXT)"),
              IsOk());
  ASSERT_OK_AND_ASSIGN(auto txn, db.Begin());
  ASSERT_OK_AND_ASSIGN(auto insert, db.Prepare("INSERT INTO notes(id, body) VALUES (?, ?)"));
  for (int row = first; row < first + count; ++row) {
    ASSERT_THAT(insert.BindInt64(1, row), IsOk());
    ASSERT_THAT(insert.BindText(2, Body(row)), IsOk());
    ASSERT_THAT(insert.Run(), IsOk());
  }
  ASSERT_THAT(txn.Commit(), IsOk());
}

// Every row 0..count-1 reads back exactly as written.
void ExpectRows(Database& db, int count) {
  ASSERT_OK_AND_ASSIGN(auto select, db.Prepare("SELECT id, body FROM notes ORDER BY id"));
  int seen = 0;
  while (true) {
    ASSERT_OK_AND_ASSIGN(bool has_row, select.Step());
    if (!has_row) break;
    ASSERT_EQ(select.ColumnInt64(0), seen);
    ASSERT_EQ(select.ColumnText(1), Body(seen));
    ++seen;
  }
  EXPECT_EQ(seen, count);
}

// A new database at `path` with `batches` batches of 50 rows, committed back to back.
void CreateWithRows(const std::string& path, const OpenOptions& options, int batches,
                    std::unique_ptr<Database>* db) {
  ASSERT_OK_AND_ASSIGN(*db, Database::Create(path, KeySource::Passcode("pin"), options));
  for (int batch = 0; batch < batches; ++batch) {
    ASSERT_NO_FATAL_FAILURE(InsertBatch(**db, batch * 50, 50));
  }
}

bool Eventually(const std::function<bool()>& done) {
  for (int i = 0; i < 400 && !done(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return done();
}

TEST(BackgroundCheckpointTest, TheWalIsCopiedOnItsOwnThreadWhileTheWriterGoesOn) {
  testing::TempDir dir;
  const std::string path = dir.File("server.db");
  ASSERT_OK_AND_ASSIGN(auto writer, Database::Create(path, KeySource::Passcode("pin"),
                                                     BackgroundOptions()));
  // As on the server: a reader connection (without a checkpointer) open beside the writer.
  InsertBatch(*writer, 0, 1);
  OpenOptions reader_options = BackgroundOptions();
  reader_options.checkpoint_in_background = false;
  ASSERT_OK_AND_ASSIGN(auto reader,
                       Database::Open(path, KeySource::Passcode("pin"), reader_options));
  // 1,000 rows of 3 KB, read back after every commit while the copying goes on beside.
  for (int batch = 0; batch < 20; ++batch) {
    ASSERT_NO_FATAL_FAILURE(InsertBatch(*writer, 1 + batch * 50, 50));
    ASSERT_NO_FATAL_FAILURE(ExpectRows(*writer, 1 + (batch + 1) * 50));
  }
  ASSERT_NO_FATAL_FAILURE(ExpectRows(*reader, 1001));
  EXPECT_TRUE(Eventually([&] { return testing::FileSize(path) > 3 * 1024 * 1024; }))
      << "the database file holds the rows: " << testing::FileSize(path) << " bytes";
  EXPECT_GT(DatabaseInternal::BackgroundCopies(*writer), 0) << "copied by its own thread";
  EXPECT_EQ(DatabaseInternal::BackgroundCopies(*reader), -1);

  reader.reset();
  writer.reset();
  ASSERT_OK_AND_ASSIGN(auto reopened, Database::Open(path, KeySource::Passcode("pin"), {}));
  ASSERT_NO_FATAL_FAILURE(ExpectRows(*reopened, 1001));
  ASSERT_OK_AND_ASSIGN(std::string check, reopened->IntegrityCheck());
  EXPECT_EQ(check, "ok");
}

// A server holds the copy off while it answers syncs (HoldCheckpoints): the copy reads,
// authenticates and writes back every page written since the last, and in the middle of a
// sync it took the CPU that sync was waiting for. It runs once nothing has held it for a
// quiet spell.
TEST(BackgroundCheckpointTest, WhileHeldTheCopyWaitsForAQuietSpell) {
  testing::TempDir dir;
  std::unique_ptr<Database> db;
  ASSERT_NO_FATAL_FAILURE(CreateWithRows(dir.File("server.db"), BackgroundOptions(), 0, &db));
  {
    const CheckpointHold busy = db->HoldCheckpoints();
    // Past the limit (about 110 frames of 100), short of half again.
    ASSERT_NO_FATAL_FAILURE(InsertBatch(*db, 0, 50));
    ASSERT_NO_FATAL_FAILURE(InsertBatch(*db, 50, 50));
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    EXPECT_EQ(DatabaseInternal::BackgroundCopies(*db), 0) << "copied while held";
    {
      const CheckpointHold another = db->HoldCheckpoints();  // holds count, not nest
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    EXPECT_EQ(DatabaseInternal::BackgroundCopies(*db), 0) << "copied while the first is held";
  }
  // The copy runs once released, but not at once: after a quiet spell (looked for every
  // millisecond; a lower bound, which a slow machine only lengthens).
  const auto released = std::chrono::steady_clock::now();
  while (DatabaseInternal::BackgroundCopies(*db) == 0 &&
         std::chrono::steady_clock::now() - released < std::chrono::seconds(20)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_GT(DatabaseInternal::BackgroundCopies(*db), 0) << "the copy runs once released";
  EXPECT_GE(std::chrono::steady_clock::now() - released, std::chrono::milliseconds(50));
  ASSERT_NO_FATAL_FAILURE(ExpectRows(*db, 100));
}

// Under steady load nothing is ever quiet: held or not, the copy goes on once the WAL holds
// half again its limit, and the WAL stays bounded.
TEST(BackgroundCheckpointTest, HeldWithoutEndTheCopyStillRunsAndTheWalStaysBounded) {
  testing::TempDir dir;
  const std::string path = dir.File("server.db");
  std::unique_ptr<Database> db;
  ASSERT_NO_FATAL_FAILURE(CreateWithRows(path, BackgroundOptions(), 0, &db));
  const CheckpointHold busy = db->HoldCheckpoints();
  // About 165 frames: past half again the limit of 100, short of the writer's 200.
  for (int batch = 0; batch < 3; ++batch) {
    ASSERT_NO_FATAL_FAILURE(InsertBatch(*db, batch * 50, 50));
  }
  EXPECT_TRUE(Eventually([&] { return DatabaseInternal::BackgroundCopies(*db) > 0; }))
      << "copied while held";
  for (int batch = 3; batch < 40; ++batch) {
    ASSERT_NO_FATAL_FAILURE(InsertBatch(*db, batch * 50, 50));
  }
  constexpr std::int64_t kFrameBytes = 24 + 4096;
  EXPECT_LT(testing::FileSize(path + "-wal"), (2 * kPages + 2 * 60) * kFrameBytes);
  ASSERT_NO_FATAL_FAILURE(ExpectRows(*db, 2000));
}

// Holding a database that copies for itself (no background copy) changes nothing.
TEST(BackgroundCheckpointTest, HoldingWithoutABackgroundCopyIsHarmless) {
  testing::TempDir dir;
  OpenOptions options = BackgroundOptions();
  options.checkpoint_in_background = false;
  ASSERT_OK_AND_ASSIGN(auto db, Database::Create(dir.File("device.db"),
                                                 KeySource::Passcode("pin"), options));
  const CheckpointHold busy = db->HoldCheckpoints();
  ASSERT_NO_FATAL_FAILURE(InsertBatch(*db, 0, 50));
  ASSERT_NO_FATAL_FAILURE(ExpectRows(*db, 50));
}

TEST(BackgroundCheckpointTest, UnderSteadyCommitsTheWalStaysBounded) {
  testing::TempDir dir;
  const std::string path = dir.File("device.db");
  // Commits back to back: the WAL is written from its start again when a transaction begins
  // after a complete copy, or else once the writer copies the rest itself, at twice the limit
  // (200 pages), so it never holds more than that and a commit's frames (about 55).
  std::unique_ptr<Database> db;
  ASSERT_NO_FATAL_FAILURE(CreateWithRows(path, BackgroundOptions(), 40, &db));
  constexpr std::int64_t kFrameBytes = 24 + 4096;
  EXPECT_LT(testing::FileSize(path + "-wal"), (2 * kPages + 2 * 60) * kFrameBytes);
  ASSERT_NO_FATAL_FAILURE(ExpectRows(*db, 2000));
  // The copies did happen, though, and a checkpoint asked for meanwhile waits its turn.
  EXPECT_GT(DatabaseInternal::BackgroundCopies(*db) + DatabaseInternal::WriterCopies(*db), 0);
  EXPECT_THAT(db->Checkpoint(), IsOk());
  EXPECT_EQ(testing::FileSize(path + "-wal"), 0);
}

TEST(BackgroundCheckpointTest, ADamagedFrameItFindsMakesTheWriterReadOnly) {
  testing::TempDir dir;
  const std::string path = dir.File("device.db");
  OpenOptions options = BackgroundOptions();
  options.cache_size_kib = 8192;  // the writer keeps the damaged page cached: only the copy reads it
  ASSERT_OK_AND_ASSIGN(auto db, Database::Create(path, KeySource::Passcode("pin"), options));
  ASSERT_NO_FATAL_FAILURE(InsertBatch(*db, 0, 50));
  ASSERT_THAT(db->Checkpoint(), IsOk());
  // Rewrite one row: its page goes to the WAL; damage every frame so far.
  ASSERT_THAT(db->Exec("UPDATE notes SET body = 'changed' WHERE id = 7"), IsOk());
  constexpr std::int64_t kWalHeader = 32, kFrameBytes = 24 + 4096;
  const std::int64_t frames = (testing::FileSize(path + "-wal") - kWalHeader) / kFrameBytes;
  ASSERT_GE(frames, 1);
  for (std::int64_t frame = 0; frame < frames; ++frame) {
    testing::FlipByte(path + "-wal", kWalHeader + frame * kFrameBytes + 24 + 10);
  }
  // More commits fill the WAL past the limit: the checkpointer's copy reads the damaged frame.
  Status refused;
  for (int row = 100; row < 100 + 2000 && refused.ok(); ++row) {
    refused = db->Exec("INSERT INTO notes(id, body) VALUES (" + std::to_string(row) + ", '" +
                       std::string(3000, 'y') + "')");
    // Time for the copy to run before the writer would reach twice the limit itself.
    if (refused.ok()) std::this_thread::sleep_for(std::chrono::milliseconds(3));
  }
  // The writer was told (it never copied for itself, which would have found the frame too):
  // from then on it writes nothing, and closing copies nothing either.
  EXPECT_THAT(refused, StatusIs(StatusCode::kCorrupt));
  EXPECT_EQ(DatabaseInternal::WriterCopies(*db), 0);
  const auto database_after = testing::ReadFileBytes(path);
  EXPECT_FALSE(db->Exec("INSERT INTO notes(id, body) VALUES (5000, 'z')").ok());
  db.reset();
  EXPECT_EQ(testing::ReadFileBytes(path), database_after);
}

TEST(BackgroundCheckpointTest, WhatItCopiesStaysSealedOnDisk) {
  testing::TempDir dir;
  const std::string path = dir.File("device.db");
  std::unique_ptr<Database> db;
  ASSERT_NO_FATAL_FAILURE(CreateWithRows(path, BackgroundOptions(), 10, &db));
  ASSERT_TRUE(Eventually([&] { return testing::FileSize(path) > 1024 * 1024; }));
  std::vector<std::string> hits;
  EXPECT_EQ(testing::CountOccurrences(dir.path(), {kMarker}, &hits), 0) << hits.front();
  db.reset();
  EXPECT_EQ(testing::CountOccurrences(dir.path(), {kMarker}, &hits), 0) << hits.front();
}

TEST(BackgroundCheckpointTest, WithoutItTheWriterCopiesAsBefore) {
  testing::TempDir dir;
  const std::string path = dir.File("plain.db");
  OpenOptions options = BackgroundOptions();
  options.checkpoint_in_background = false;
  std::unique_ptr<Database> db;
  ASSERT_NO_FATAL_FAILURE(CreateWithRows(path, options, 10, &db));
  // Copied by the commits themselves, before they returned.
  EXPECT_GT(testing::FileSize(path), 1024 * 1024);
  EXPECT_EQ(DatabaseInternal::BackgroundCopies(*db), -1);
  EXPECT_EQ(DatabaseInternal::WriterCopies(*db), -1);
}

}  // namespace
}  // namespace outreach::storage
