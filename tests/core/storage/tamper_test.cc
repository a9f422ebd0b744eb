// Tampering: a flipped byte in a database page, a WAL frame or the key file, and two swapped
// pages, are each an error naming what failed; no query ever returns altered data.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "core/storage/database.h"
#include "tests/testing/file_scan.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace outreach::storage {
namespace {

using ::outreach::testing::IsOk;
using ::outreach::testing::StatusIs;
using ::testing::HasSubstr;

constexpr int kPage = 4096;
constexpr int kWalHeader = 32;
constexpr int kFrame = 24 + kPage;
constexpr int kRowsPerTxn = 100;

OpenOptions Options() {
  OpenOptions options;
  options.kdf = KdfParams::FastForTests();
  options.wal_autocheckpoint_pages = 0;  // the tests decide when pages reach the database file
  return options;
}

std::string NoteFor(std::int64_t id) { return "row " + std::to_string(id) + std::string(300, '-'); }

void WriteTransactions(Database& db, int transactions) {
  ASSERT_THAT(db.Exec("CREATE TABLE IF NOT EXISTS contact(id INTEGER PRIMARY KEY, note TEXT)"),
              IsOk());
  ASSERT_OK_AND_ASSIGN(auto insert, db.Prepare("INSERT INTO contact(id, note) VALUES (?, ?)"));
  for (int txn_index = 0; txn_index < transactions; ++txn_index) {
    ASSERT_OK_AND_ASSIGN(auto txn, db.Begin());
    for (int row = 0; row < kRowsPerTxn; ++row) {
      const std::int64_t id = txn_index * kRowsPerTxn + row + 1;
      ASSERT_THAT(insert.BindInt64(1, id), IsOk());
      ASSERT_THAT(insert.BindText(2, NoteFor(id)), IsOk());
      ASSERT_THAT(insert.Run(), IsOk());
    }
    ASSERT_THAT(txn.Commit(), IsOk());
  }
}

struct ScanResult {
  int rows = 0;
  Status status;
};

// Reads every row; any row that comes back must be exactly what was written.
ScanResult ScanAndCheckRows(Database& db) {
  ScanResult result;
  auto select = db.Prepare("SELECT id, note FROM contact ORDER BY id");
  if (!select.ok()) {
    result.status = select.status();
    return result;
  }
  while (true) {
    auto has_row = select->Step();
    if (!has_row.ok()) {
      result.status = has_row.status();
      return result;
    }
    if (!*has_row) return result;
    EXPECT_EQ(select->ColumnText(1), NoteFor(select->ColumnInt64(0))) << "altered data returned";
    ++result.rows;
  }
}

class TamperTest : public ::testing::Test {
 protected:
  // Every file but SQLite's wal-index (-shm), which any open rebuilds and which holds no data,
  // and an empty WAL, which opening a WAL-mode database creates.
  std::map<std::string, std::vector<std::uint8_t>> DataFiles() const {
    auto files = testing::SnapshotFolder(dir_.path());
    files.erase("field.db-shm");
    if (files.count("field.db-wal") != 0 && files["field.db-wal"].empty()) {
      files.erase("field.db-wal");
    }
    return files;
  }

  void CreateCheckpointed(int transactions) {
    ASSERT_OK_AND_ASSIGN(auto db, Database::Create(path_, KeySource::Passcode("pin"), Options()));
    WriteTransactions(*db, transactions);
    ASSERT_THAT(db->Checkpoint(), IsOk());
  }

