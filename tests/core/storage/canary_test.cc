// Nothing readable at rest (I5): canary strings written through the store never appear in any
// file of the database's folder, whatever SQL tries to push them out through another file.
#include <gtest/gtest.h>
#include <sodium.h>

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

constexpr int kCanaries = 100;
constexpr int kRows = 12'000;

std::vector<std::string> MakeCanaries() {
  std::vector<std::string> canaries;
  for (int i = 0; i < kCanaries; ++i) {
    unsigned char random[8];
    randombytes_buf(random, sizeof(random));
    char hex[17];
    sodium_bin2hex(hex, sizeof(hex), random, sizeof(random));
    canaries.push_back("CANARY" + std::to_string(i) + "x" + hex);
  }
  return canaries;
}

class CanaryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(EnsureSodium());
    canaries_ = MakeCanaries();
    path_ = dir_.File("field.db");
  }

  OpenOptions Options(int autocheckpoint) const {
    OpenOptions options;
    options.kdf = KdfParams::FastForTests();
    options.wal_autocheckpoint_pages = autocheckpoint;
    return options;
  }

  // kRows rows; each carries one canary in a ~300-byte note and one in an indexed column, so
  // canaries sit in table b-tree pages, index pages and overflow-free cells alike.
  void WriteCanaryRows(Database& db) {
    ASSERT_THAT(db.Exec("CREATE TABLE contact(id INTEGER PRIMARY KEY, tag TEXT, note TEXT);"
                        "CREATE INDEX contact_tag ON contact(tag);"),
                IsOk());
    ASSERT_OK_AND_ASSIGN(auto txn, db.Begin());
    ASSERT_OK_AND_ASSIGN(auto insert, db.Prepare("INSERT INTO contact(tag, note) VALUES (?, ?)"));
    for (int row = 0; row < kRows; ++row) {
      const std::string& canary = canaries_[row % kCanaries];
      ASSERT_THAT(insert.BindText(1, canary), IsOk());
      ASSERT_THAT(insert.BindText(2, "seen near the bus station; said " + canary +
                                         std::string(250, '.')),
                  IsOk());
      ASSERT_THAT(insert.Run(), IsOk());
    }
    ASSERT_THAT(txn.Commit(), IsOk());
  }

  void ExpectNoCanaryOnDisk(const std::string& when) {
    std::vector<std::string> hits;
    EXPECT_EQ(testing::CountOccurrences(dir_.path(), canaries_, &hits), 0)
        << when << ": first hit " << (hits.empty() ? "" : hits.front());
  }

  testing::TempDir dir_;
  std::vector<std::string> canaries_;
  std::string path_;
};

TEST_F(CanaryTest, NoCanaryInAnyFileBeforeAndAfterCheckpoint) {
  ASSERT_OK_AND_ASSIGN(auto db, Database::Create(path_, KeySource::Passcode("pin"), Options(0)));
  WriteCanaryRows(*db);
  // The WAL holds everything; nothing checkpointed yet.
  ASSERT_GT(testing::FileSize(path_ + "-wal"), 1'000'000);
  EXPECT_EQ(testing::FilesIn(dir_.path()),
            (std::vector<std::string>{"field.db", "field.db-shm", "field.db-wal", "field.db.key"}));
  ExpectNoCanaryOnDisk("WAL not checkpointed");

  ASSERT_THAT(db->Checkpoint(), IsOk());
  db.reset();
  ASSERT_GT(testing::FileSize(path_), 1'000'000);
  ExpectNoCanaryOnDisk("after checkpoint and close");

  // The data is really there: the canaries read back through the store.
  ASSERT_OK_AND_ASSIGN(db, Database::Open(path_, KeySource::Passcode("pin"), Options(0)));
  ASSERT_OK_AND_ASSIGN(auto count, db->Prepare("SELECT count(*) FROM contact WHERE tag = ?"));
  ASSERT_THAT(count.BindText(1, canaries_[17]), IsOk());
  ASSERT_OK_AND_ASSIGN(bool has_row, count.Step());
  ASSERT_TRUE(has_row);
  EXPECT_EQ(count.ColumnInt64(0), kRows / kCanaries);
}

