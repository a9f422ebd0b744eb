// Checkpoints in the background (OpenOptions::checkpoint_in_background): a thread with a
// connection of its own copies the WAL into the database while the writer goes on writing and
// reading; what it copies stays sealed, and the WAL stays bounded.
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <string>
#include <thread>

#include "core/storage/database.h"
#include "core/storage/database_internal.h"
#include "tests/testing/file_scan.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace outreach::storage {
namespace {

using ::outreach::testing::IsOk;

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
  // As on the server: a reader connection open beside the writer.
  InsertBatch(*writer, 0, 1);
  ASSERT_OK_AND_ASSIGN(auto reader,
                       Database::Open(path, KeySource::Passcode("pin"), BackgroundOptions()));
  // 1,000 rows of 3 KB, read back after every commit while the copying goes on beside.
  for (int batch = 0; batch < 20; ++batch) {
    ASSERT_NO_FATAL_FAILURE(InsertBatch(*writer, 1 + batch * 50, 50));
    ASSERT_NO_FATAL_FAILURE(ExpectRows(*writer, 1 + (batch + 1) * 50));
  }
  ASSERT_NO_FATAL_FAILURE(ExpectRows(*reader, 1001));
  EXPECT_TRUE(Eventually([&] { return testing::FileSize(path) > 3 * 1024 * 1024; }))
      << "the database file holds the rows: " << testing::FileSize(path) << " bytes";
  EXPECT_GT(DatabaseInternal::BackgroundFramesCopied(*writer), 0) << "copied by its own thread";
  // Bounded: the writer copies for itself once the WAL is twice the limit (200 pages), and a
  // copied WAL is written again from its start.
  EXPECT_LT(testing::FileSize(path + "-wal"), 2 * 1024 * 1024);
  EXPECT_EQ(DatabaseInternal::BackgroundFramesCopied(*reader), 0) << "a reader never commits";

  reader.reset();
  writer.reset();
  ASSERT_OK_AND_ASSIGN(auto reopened, Database::Open(path, KeySource::Passcode("pin"), {}));
  ASSERT_NO_FATAL_FAILURE(ExpectRows(*reopened, 1001));
  ASSERT_OK_AND_ASSIGN(std::string check, reopened->IntegrityCheck());
  EXPECT_EQ(check, "ok");
}

TEST(BackgroundCheckpointTest, WhatItCopiesStaysSealedOnDisk) {
  testing::TempDir dir;
  const std::string path = dir.File("device.db");
  ASSERT_OK_AND_ASSIGN(auto db, Database::Create(path, KeySource::Passcode("pin"),
                                                 BackgroundOptions()));
  for (int batch = 0; batch < 10; ++batch) {
    ASSERT_NO_FATAL_FAILURE(InsertBatch(*db, batch * 50, 50));
  }
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
  ASSERT_OK_AND_ASSIGN(auto db, Database::Create(path, KeySource::Passcode("pin"), options));
  for (int batch = 0; batch < 10; ++batch) {
    ASSERT_NO_FATAL_FAILURE(InsertBatch(*db, batch * 50, 50));
  }
  // Copied by the commits themselves, before they returned.
  EXPECT_GT(testing::FileSize(path), 1024 * 1024);
  EXPECT_EQ(DatabaseInternal::BackgroundFramesCopied(*db), -1);
}

}  // namespace
}  // namespace outreach::storage
