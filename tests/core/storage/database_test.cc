// Database: create, reopen, wrong key, change of passcode, wipe, and bad input.
#include "core/storage/database.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>

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

// In one transaction; each row's body is `body`, or "note number <i>" if it is empty.
void InsertRows(Database& db, int count, const std::string& body = "") {
  ASSERT_THAT(db.Exec("CREATE TABLE IF NOT EXISTS notes(id INTEGER PRIMARY KEY, body TEXT)"),
              IsOk());
  ASSERT_OK_AND_ASSIGN(auto txn, db.Begin());
  ASSERT_OK_AND_ASSIGN(auto insert, db.Prepare("INSERT INTO notes(body) VALUES (?)"));
  for (int i = 0; i < count; ++i) {
    ASSERT_THAT(insert.BindText(1, body.empty() ? "note number " + std::to_string(i) : body),
                IsOk());
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

namespace outreach::storage {
namespace {

using ::outreach::testing::IsOk;
using ::outreach::testing::StatusIs;

int CountRows(Database& db) {
  auto count = db.Prepare("SELECT count(*) FROM notes");
  EXPECT_TRUE(count.ok());
  auto has_row = count->Step();
  EXPECT_TRUE(has_row.ok() && *has_row);
  return static_cast<int>(count->ColumnInt64(0));
}

TEST(DatabaseTest, WrongPasscodeIsWrongKeyAndChangesNoFile) {
  testing::TempDir dir;
  const std::string path = dir.File("field.db");
  {
    ASSERT_OK_AND_ASSIGN(auto db, Database::Create(path, KeySource::Passcode("right"), FastOptions()));
    InsertRows(*db, 50);
  }
  const auto before = testing::SnapshotFolder(dir.path());
  EXPECT_THAT(Database::Open(path, KeySource::Passcode("wrong"), FastOptions()),
              StatusIs(StatusCode::kWrongKey));
  EXPECT_THAT(Database::ChangeKey(path, KeySource::Passcode("wrong"), KeySource::Passcode("new"),
                                  KdfParams::FastForTests()),
              StatusIs(StatusCode::kWrongKey));
  EXPECT_EQ(testing::SnapshotFolder(dir.path()), before);
}

TEST(DatabaseTest, ChangePasscodeRewrapsWithoutTouchingData) {
  testing::TempDir dir;
  const std::string path = dir.File("field.db");
  {
    ASSERT_OK_AND_ASSIGN(auto db, Database::Create(path, KeySource::Passcode("old"), FastOptions()));
    InsertRows(*db, 120);
    ASSERT_THAT(db->Checkpoint(), IsOk());
  }
  const auto database_before = testing::ReadFileBytes(path);
  ASSERT_THAT(Database::ChangeKey(path, KeySource::Passcode("old"), KeySource::Passcode("new"),
                                  KdfParams::FastForTests()),
              IsOk());
  EXPECT_EQ(testing::ReadFileBytes(path), database_before) << "rewrap must not re-encrypt pages";
  EXPECT_THAT(Database::Open(path, KeySource::Passcode("old"), FastOptions()),
              StatusIs(StatusCode::kWrongKey));
  ASSERT_OK_AND_ASSIGN(auto db, Database::Open(path, KeySource::Passcode("new"), FastOptions()));
  EXPECT_EQ(CountRows(*db), 120);
  ASSERT_OK_AND_ASSIGN(std::string check, db->IntegrityCheck());
  EXPECT_EQ(check, "ok");
}

TEST(DatabaseTest, PlatformKeystoreKeyUnlocksAndCanReplaceThePasscode) {
  testing::TempDir dir;
  const std::string path = dir.File("field.db");
  std::vector<std::uint8_t> keystore_key(kRawKeySize, 0x5a);
  {
    ASSERT_OK_AND_ASSIGN(auto db, Database::Create(path, KeySource::Passcode("pin"), FastOptions()));
    InsertRows(*db, 10);
  }
  ASSERT_THAT(Database::ChangeKey(path, KeySource::Passcode("pin"), KeySource::RawKey(keystore_key),
                                  KdfParams::FastForTests()),
              IsOk());
  EXPECT_THAT(Database::Open(path, KeySource::Passcode("pin"), FastOptions()),
              StatusIs(StatusCode::kInvalidArgument));
  std::vector<std::uint8_t> other_key(kRawKeySize, 0x11);
  EXPECT_THAT(Database::Open(path, KeySource::RawKey(other_key), FastOptions()),
              StatusIs(StatusCode::kWrongKey));
  ASSERT_OK_AND_ASSIGN(auto db, Database::Open(path, KeySource::RawKey(keystore_key), FastOptions()));
  EXPECT_EQ(CountRows(*db), 10);
}

TEST(DatabaseTest, WipeDestroysKeyAndFiles) {
  testing::TempDir dir;
  const std::string path = dir.File("field.db");
  {
    ASSERT_OK_AND_ASSIGN(auto db, Database::Create(path, KeySource::Passcode("pin"), FastOptions()));
    InsertRows(*db, 30);
  }
  ASSERT_THAT(Database::Wipe(path), IsOk());
  EXPECT_TRUE(testing::FilesIn(dir.path()).empty());
  EXPECT_THAT(Database::Open(path, KeySource::Passcode("pin"), FastOptions()),
              StatusIs(StatusCode::kNotFound));
}

TEST(DatabaseTest, WipeOverwritesTheKeyAndRemovesWalShmAndTemporaryKeys) {
  testing::TempDir dir;
  const std::string path = dir.File("field.db");
  OpenOptions options = FastOptions();
  options.wal_autocheckpoint_pages = 0;
  ASSERT_OK_AND_ASSIGN(auto db, Database::Create(path, KeySource::Passcode("pin"), options));
  InsertRows(*db, 30);
  // A second name for the key file's inode shows what Wipe did to the bytes themselves, and a
  // stray temporary key file stands for an interrupted passcode change.
  const std::string key_path = Database::KeyFilePath(path);
  const std::string witness = dir.File("witness");
  ASSERT_EQ(::link(key_path.c_str(), witness.c_str()), 0);
  const auto key_before = testing::ReadFileBytes(key_path);
  testing::WriteFileBytes(key_path + ".tmp.AbC123", key_before);
  ASSERT_TRUE(std::filesystem::exists(path + "-wal"));

  ASSERT_THAT(Database::Wipe(path), IsOk());
  db.reset();
  const auto key_after = testing::ReadFileBytes(witness);
  ASSERT_EQ(key_after.size(), key_before.size());
  EXPECT_NE(key_after, key_before);
  EXPECT_EQ(testing::FilesIn(dir.path()), std::vector<std::string>{"witness"});
}

TEST(DatabaseTest, TwoConnectionsReadEachOthersWalFrames) {
  // Regression (review of issue 2): a WAL read used the page number this connection had last
  // written at that frame, stale once another connection restarted the WAL.
  testing::TempDir dir;
  const std::string path = dir.File("shared.db");
  OpenOptions options = FastOptions();
  options.wal_autocheckpoint_pages = 0;
  ASSERT_OK_AND_ASSIGN(auto first, Database::Create(path, KeySource::Passcode("pin"), options));
  InsertRows(*first, 200);
  ASSERT_OK_AND_ASSIGN(auto second, Database::Open(path, KeySource::Passcode("pin"), options));
  ASSERT_THAT(second->Checkpoint(), IsOk());
  InsertRows(*second, 400);
  EXPECT_EQ(CountRows(*first), 600);
  InsertRows(*first, 10);
  EXPECT_EQ(CountRows(*second), 610);
  ASSERT_OK_AND_ASSIGN(std::string check, first->IntegrityCheck());
  EXPECT_EQ(check, "ok");
}

TEST(DatabaseTest, WipeWithoutKeyFileLeavesNothingReadable) {
  // Even if only the data files survive (say, a backup copy), without the key nothing opens.
  testing::TempDir dir;
  const std::string path = dir.File("field.db");
  {
    ASSERT_OK_AND_ASSIGN(auto db, Database::Create(path, KeySource::Passcode("pin"), FastOptions()));
    InsertRows(*db, 30);
  }
  const auto database_copy = testing::ReadFileBytes(path);
  ASSERT_THAT(Database::Wipe(path), IsOk());
  testing::WriteFileBytes(path, database_copy);
  EXPECT_THAT(Database::Open(path, KeySource::Passcode("pin"), FastOptions()),
              StatusIs(StatusCode::kInvalidArgument));
}

TEST(DatabaseTest, BadInputIsATypedErrorAndChangesNothing) {
  testing::TempDir dir;
  const std::string path = dir.File("field.db");
  EXPECT_THAT(Database::Create(path, KeySource::Passcode(""), FastOptions()),
              StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(Database::Create(dir.path(), KeySource::Passcode("pin"), FastOptions()),
              StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(Database::Open(dir.path(), KeySource::Passcode("pin"), FastOptions()),
              StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(Database::Create("", KeySource::Passcode("pin"), FastOptions()),
              StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(Database::Create(path, KeySource::RawKey(std::vector<std::uint8_t>(7, 1)),
                               FastOptions()),
              StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(Database::Open(path, KeySource::Passcode("pin"), FastOptions()),
              StatusIs(StatusCode::kNotFound));
  EXPECT_TRUE(testing::FilesIn(dir.path()).empty()) << "failed calls must leave no files";

  {
    ASSERT_OK_AND_ASSIGN(auto db, Database::Create(path, KeySource::Passcode("pin"), FastOptions()));
    InsertRows(*db, 5);
  }
  const auto before = testing::SnapshotFolder(dir.path());
  EXPECT_THAT(Database::Create(path, KeySource::Passcode("pin"), FastOptions()),
              StatusIs(StatusCode::kAlreadyExists));
  EXPECT_THAT(Database::Open(path, KeySource::Passcode(""), FastOptions()),
              StatusIs(StatusCode::kInvalidArgument));
  EXPECT_EQ(testing::SnapshotFolder(dir.path()), before);

  // A truncated key file: corrupt, naming the key file; nothing modified.
  const std::string key_path = Database::KeyFilePath(path);
  auto key_bytes = testing::ReadFileBytes(key_path);
  key_bytes.resize(key_bytes.size() / 2);
  testing::WriteFileBytes(key_path, key_bytes);
  const auto truncated = testing::SnapshotFolder(dir.path());
  auto opened = Database::Open(path, KeySource::Passcode("pin"), FastOptions());
  EXPECT_THAT(opened, StatusIs(StatusCode::kCorrupt));
  EXPECT_NE(opened.status().message().find(key_path), std::string::npos);
  EXPECT_EQ(testing::SnapshotFolder(dir.path()), truncated);
}

TEST(DatabaseTest, PlainSqliteDatabaseIsNotOurs) {
  testing::TempDir dir;
  const std::string path = dir.File("foreign.db");
  {
    sqlite3* plain = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &plain), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(plain, "CREATE TABLE t(x); INSERT INTO t VALUES (1);", nullptr,
                           nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(plain);
  }
  const auto before = testing::SnapshotFolder(dir.path());
  EXPECT_THAT(Database::Open(path, KeySource::Passcode("pin"), FastOptions()),
              StatusIs(StatusCode::kInvalidArgument));
  // Someone else's key file beside it: the pages do not authenticate.
  const std::string other = dir.File("other.db");
  { ASSERT_TRUE(Database::Create(other, KeySource::Passcode("pin"), FastOptions()).ok()); }
  testing::WriteFileBytes(Database::KeyFilePath(path),
                          testing::ReadFileBytes(Database::KeyFilePath(other)));
  EXPECT_THAT(Database::Open(path, KeySource::Passcode("pin"), FastOptions()),
              StatusIs(StatusCode::kCorrupt));
  EXPECT_EQ(testing::ReadFileBytes(path), before.at("foreign.db"));
}

TEST(DatabaseTest, EmptyTextBindsAsEmptyStringNotNull) {
  // Regression (issue 3): an empty std::string_view has a null data(); bound as such, SQLite
  // stored NULL and "WHERE x = ''" matched nothing.
  testing::TempDir dir;
  ASSERT_OK_AND_ASSIGN(auto db, Database::Create(dir.File("t.db"), KeySource::Passcode("pin"),
                                                 FastOptions()));
  ASSERT_OK_AND_ASSIGN(auto select, db->Prepare("SELECT ?1 IS NULL, ?1 = ''"));
  ASSERT_THAT(select.BindText(1, std::string_view()), IsOk());
  ASSERT_OK_AND_ASSIGN(bool has_row, select.Step());
  ASSERT_TRUE(has_row);
  EXPECT_EQ(select.ColumnInt64(0), 0);
  EXPECT_EQ(select.ColumnInt64(1), 1);
}

TEST(DatabaseTest, TransactionRollsBackUnlessCommitted) {
  testing::TempDir dir;
  ASSERT_OK_AND_ASSIGN(auto db, Database::Create(dir.File("t.db"), KeySource::Passcode("pin"),
                                                 FastOptions()));
  InsertRows(*db, 3);
  {
    ASSERT_OK_AND_ASSIGN(auto txn, db->Begin());
    ASSERT_THAT(db->Exec("DELETE FROM notes"), IsOk());
  }
  EXPECT_EQ(CountRows(*db), 3);
  EXPECT_THAT(db->Exec("SELEKT nonsense"), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(db->Exec("INSERT INTO notes(id, body) VALUES (1, 'dup')"),
              StatusIs(StatusCode::kConstraint));
}

}  // namespace
}  // namespace outreach::storage

namespace outreach::storage {
namespace {

using ::outreach::testing::IsOk;

// A caller grouping calls that each take a transaction (a sync page: results, records, cursor)
// gets one commit; an inner rollback undoes only its own part; an outer rollback undoes all.
TEST(DatabaseTest, NestedTransactionsAreSavepoints) {
  testing::TempDir dir;
  ASSERT_OK_AND_ASSIGN(auto db, Database::Create(dir.File("n.db"), KeySource::Passcode("1234"),
                                                 FastOptions()));
  InsertRows(*db, 1);
  {
    ASSERT_OK_AND_ASSIGN(auto outer, db->Begin());
    {
      ASSERT_OK_AND_ASSIGN(auto kept, db->Begin());
      ASSERT_THAT(db->Exec("INSERT INTO notes(body) VALUES ('kept')"), IsOk());
      ASSERT_THAT(kept.Commit(), IsOk());
    }
    {
      ASSERT_OK_AND_ASSIGN(auto undone, db->Begin());
      ASSERT_THAT(db->Exec("INSERT INTO notes(body) VALUES ('undone')"), IsOk());
    }  // rolled back
    ASSERT_THAT(outer.Commit(), IsOk());
  }
  EXPECT_EQ(CountRows(*db), 2);
  {
    ASSERT_OK_AND_ASSIGN(auto outer, db->Begin());
    ASSERT_OK_AND_ASSIGN(auto inner, db->Begin());
    ASSERT_THAT(db->Exec("INSERT INTO notes(body) VALUES ('gone with the outer')"), IsOk());
    ASSERT_THAT(inner.Commit(), IsOk());
  }  // outer rolled back
  EXPECT_EQ(CountRows(*db), 2);
}

std::uintmax_t FileSize(const std::string& path) {
  std::error_code error;
  const auto size = std::filesystem::file_size(path, error);
  return error ? 0 : size;
}

TEST(DatabaseTest, CommitsCheckpointTheWalWhileAnotherConnectionIsOpen) {
  // The server keeps a reader connection open beside its writer. Commits must still copy the
  // WAL into the database as they go: a WAL never checkpointed grows without end, and every
  // page read searches more of its index.
  testing::TempDir dir;
  const std::string path = dir.File("server.db");
  OpenOptions options = FastOptions();
  options.wal_autocheckpoint_pages = 100;
  ASSERT_OK_AND_ASSIGN(auto writer, Database::Create(path, KeySource::Passcode("pin"), options));
  InsertRows(*writer, 1);
  ASSERT_OK_AND_ASSIGN(auto reader, Database::Open(path, KeySource::Passcode("pin"), options));
  EXPECT_EQ(CountRows(*reader), 1);
  for (int batch = 0; batch < 20; ++batch) InsertRows(*writer, 50, std::string(3000, 'x'));
  // 1,000 rows of 3 KB: about 4 MB, far more than 100 pages; most of it is in the database.
  EXPECT_GT(FileSize(path), 2u * 1024 * 1024);
  EXPECT_LT(FileSize(path + "-wal"), 2u * 1024 * 1024);
  EXPECT_EQ(CountRows(*reader), 1001);
}

std::int64_t SecureDeleteMode(Database& db) {
  auto pragma = db.Prepare("PRAGMA secure_delete");
  if (!pragma.ok()) return -1;
  const auto row = pragma->Step();
  if (!row.ok() || !*row) return -1;
  return pragma->ColumnInt64(0);
}

// The WAL bytes a transaction deleting every note writes, after the WAL was emptied.
std::uintmax_t WalBytesOfDeletingEveryNote(Database& db, const std::string& path) {
  EXPECT_THAT(db.Checkpoint(), IsOk());
  EXPECT_EQ(FileSize(path + "-wal"), 0u);
  EXPECT_THAT(db.Exec("DELETE FROM notes"), IsOk());
  return FileSize(path + "-wal");
}

TEST(DatabaseTest, DeletesZeroThePagesTheyFreeUnlessToldToKeepThem) {
  testing::TempDir dir;
  const std::string path = dir.File("device.db");
  ASSERT_OK_AND_ASSIGN(auto db, Database::Create(path, KeySource::Passcode("pin"), FastOptions()));
  EXPECT_EQ(SecureDeleteMode(*db), 1) << "zeroed whatever SQLite was built with";
  // 200 notes of 3 KB: a page each.
  InsertRows(*db, 200, std::string(3000, 'x'));
  const std::uintmax_t zeroed = WalBytesOfDeletingEveryNote(*db, path);
  EXPECT_GT(zeroed, 200u * 4096) << "every freed page written, zeroed";

  InsertRows(*db, 200, std::string(3000, 'y'));
  ASSERT_THAT(db->SetSecureDelete(SecureDelete::kZeroedInPlace), IsOk());
  EXPECT_EQ(SecureDeleteMode(*db), 2);
  const std::uintmax_t kept = WalBytesOfDeletingEveryNote(*db, path);
  EXPECT_LT(kept * 4, zeroed) << "freed pages are left as they were";
  EXPECT_EQ(CountRows(*db), 0);

  ASSERT_THAT(db->SetSecureDelete(SecureDelete::kZeroed), IsOk());
  EXPECT_EQ(SecureDeleteMode(*db), 1);
  ASSERT_OK_AND_ASSIGN(auto reopened,
                       Database::Open(path, KeySource::Passcode("pin"), FastOptions()));
  EXPECT_EQ(SecureDeleteMode(*reopened), 1);
}

}  // namespace
}  // namespace outreach::storage