TEST_F(CanaryTest, LeakAttemptsAreRefusedOrStayInMemory) {
  OpenOptions options = Options(1000);
  options.cache_size_kib = 256;  // far below the ~4 MB sorted, so a sort would spill if it could
  ASSERT_OK_AND_ASSIGN(auto db, Database::Create(path_, KeySource::Passcode("pin"), options));
  WriteCanaryRows(*db);

  // A rollback journal would hold plaintext pages: refused by the VFS, mode unchanged.
  for (const char* mode : {"DELETE", "TRUNCATE", "PERSIST", "OFF", "MEMORY"}) {
    EXPECT_THAT(db->Exec(std::string("PRAGMA journal_mode=") + mode),
                StatusIs(StatusCode::kFailedPrecondition))
        << mode;
  }
  EXPECT_THAT(db->Exec("PRAGMA temp_store=FILE"), StatusIs(StatusCode::kFailedPrecondition));
  EXPECT_THAT(db->Exec("PRAGMA mmap_size=1000000"), StatusIs(StatusCode::kFailedPrecondition));
  {
    ASSERT_OK_AND_ASSIGN(auto mode, db->Prepare("PRAGMA journal_mode"));
    ASSERT_OK_AND_ASSIGN(bool has_mode, mode.Step());
    ASSERT_TRUE(has_mode);
    EXPECT_EQ(mode.ColumnText(0), "wal");
  }

  // A sort far larger than the page cache: stays in memory (temp_store=MEMORY). Had SQLite
  // tried a spill file, the VFS would have refused it and the query failed.
  {
    ASSERT_OK_AND_ASSIGN(auto sort,
                         db->Prepare("SELECT note FROM contact ORDER BY substr(note, 30) || id"));
    int sorted = 0;
    while (true) {
      ASSERT_OK_AND_ASSIGN(bool has_row, sort.Step());
      if (!has_row) break;
      ++sorted;
    }
    EXPECT_EQ(sorted, kRows);
  }

  // VACUUM rebuilds through an in-memory temp database and writes back through the WAL.
  ASSERT_THAT(db->Exec("DELETE FROM contact WHERE id % 2 = 0"), IsOk());
  ASSERT_THAT(db->Exec("VACUUM"), IsOk());

  // ATTACH of a second file, or a copy by VACUUM INTO: refused, also when a URI names another
  // VFS to get past the encrypting one.
  for (const std::string& target :
       {dir_.File("second.db"), "file:" + dir_.File("second.db") + "?vfs=unix",
        "file:" + dir_.File("second.db") + "?vfs=unix-none"}) {
    EXPECT_THAT(db->Exec("ATTACH '" + target + "' AS second"),
                StatusIs(StatusCode::kFailedPrecondition))
        << target;
    EXPECT_THAT(db->Exec("VACUUM INTO '" + target + "'"), StatusIs(StatusCode::kFailedPrecondition))
        << target;
  }
  // An in-memory attachment is harmless and still works.
  ASSERT_THAT(db->Exec("ATTACH ':memory:' AS scratch; DETACH scratch;"), IsOk());

  EXPECT_EQ(testing::FilesIn(dir_.path()),
            (std::vector<std::string>{"field.db", "field.db-shm", "field.db-wal", "field.db.key"}));
  ExpectNoCanaryOnDisk("after leak attempts, WAL open");
  ASSERT_THAT(db->Checkpoint(), IsOk());
  ASSERT_OK_AND_ASSIGN(std::string check, db->IntegrityCheck());
  EXPECT_EQ(check, "ok");
  db.reset();
  ExpectNoCanaryOnDisk("after leak attempts and close");
}

}  // namespace
}  // namespace outreach::storage
