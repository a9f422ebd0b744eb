// The server store's layout across versions: a store made before records.sequence lost its
// UNIQUE index is moved when it is opened, keeping every record as it was, and devices go on
// from the cursors they hold.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <tuple>

#include "core/storage/database.h"
#include "core/storage/key_source.h"
#include "tests/sync-server/sync_fixture.h"
#include "tests/testing/status_matchers.h"

namespace outreach::server::testing {
namespace {

using model::Json;
using ::outreach::testing::IsOk;

// The records table as stores made before this layout declared it, with every row kept (under
// other rowids, so a move that did not keep them would show).
constexpr const char* kMakeLayoutWithSequenceIndex = R"sql(
BEGIN;
DROP INDEX records_by_team;
DROP INDEX records_in_conflict;
ALTER TABLE records RENAME TO records_now;
CREATE TABLE records(
  id TEXT PRIMARY KEY, team_id TEXT NOT NULL, collection TEXT NOT NULL,
  sequence INTEGER NOT NULL UNIQUE, conflicts INTEGER NOT NULL, state BLOB NOT NULL);
CREATE INDEX records_by_team ON records(team_id, sequence);
CREATE INDEX records_in_conflict ON records(sequence) WHERE conflicts > 0;
INSERT INTO records(rowid, id, team_id, collection, sequence, conflicts, state)
  SELECT rowid * 7, id, team_id, collection, sequence, conflicts, state FROM records_now;
DROP TABLE records_now;
COMMIT;
)sql";

// rowid, team, collection, sequence, conflicts and stored state of each record, by id.
using RecordRows = std::map<std::string, std::tuple<std::int64_t, std::string, std::string,
                                                    std::int64_t, std::int64_t, std::string>>;

class StoreLayoutTest : public TeammatesFixture {
 protected:
  std::unique_ptr<storage::Database> OpenStoreFile() {
    auto db = storage::Database::Open(server_->store_path(),
                                      storage::KeySource::RawKey(server_->key()));
    EXPECT_THAT(db.status(), IsOk());
    return db.ok() ? *std::move(db) : nullptr;
  }

  static std::int64_t Count(storage::Database& db, const std::string& sql) {
    auto select = db.Prepare(sql);
    EXPECT_THAT(select.status(), IsOk());
    if (!select.ok()) return -1;
    auto row = select->Step();
    return row.ok() && *row ? select->ColumnInt64(0) : -1;
  }

  // Sequences repeated: a pull's `sequence > cursor` would skip a record for every device.
  static std::int64_t RepeatedSequences(storage::Database& db) {
    return Count(db, "SELECT count(*) FROM (SELECT sequence FROM records GROUP BY sequence "
                     "HAVING count(*) > 1)");
  }

  static std::int64_t UniqueIndexes(storage::Database& db) {
    return Count(db, "SELECT count(*) FROM pragma_index_list('records') WHERE origin = 'u'");
  }