  testing::TempDir dir_;
  std::string path_ = dir_.File("field.db");
};

TEST_F(TamperTest, FlippedByteInDatabasePageIsCorruptNamingThePage) {
  CreateCheckpointed(10);
  const int pages = static_cast<int>(testing::FileSize(path_) / kPage);
  ASSERT_GT(pages, 20);
  const int victim = pages / 2;  // 1-based page number
  testing::FlipByte(path_, (victim - 1) * std::int64_t{kPage} + 1000);
  const auto tampered = DataFiles();

  ASSERT_OK_AND_ASSIGN(auto db, Database::Open(path_, KeySource::Passcode("pin"), Options()));
  const ScanResult scan = ScanAndCheckRows(*db);
  EXPECT_THAT(scan.status, StatusIs(StatusCode::kCorrupt));
  EXPECT_THAT(scan.status.message(),
              HasSubstr("page " + std::to_string(victim) + " of database file " + path_));
  EXPECT_LT(scan.rows, 10 * kRowsPerTxn);
  EXPECT_THAT(db->IntegrityCheck(), StatusIs(StatusCode::kCorrupt));
  // From now on the connection writes nothing, not even the checkpoint on close.
  EXPECT_THAT(db->Exec("INSERT INTO contact(id, note) VALUES (999999, 'x')"),
              StatusIs(StatusCode::kFailedPrecondition));
  db.reset();
  EXPECT_EQ(DataFiles(), tampered);
}

TEST_F(TamperTest, FlippedByteInPageOneFailsOpen) {
  CreateCheckpointed(2);
  testing::FlipByte(path_, 50);
  auto db = Database::Open(path_, KeySource::Passcode("pin"), Options());
  EXPECT_THAT(db, StatusIs(StatusCode::kCorrupt));
  EXPECT_THAT(db.status().message(), HasSubstr("page 1 of database file"));
}

TEST_F(TamperTest, SwappedPagesAreCorrupt) {
  CreateCheckpointed(10);
  auto bytes = testing::ReadFileBytes(path_);
  const int first = 5, second = 9;  // 1-based
  std::swap_ranges(bytes.begin() + (first - 1) * kPage, bytes.begin() + first * kPage,
                   bytes.begin() + (second - 1) * kPage);
  testing::WriteFileBytes(path_, bytes);
  const auto tampered = DataFiles();

  ASSERT_OK_AND_ASSIGN(auto db, Database::Open(path_, KeySource::Passcode("pin"), Options()));
  const ScanResult scan = ScanAndCheckRows(*db);
  EXPECT_THAT(scan.status, StatusIs(StatusCode::kCorrupt));
  EXPECT_THAT(db->IntegrityCheck(), StatusIs(StatusCode::kCorrupt));
  db.reset();
  EXPECT_EQ(DataFiles(), tampered);
}

TEST_F(TamperTest, FlippedByteInKeyFileIsCorruptAndChangesNothing) {
  CreateCheckpointed(1);
  const std::string key_path = Database::KeyFilePath(path_);
  for (const int offset : {20, 30, 45, 90, 150}) {  // cost, salt, id, sealed key, checksum
    testing::FlipByte(key_path, offset);
    const auto before = testing::SnapshotFolder(dir_.path());
    auto db = Database::Open(path_, KeySource::Passcode("pin"), Options());
    EXPECT_THAT(db, StatusIs(StatusCode::kCorrupt)) << "offset " << offset;
    EXPECT_THAT(db.status().message(), HasSubstr(key_path));
    EXPECT_EQ(testing::SnapshotFolder(dir_.path()), before);
    testing::FlipByte(key_path, offset);  // restore
  }
  ASSERT_OK_AND_ASSIGN(auto db, Database::Open(path_, KeySource::Passcode("pin"), Options()));
  EXPECT_EQ(ScanAndCheckRows(*db).rows, kRowsPerTxn);
}

TEST_F(TamperTest, FlippedByteInWalFrameWhileOpenIsCorrupt) {
  ASSERT_OK_AND_ASSIGN(auto writer, Database::Create(path_, KeySource::Passcode("pin"), Options()));
  WriteTransactions(*writer, 5);
  const std::int64_t frames = (testing::FileSize(path_ + "-wal") - kWalHeader) / kFrame;
  ASSERT_GT(frames, 10);
  // The last frame holds the newest version of its page, so readers must use it.
  testing::FlipByte(path_ + "-wal", kWalHeader + (frames - 1) * kFrame + 24 + 500);

  ASSERT_OK_AND_ASSIGN(auto reader, Database::Open(path_, KeySource::Passcode("pin"), Options()));
  auto check = reader->IntegrityCheck();
  EXPECT_THAT(check, StatusIs(StatusCode::kCorrupt));
  EXPECT_THAT(check.status().message(),
              HasSubstr("frame " + std::to_string(frames) + " of WAL file " + path_ + "-wal"));
  EXPECT_THAT(ScanAndCheckRows(*reader).status, StatusIs(StatusCode::kCorrupt));
  reader.reset();

  // The writer never read the damaged frame, so it closes normally, which checkpoints. The
  // checkpoint authenticates every frame it copies: it stops at the damaged one instead of
  // writing it over the database's good page, so the WAL stays.
  writer.reset();
  EXPECT_TRUE(std::filesystem::exists(path_ + "-wal"));
  // The next open recovers the WAL, which ends at the damaged frame as at a torn tail: the
  // last transaction is lost whole, nothing altered is returned.
  ASSERT_OK_AND_ASSIGN(auto later, Database::Open(path_, KeySource::Passcode("pin"), Options()));
  ASSERT_OK_AND_ASSIGN(std::string later_check, later->IntegrityCheck());
  EXPECT_EQ(later_check, "ok");
  const ScanResult after_recovery = ScanAndCheckRows(*later);
  ASSERT_THAT(after_recovery.status, IsOk());
  EXPECT_EQ(after_recovery.rows, 4 * kRowsPerTxn);
}

TEST_F(TamperTest, CheckpointNeverCopiesADamagedFrameIntoTheDatabase) {
  ASSERT_OK_AND_ASSIGN(auto db, Database::Create(path_, KeySource::Passcode("pin"), Options()));
  WriteTransactions(*db, 3);
  ASSERT_THAT(db->Checkpoint(), IsOk());
  const auto checkpointed = testing::ReadFileBytes(path_);
  // Rewrite one row: its page goes to the WAL; damage that frame, then checkpoint.
  ASSERT_THAT(db->Exec("UPDATE contact SET note = 'changed' WHERE id = 150"), IsOk());
  const std::int64_t frames = (testing::FileSize(path_ + "-wal") - kWalHeader) / kFrame;
  ASSERT_GE(frames, 1);
  for (std::int64_t frame = 0; frame < frames; ++frame) {
    testing::FlipByte(path_ + "-wal", kWalHeader + frame * kFrame + 24 + 10);
  }
  EXPECT_THAT(db->Checkpoint(), StatusIs(StatusCode::kCorrupt));
  EXPECT_EQ(testing::ReadFileBytes(path_), checkpointed);
}

TEST_F(TamperTest, DamagedWalFrameInRecoveryEndsRecoveryThereWithoutAlteredData) {
  ASSERT_OK_AND_ASSIGN(auto writer, Database::Create(path_, KeySource::Passcode("pin"), Options()));
  WriteTransactions(*writer, 10);
  // Copy database, WAL and key without -shm, as after a crash: the copy must recover the WAL.
  const std::string copy = dir_.File("copy.db");
  for (const char* suffix : {"", "-wal"}) {
    std::filesystem::copy_file(path_ + suffix, copy + suffix);
  }
  std::filesystem::copy_file(Database::KeyFilePath(path_), Database::KeyFilePath(copy));
  const std::int64_t frames = (testing::FileSize(copy + "-wal") - kWalHeader) / kFrame;
  const std::int64_t damaged = frames * 6 / 10;
  testing::FlipByte(copy + "-wal", kWalHeader + damaged * kFrame + 24 + 77);

  ASSERT_OK_AND_ASSIGN(auto recovered, Database::Open(copy, KeySource::Passcode("pin"), Options()));
  ASSERT_OK_AND_ASSIGN(std::string check, recovered->IntegrityCheck());
  EXPECT_EQ(check, "ok");
  const ScanResult scan = ScanAndCheckRows(*recovered);
  ASSERT_THAT(scan.status, IsOk());
  // Commits from the damaged frame on are lost, whole: a prefix of the transactions remains.
  EXPECT_LT(scan.rows, 10 * kRowsPerTxn);
  EXPECT_GT(scan.rows, 0);
  EXPECT_EQ(scan.rows % kRowsPerTxn, 0);
}

}  // namespace
}  // namespace outreach::storage
