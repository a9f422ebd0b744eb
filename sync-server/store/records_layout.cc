#include "sync-server/store/records_layout.h"

#include <string>
#include <vector>

#include "core/storage/database.h"
#include "core/storage/transaction.h"

namespace outreach::server {
namespace {

constexpr const char* kAsideName = "records_with_sequence_index";

constexpr const char* kMoveRows = R"sql(
INSERT INTO records(rowid, id, team_id, collection, sequence, conflicts, state)
  SELECT rowid, id, team_id, collection, sequence, conflicts, state
  FROM records_with_sequence_index ORDER BY rowid;
DROP TABLE records_with_sequence_index;
)sql";

Result<bool> HasSequenceIndex(storage::Database& db) {
  OUTREACH_ASSIGN_OR_RETURN(
      storage::Statement select,
      db.Prepare("SELECT count(*) FROM pragma_index_list('records') AS list, "
                 "pragma_index_info(list.name) AS info "
                 "WHERE list.origin = 'u' AND info.name = 'sequence'"));
  OUTREACH_ASSIGN_OR_RETURN(bool found, select.Step());
  return found && select.ColumnInt64(0) > 0;
}

// The indexes made by CREATE INDEX (not those of constraints, which go with their table).
Result<std::vector<std::string>> CreatedIndexes(storage::Database& db) {
  OUTREACH_ASSIGN_OR_RETURN(
      storage::Statement select,
      db.Prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'records' "
                 "AND sql IS NOT NULL"));
  std::vector<std::string> names;
  while (true) {
    OUTREACH_ASSIGN_OR_RETURN(bool row, select.Step());
    if (!row) return names;
    names.emplace_back(select.ColumnText(0));
  }
}

Status Move(storage::Database& db, const char* schema_sql) {
  OUTREACH_ASSIGN_OR_RETURN(auto transaction, db.Begin());
  OUTREACH_ASSIGN_OR_RETURN(const auto indexes, CreatedIndexes(db));
  // Each is made again on the new table by `schema_sql` (an index left on the table set aside
  // would keep its name, and the new table would go without it).
  for (const std::string& index : indexes) {
    OUTREACH_RETURN_IF_ERROR(db.Exec("DROP INDEX \"" + index + "\""));
  }
  OUTREACH_RETURN_IF_ERROR(db.Exec(std::string("ALTER TABLE records RENAME TO ") + kAsideName));
  OUTREACH_RETURN_IF_ERROR(db.Exec(schema_sql));
  OUTREACH_RETURN_IF_ERROR(db.Exec(kMoveRows));
  return transaction.Commit();
}

}  // namespace

Status MoveRecordsToCurrentLayout(storage::Database& db, const char* schema_sql) {
  OUTREACH_ASSIGN_OR_RETURN(bool has_index, HasSequenceIndex(db));
  if (!has_index) return Status::Ok();
  OUTREACH_RETURN_IF_ERROR(db.SetSecureDelete(storage::SecureDelete::kZeroedInPlace));
  const Status moved = Move(db, schema_sql);
  const Status restored = db.SetSecureDelete(storage::SecureDelete::kZeroed);
  return moved.ok() ? restored : moved;
}

}  // namespace outreach::server