  static RecordRows Rows(storage::Database& db) {
    RecordRows rows;
    auto select = db.Prepare(
        "SELECT id, rowid, team_id, collection, sequence, conflicts, state FROM records");
    EXPECT_THAT(select.status(), IsOk());
    while (select.ok()) {
      auto row = select->Step();
      if (!row.ok() || !*row) break;
      const auto blob = select->ColumnBlob(6);
      rows[std::string(select->ColumnText(0))] = {
          select->ColumnInt64(1), std::string(select->ColumnText(2)),
          std::string(select->ColumnText(3)), select->ColumnInt64(4), select->ColumnInt64(5),
          std::string(reinterpret_cast<const char*>(blob.data()), blob.size())};
    }
    return rows;
  }
};

TEST_F(StoreLayoutTest, ANewStoreHasNoIndexOnSequenceAlone) {
  server_->CloseStore();
  auto db = OpenStoreFile();
  ASSERT_NE(db, nullptr);
  EXPECT_EQ(UniqueIndexes(*db), 0);
  EXPECT_EQ(Count(*db, "SELECT count(*) FROM pragma_index_list('records') WHERE origin = 'c'"), 2)
      << "records_by_team and records_in_conflict";
}

TEST_F(StoreLayoutTest, AStoreWithTheSequenceIndexIsMovedOnOpenKeepingEveryRecord) {
  const auto ids = CreateYoungPeople(*ana_, {"Skye", "Rowan", "Ash", "Jo"});
  ASSERT_EQ(ids.size(), 4u);
  Synced(*ana_);
  ASSERT_EQ(Synced(*ben_).pulled.size(), 4u);

  server_->CloseStore();
  RecordRows before;
  {
    auto db = OpenStoreFile();
    ASSERT_NE(db, nullptr);
    ASSERT_THAT(db->Exec(kMakeLayoutWithSequenceIndex), IsOk());
    ASSERT_EQ(UniqueIndexes(*db), 1) << "the store now has the earlier layout";
    before = Rows(*db);
    ASSERT_EQ(before.size(), 4u);
  }
  ASSERT_THAT(server_->ReopenStore(), IsOk());
  ana_->Reconnect(&server_->service());
  ben_->Reconnect(&server_->service());

  // Records change and are made after the move: Ben gets exactly those from his cursor.
  ASSERT_THAT(ana_->replica().Update(ids[1], Json{{"known_as", "Rowan B"}}), IsOk());
  const auto added = CreateYoungPeople(*ana_, {"Kit"});
  ASSERT_EQ(added.size(), 1u);
  Synced(*ana_);
  const SyncRound round = Synced(*ben_);
  std::multiset<std::string> pulled;
  for (const auto& state : round.pulled) pulled.insert(state.id);
  EXPECT_EQ(pulled, (std::multiset<std::string>{ids[1], added[0]}));
  ExpectSameRecord(*ana_, *ben_, ids[1]);
  ExpectSameRecord(*ana_, *ben_, added[0]);

  server_->CloseStore();
  {
    auto db = OpenStoreFile();
    ASSERT_NE(db, nullptr);
    EXPECT_EQ(UniqueIndexes(*db), 0);
    EXPECT_EQ(Count(*db, "SELECT count(*) FROM sqlite_master WHERE name = "
                         "'records_with_sequence_index'"),
              0);
    EXPECT_EQ(Count(*db, "SELECT count(*) FROM pragma_index_list('records') WHERE origin = 'c'"),
              2);
    const RecordRows after = Rows(*db);
    EXPECT_EQ(after.size(), 5u);
    EXPECT_EQ(RepeatedSequences(*db), 0);
    for (const std::string& unchanged : {ids[0], ids[2], ids[3]}) {
      ASSERT_EQ(after.count(unchanged), 1u) << unchanged;
      EXPECT_EQ(after.at(unchanged), before.at(unchanged)) << unchanged;
    }
    EXPECT_GT(std::get<3>(after.at(ids[1])), std::get<3>(before.at(ids[1])))
        << "the edited record moved to a later sequence";
    auto integrity = db->Prepare("PRAGMA integrity_check");
    ASSERT_THAT(integrity.status(), IsOk());
    ASSERT_TRUE(*integrity->Step());
    EXPECT_EQ(integrity->ColumnText(0), "ok");
  }
  ASSERT_THAT(server_->ReopenStore(), IsOk());
  ben_->Reconnect(&server_->service());
  EXPECT_EQ(Synced(*ben_).pulled.size(), 0u) << "nothing new, nothing repeated";
}

// A store that cannot be moved when opened (here a table already has the name the move sets
// the old one aside under) opens as it was and serves; the next open moves it.
TEST_F(StoreLayoutTest, AStoreThatCannotBeMovedOpensAsItWasAndIsMovedLater) {
  const auto ids = CreateYoungPeople(*ana_, {"Skye", "Rowan"});
  ASSERT_EQ(ids.size(), 2u);
  Synced(*ana_);
  server_->CloseStore();
  RecordRows before;
  {
    auto db = OpenStoreFile();
    ASSERT_NE(db, nullptr);
    ASSERT_THAT(db->Exec(kMakeLayoutWithSequenceIndex), IsOk());
    ASSERT_THAT(db->Exec("CREATE TABLE records_with_sequence_index(x)"), IsOk());
    before = Rows(*db);
  }
  ASSERT_THAT(server_->ReopenStore(), IsOk());
  ben_->Reconnect(&server_->service());
  EXPECT_EQ(Synced(*ben_).pulled.size(), 2u) << "it serves";
  server_->CloseStore();
  {
    auto db = OpenStoreFile();
    ASSERT_NE(db, nullptr);
    EXPECT_EQ(UniqueIndexes(*db), 1) << "left as it was";
    EXPECT_EQ(Rows(*db), before);
    ASSERT_THAT(db->Exec("DROP TABLE records_with_sequence_index"), IsOk());
  }
  ASSERT_THAT(server_->ReopenStore(), IsOk());
  server_->CloseStore();
  auto db = OpenStoreFile();
  ASSERT_NE(db, nullptr);
  EXPECT_EQ(UniqueIndexes(*db), 0) << "moved at the next open";
  EXPECT_EQ(Rows(*db), before);
}

}  // namespace
}  // namespace outreach::server::testing
