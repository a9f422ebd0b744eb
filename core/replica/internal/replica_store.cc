#include "core/replica/internal/replica_store.h"

#include "core/protocol/binary_codec.h"
#include "core/storage/database.h"

namespace outreach::replica::detail {
namespace {

constexpr const char* kSchemaSql = R"sql(
CREATE TABLE IF NOT EXISTS replica_meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS local_view(
  record_id TEXT NOT NULL UNIQUE, collection TEXT NOT NULL, deleted INTEGER NOT NULL,
  state BLOB);
CREATE INDEX IF NOT EXISTS local_view_by_collection ON local_view(collection, deleted);
CREATE TABLE IF NOT EXISTS pending_base(record_id TEXT NOT NULL UNIQUE, state BLOB);
CREATE TABLE IF NOT EXISTS outbox(
  seq INTEGER PRIMARY KEY, change_id TEXT NOT NULL UNIQUE,
  record_id TEXT NOT NULL, change BLOB NOT NULL,
  status TEXT NOT NULL DEFAULT 'pending', reason TEXT NOT NULL DEFAULT '');
CREATE INDEX IF NOT EXISTS outbox_by_record ON outbox(record_id, seq);
CREATE INDEX IF NOT EXISTS outbox_pending ON outbox(seq) WHERE status = 'pending';
CREATE INDEX IF NOT EXISTS outbox_rejected ON outbox(seq) WHERE status = 'rejected';
)sql";

// Rows of about 1-2 KB live in rowid tables: in a WITHOUT ROWID table (an index b-tree) a row
// over ~1,000 bytes spills into an overflow page of its own, a mostly empty page sealed and
// written per record; a rowid table keeps rows up to ~4 KB inline, several to a page. States
// and changes are stored in the protocol's binary archive (as the server stores them): a third
// of the JSON's size and several times cheaper to write and read.
//
// The outbox's counts by status (every sync's start, the status screen) read the partial
// indexes outbox_pending and outbox_rejected, a row id per change: counting in the table read
// and decrypted every stored change (some 100 MB for 100,000 pending contacts). Partial, not
// one index on status: given `record_id = ? AND status = 'pending'`, SQLite picked an index on
// status over outbox_by_record and walked every pending change for one record. A database
// made before them gains them when opened (CREATE INDEX IF NOT EXISTS, no layout change).
// The price: a write's commit seals one more page (the last leaf of outbox_pending), about 5%
// of a local create (merge_bench replica.create, before layout 5: ratio 1.45 -> 1.50); a
// counter kept in replica_meta would cost the same page, since local writes no longer save
// the clock there.
//
// Each record is stored once, in its view row (layout 3). Its confirmed state is kept apart,
// in pending_base, only while it has pending changes: a pulled record is one row, and a push
// the server accepts only drops the pending_base row (the view already is the new confirmed
// state), where layout 2 copied every pushed state into a confirmed table and rewrote the view.
// (`local_view.state` is declared nullable because layout 2 stored NULL there; it is never
// NULL from layout 3 on.)
//
// And its values are stored once, in its state (layout 5). Up to layout 4 a view row also
// held them as JSON text (`vals`), for queries to read: a contact's row came to ~2.9 KB
// (state ~1.6 KB, text ~1.3 KB), one row to a 4 KB page, where a row of its state alone fits
// two. Every pulled or saved record then sealed, wrote (WAL and database) and checkpointed a
// whole page; now about half of one. Queries decode the states instead (Replica::Query).

// Stored states and changes changed from JSON to binary in layout 2 (a database of the JSON
// layout is refused by name rather than misread); layout 3 moved the confirmed state into the
// view, and a layout-2 database is moved on open (MigrateFromLayout2). Layout 4 stores states
// packed (protocol 1.3); its states in archive form still read, so a layout-3 database only
// changed its mark on open, and a version that reads layout 3 only refuses layout 4 by name
// rather than failing record by record. Layout 5 drops the views' values column; a database
// of layouts 2 to 4 loses it on open (DropValuesColumn), and an older version refuses layout
// 5 by name.
constexpr const char* kFormatKey = "replica_format";
constexpr const char* kFormat = "5";

// Layout 2 kept every confirmed state in `confirmed` and a view's own state (NULL: none
// pending, the confirmed state) in local_view. Whether a record has pending changes is read
// from the outbox, not from the view: layout 2 also left a view its own state (equal to the
// confirmed one) when the merge refused every pending change. One-off, inside Open's
// transaction.
constexpr const char* kMigrateFromLayout2 = R"sql(
INSERT INTO pending_base(record_id, state)
  SELECT v.record_id, c.state FROM local_view v LEFT JOIN confirmed c ON c.record_id = v.record_id
  WHERE EXISTS (SELECT 1 FROM outbox o WHERE o.record_id = v.record_id AND o.status = 'pending');
UPDATE local_view SET state = (SELECT c.state FROM confirmed c WHERE c.record_id = local_view.record_id)
  WHERE record_id NOT IN (SELECT record_id FROM pending_base);
DROP TABLE confirmed;
)sql";

const char* StatusText(OutboxStatus status) {
  switch (status) {  // no default: a new status is a compile error here (-Wswitch)
    case OutboxStatus::kPending:
      return "pending";
    case OutboxStatus::kRejected:
      return "rejected";
  }
  return "rejected";  // not reached
}

// The outbox's count of one status, in its partial index (a literal: Cached keys statements
// by their text's address).
const char* CountSql(OutboxStatus status) {
  switch (status) {  // no default: a new status needs its own index and query (-Wswitch)
    case OutboxStatus::kPending:
      return "SELECT count(*) FROM outbox WHERE status = 'pending'";
    case OutboxStatus::kRejected:
      return "SELECT count(*) FROM outbox WHERE status = 'rejected'";
  }
  return "SELECT count(*) FROM outbox WHERE status = 'rejected'";  // not reached
}

std::span<const std::uint8_t> AsBytes(std::string_view bytes) {
  return {reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()};
}

std::string_view AsText(std::span<const std::uint8_t> bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

Result<model::Change> DecodeStoredChange(std::span<const std::uint8_t> bytes) {
  auto change = protocol::DecodeChange(AsText(bytes));
  if (!change.ok()) return CorruptError("a stored change does not decode");
  return change;
}

}  // namespace

Result<std::unique_ptr<ReplicaStore>> ReplicaStore::Open(storage::Database* db) {
  // One transaction: a kill between creating the tables and writing the layout would otherwise
  // leave tables without a layout, which the next open would refuse as an older layout.
  OUTREACH_ASSIGN_OR_RETURN(auto txn, db->Begin());
  OUTREACH_ASSIGN_OR_RETURN(auto probe, db->Prepare(
      "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'replica_meta'"));
  OUTREACH_RETURN_IF_ERROR(probe.Step().status());
  const bool existed = probe.ColumnInt64(0) > 0;
  OUTREACH_RETURN_IF_ERROR(probe.Reset());
  OUTREACH_RETURN_IF_ERROR(db->Exec(kSchemaSql));
  auto store = std::unique_ptr<ReplicaStore>(new ReplicaStore(db));
  OUTREACH_ASSIGN_OR_RETURN(auto format, store->GetMeta(kFormatKey));
  if (!format.has_value() && !existed) {
    OUTREACH_RETURN_IF_ERROR(store->SetMeta(kFormatKey, kFormat));
  } else if (format == std::optional<std::string>("2")) {
    OUTREACH_RETURN_IF_ERROR(store->MigrateFromLayout2());
  } else if (format == std::optional<std::string>("3") ||
             format == std::optional<std::string>("4")) {
    OUTREACH_RETURN_IF_ERROR(store->DropValuesColumn());
  } else if (format.value_or("1") != kFormat) {
    return FailedPreconditionError("the device's records are in layout " + format.value_or("1") +
                                   "; this version reads layouts 2 to " + kFormat +
                                   " only: sync with the old version, then wipe and enrol again");
  }
  OUTREACH_RETURN_IF_ERROR(txn.Commit());
  return store;
}

Result<storage::Transaction> ReplicaStore::Begin() {
  if (zeroing_to_restore_) {
    OUTREACH_RETURN_IF_ERROR(db_->SetSecureDelete(storage::SecureDelete::kZeroed));
    zeroing_to_restore_ = false;
  }
  return db_->Begin();
}

ReplicaStore::FreedPagesKept::FreedPagesKept(ReplicaStore* store) : store_(store) {
  // Only speed depends on it: if it fails, deletes go on zeroing what they free.
  (void)store_->db_->SetSecureDelete(storage::SecureDelete::kZeroedInPlace);
}

ReplicaStore::FreedPagesKept::~FreedPagesKept() {
  store_->zeroing_to_restore_ =
      !store_->db_->SetSecureDelete(storage::SecureDelete::kZeroed).ok();
}

Result<ReplicaStore::CachedStatement> ReplicaStore::Cached(const char* sql) {
  auto found = statements_.find(sql);
  if (found == statements_.end()) {
    OUTREACH_ASSIGN_OR_RETURN(storage::Statement statement, db_->Prepare(sql));
    found = statements_.emplace(sql, std::move(statement)).first;
  }
  return CachedStatement(&found->second);
}

Status ReplicaStore::DropValuesColumn() {
  // Only where it is there: a database made by this version and marked an older layout (as
  // the tests make them) has none.
  OUTREACH_ASSIGN_OR_RETURN(
      auto probe, db_->Prepare("SELECT count(*) FROM pragma_table_info('local_view') "
                               "WHERE name = 'vals'"));
  OUTREACH_RETURN_IF_ERROR(probe.Step().status());
  const bool present = probe.ColumnInt64(0) > 0;
  OUTREACH_RETURN_IF_ERROR(probe.Reset());
  if (present) OUTREACH_RETURN_IF_ERROR(db_->Exec("ALTER TABLE local_view DROP COLUMN vals"));
  return SetMeta(kFormatKey, kFormat);
}

Status ReplicaStore::MigrateFromLayout2() {
  OUTREACH_RETURN_IF_ERROR(db_->Exec(kMigrateFromLayout2));
  OUTREACH_ASSIGN_OR_RETURN(auto orphans,
                            db_->Prepare("SELECT count(*) FROM local_view WHERE state IS NULL"));
  OUTREACH_RETURN_IF_ERROR(orphans.Step().status());
  if (orphans.ColumnInt64(0) != 0) {
    return CorruptError("a layout-2 view has neither a state of its own nor a confirmed state");
  }
  return DropValuesColumn();
}

Result<std::optional<model::RecordState>> ReplicaStore::DecodeStored(
    const std::optional<std::string>& stored) {
  if (!stored.has_value()) return std::optional<model::RecordState>();
  auto state = protocol::DecodeRecordState(*stored);
  if (!state.ok()) return CorruptError("a stored record state does not decode");
  return std::optional<model::RecordState>(*std::move(state));
}

Result<std::optional<std::string>> ReplicaStore::LoadViewBytes(std::string_view record_id) {
  OUTREACH_ASSIGN_OR_RETURN(CachedStatement view,
                            Cached("SELECT state FROM local_view WHERE record_id = ?"));
  OUTREACH_RETURN_IF_ERROR(view->BindText(1, record_id));
  OUTREACH_ASSIGN_OR_RETURN(const bool found, view->Step());
  if (!found) return std::optional<std::string>();
  if (view->ColumnIsNull(0)) return CorruptError("a stored view has no state");
  return std::optional<std::string>(AsText(view->ColumnBlob(0)));
}

Result<std::optional<model::RecordState>> ReplicaStore::LoadView(std::string_view record_id) {
  OUTREACH_ASSIGN_OR_RETURN(auto stored, LoadViewBytes(record_id));
  return DecodeStored(stored);
}

Result<std::optional<model::RecordState>> ReplicaStore::LoadConfirmed(std::string_view record_id) {
  OUTREACH_ASSIGN_OR_RETURN(auto stored, LoadConfirmedBytes(record_id));
  return DecodeStored(stored);
}

Result<std::optional<std::string>> ReplicaStore::LoadConfirmedBytes(std::string_view record_id) {
  {
    OUTREACH_ASSIGN_OR_RETURN(CachedStatement base,
                              Cached("SELECT state FROM pending_base WHERE record_id = ?"));
    OUTREACH_RETURN_IF_ERROR(base->BindText(1, record_id));
    OUTREACH_ASSIGN_OR_RETURN(const bool found, base->Step());
    if (found) {
      if (base->ColumnIsNull(0)) return std::optional<std::string>();  // never confirmed
      return std::optional<std::string>(AsText(base->ColumnBlob(0)));
    }
  }
  return LoadViewBytes(record_id);  // nothing pending: the view is the confirmed state
}

Result<bool> ReplicaStore::HasPendingBase(std::string_view record_id) {
  OUTREACH_ASSIGN_OR_RETURN(CachedStatement select,
                            Cached("SELECT 1 FROM pending_base WHERE record_id = ?"));
  OUTREACH_RETURN_IF_ERROR(select->BindText(1, record_id));
  return select->Step();
}

Status ReplicaStore::SaveView(const model::RecordState& state, bool deleted,
                              std::string_view encoded_state) {
  if (!encoded_state.empty()) {
    return SaveViewRow(state.id, state.collection, deleted, encoded_state);
  }
  return SaveViewRow(state.id, state.collection, deleted, protocol::EncodeRecordState(state));
}

Status ReplicaStore::SaveViewRow(std::string_view record_id, std::string_view collection,
                                 bool deleted, std::string_view encoded_state) {
  // Updated in place, not replaced: REPLACE deletes the row and inserts it again at the end
  // of the table with a new rowid, so a change of one record dirtied its old leaf, the last
  // leaf and its index entries (each a whole sealed page) instead of its own leaf alone. The
  // indexed columns are left out of the SET (a column named there rewrites its index entries);
  // when they do change (a delete or restore), the update is skipped and made in full below.
  OUTREACH_ASSIGN_OR_RETURN(
      CachedStatement upsert,
      Cached("INSERT INTO local_view(record_id, collection, deleted, state) VALUES "
             "(?, ?, ?, ?) ON CONFLICT(record_id) DO UPDATE SET state = excluded.state "
             "WHERE local_view.collection = excluded.collection AND "
             "local_view.deleted = excluded.deleted"));
  const auto bind = [&](storage::Statement& statement) -> Status {
    OUTREACH_RETURN_IF_ERROR(statement.BindText(1, record_id));
    OUTREACH_RETURN_IF_ERROR(statement.BindText(2, collection));
    OUTREACH_RETURN_IF_ERROR(statement.BindInt64(3, deleted ? 1 : 0));
    return statement.BindBlob(4, AsBytes(encoded_state));
  };
  OUTREACH_RETURN_IF_ERROR(bind(*upsert));
  OUTREACH_RETURN_IF_ERROR(upsert->Run());
  if (db_->LastChanges() > 0) return Status::Ok();
  OUTREACH_ASSIGN_OR_RETURN(CachedStatement update,
                            Cached("UPDATE local_view SET collection = ?2, deleted = ?3, "
                                   "state = ?4 WHERE record_id = ?1"));
  OUTREACH_RETURN_IF_ERROR(bind(*update));
  return update->Run();
}

Status ReplicaStore::SavePendingBase(std::string_view record_id,
                                     const model::RecordState* confirmed) {
  OUTREACH_ASSIGN_OR_RETURN(CachedStatement upsert,
                            Cached("INSERT INTO pending_base(record_id, state) VALUES (?, ?) "
                                   "ON CONFLICT(record_id) DO UPDATE SET state = excluded.state"));
  OUTREACH_RETURN_IF_ERROR(upsert->BindText(1, record_id));
  if (confirmed == nullptr) {
    OUTREACH_RETURN_IF_ERROR(upsert->BindNull(2));
  } else {
    OUTREACH_RETURN_IF_ERROR(upsert->BindBlob(2, AsBytes(protocol::EncodeRecordState(*confirmed))));
  }
  return upsert->Run();
}

Status ReplicaStore::KeepViewAsPendingBase(std::string_view record_id) {
  OUTREACH_ASSIGN_OR_RETURN(const bool kept, HasPendingBase(record_id));
  if (kept) return Status::Ok();
  // Read, then written with VALUES, like every copy here: an INSERT ... SELECT needs a
  // statement journal, which inside a savepoint SQLite truncates by walking it from its start
  // at every statement's end (quadratic over a transaction's copies).
  std::optional<std::string> state;
  {
    OUTREACH_ASSIGN_OR_RETURN(CachedStatement select,
                              Cached("SELECT state FROM local_view WHERE record_id = ?"));
    OUTREACH_RETURN_IF_ERROR(select->BindText(1, record_id));
    OUTREACH_ASSIGN_OR_RETURN(const bool found, select->Step());
    if (found && select->ColumnIsNull(0)) return CorruptError("a stored view has no state");
    if (found) state = std::string(AsText(select->ColumnBlob(0)));
  }
  OUTREACH_ASSIGN_OR_RETURN(CachedStatement insert,
                            Cached("INSERT INTO pending_base(record_id, state) VALUES (?, ?)"));
  OUTREACH_RETURN_IF_ERROR(insert->BindText(1, record_id));
  if (state.has_value()) {
    OUTREACH_RETURN_IF_ERROR(insert->BindBlob(2, AsBytes(*state)));
  } else {
    OUTREACH_RETURN_IF_ERROR(insert->BindNull(2));
  }
  return insert->Run();
}

Result<bool> ReplicaStore::RemovePendingBase(std::string_view record_id) {
  OUTREACH_ASSIGN_OR_RETURN(CachedStatement remove,
                            Cached("DELETE FROM pending_base WHERE record_id = ?"));
  OUTREACH_RETURN_IF_ERROR(remove->BindText(1, record_id));
  OUTREACH_RETURN_IF_ERROR(remove->Run());
  return db_->LastChanges() > 0;
}

Status ReplicaStore::RemoveRecord(std::string_view record_id) {
  OUTREACH_RETURN_IF_ERROR(RemovePendingBase(record_id).status());
  OUTREACH_ASSIGN_OR_RETURN(CachedStatement remove, Cached("DELETE FROM local_view WHERE record_id = ?"));
  OUTREACH_RETURN_IF_ERROR(remove->BindText(1, record_id));
  return remove->Run();
}

Status ReplicaStore::AddToOutbox(const model::Change& change) {
  // Writing order: after every entry, and after every position ever pushed ("pushed_up_to",
  // replica_outbox.cc), so a later change is never taken for one that may have left. This
  // replaces AUTOINCREMENT, whose sqlite_sequence row cost one more sealed page per write.
  OUTREACH_ASSIGN_OR_RETURN(
      CachedStatement insert,
      Cached("INSERT INTO outbox(seq, change_id, record_id, change) VALUES (1 + MAX("
             "COALESCE((SELECT MAX(seq) FROM outbox), 0), COALESCE((SELECT CAST(value AS "
             "INTEGER) FROM replica_meta WHERE key = 'pushed_up_to'), 0)), ?, ?, ?)"));
  OUTREACH_RETURN_IF_ERROR(insert->BindText(1, change.change_id));
  OUTREACH_RETURN_IF_ERROR(insert->BindText(2, change.record_id));
  OUTREACH_RETURN_IF_ERROR(insert->BindBlob(3, AsBytes(protocol::EncodeChange(change))));
  return insert->Run();
}

Result<std::vector<OutboxEntry>> ReplicaStore::LoadOutbox(std::optional<OutboxStatus> status,
                                                          std::string_view record_id,
                                                          std::int64_t limit,
                                                          std::int64_t after_sequence) {
  // One statement per shape, so each can use its index: a single statement with
  // "(?2 = '' OR record_id = ?2)" scans the whole outbox for every record, which made syncing
  // and writing quadratic in the outbox's length.
  const char* sql =
      record_id.empty()
          ? "SELECT seq, change, status, reason FROM outbox WHERE (?1 IS NULL OR status = ?1) "
            "AND ?2 = '' AND seq > ?4 ORDER BY seq LIMIT ?3"
          : "SELECT seq, change, status, reason FROM outbox WHERE record_id = ?2 "
            "AND (?1 IS NULL OR status = ?1) AND seq > ?4 ORDER BY seq LIMIT ?3";
  OUTREACH_ASSIGN_OR_RETURN(CachedStatement select, Cached(sql));
  OUTREACH_RETURN_IF_ERROR(select->BindInt64(3, limit));
  OUTREACH_RETURN_IF_ERROR(select->BindInt64(4, after_sequence));
  if (status.has_value()) {
    OUTREACH_RETURN_IF_ERROR(select->BindText(1, StatusText(*status)));
  } else {
    OUTREACH_RETURN_IF_ERROR(select->BindNull(1));
  }
  OUTREACH_RETURN_IF_ERROR(select->BindText(2, record_id));
  std::vector<OutboxEntry> entries;
  while (true) {
    OUTREACH_ASSIGN_OR_RETURN(bool has_row, select->Step());
    if (!has_row) break;
    OUTREACH_ASSIGN_OR_RETURN(model::Change change, DecodeStoredChange(select->ColumnBlob(1)));
    entries.push_back(OutboxEntry{select->ColumnInt64(0), std::move(change),
                                  select->ColumnText(2) == "pending" ? OutboxStatus::kPending
                                                                   : OutboxStatus::kRejected,
                                  std::string(select->ColumnText(3))});
  }
  return entries;
}

Result<std::vector<model::Change>> ReplicaStore::LoadPendingHeads(std::string_view record_id) {
  OUTREACH_ASSIGN_OR_RETURN(CachedStatement select,
                            Cached("SELECT change FROM outbox WHERE record_id = ? AND "
                                   "status = 'pending' ORDER BY seq"));
  OUTREACH_RETURN_IF_ERROR(select->BindText(1, record_id));
  std::vector<model::Change> heads;
  while (true) {
    OUTREACH_ASSIGN_OR_RETURN(bool has_row, select->Step());
    if (!has_row) break;
    auto head = protocol::DecodeChangeHead(AsText(select->ColumnBlob(0)));
    if (!head.ok()) return CorruptError("a stored change does not decode");
    heads.push_back(*std::move(head));
  }
  return heads;
}

Result<std::vector<StoredOutboxEntry>> ReplicaStore::LoadPendingEncoded(
    std::int64_t limit, std::int64_t after_sequence) {
  OUTREACH_ASSIGN_OR_RETURN(CachedStatement select,
                            Cached("SELECT seq, change FROM outbox WHERE status = 'pending' "
                                   "AND seq > ? ORDER BY seq LIMIT ?"));
  OUTREACH_RETURN_IF_ERROR(select->BindInt64(1, after_sequence));
  OUTREACH_RETURN_IF_ERROR(select->BindInt64(2, limit));
  std::vector<StoredOutboxEntry> entries;
  while (true) {
    OUTREACH_ASSIGN_OR_RETURN(bool has_row, select->Step());
    if (!has_row) break;
    entries.push_back(StoredOutboxEntry{select->ColumnInt64(0), std::string(AsText(select->ColumnBlob(1)))});
  }
  return entries;
}

Result<std::int64_t> ReplicaStore::CountOutbox(OutboxStatus status) {
  // Counted in the status's partial index (outbox_pending, outbox_rejected: a row id per
  // change), not in the table of stored changes. The status is written into the SQL, not
  // bound: SQLite uses a partial index only where the query's own text implies its WHERE.
  OUTREACH_ASSIGN_OR_RETURN(CachedStatement count, Cached(CountSql(status)));
  OUTREACH_RETURN_IF_ERROR(count->Step().status());
  return count->ColumnInt64(0);
}

Result<std::string> ReplicaStore::OutboxRecord(std::string_view change_id) {
  OUTREACH_ASSIGN_OR_RETURN(CachedStatement select, Cached("SELECT record_id FROM outbox WHERE change_id = ?"));
  OUTREACH_RETURN_IF_ERROR(select->BindText(1, change_id));
  OUTREACH_ASSIGN_OR_RETURN(bool found, select->Step());
  if (!found) return NotFoundError("no change " + std::string(change_id) + " in the outbox");
  return std::string(select->ColumnText(0));
}

Status ReplicaStore::SetOutboxStatus(std::string_view change_id, OutboxStatus status,
                                     std::string_view reason) {
  OUTREACH_ASSIGN_OR_RETURN(CachedStatement update, Cached("UPDATE outbox SET status = ?, reason = ? WHERE change_id = ?"));
  OUTREACH_RETURN_IF_ERROR(update->BindText(1, StatusText(status)));
  OUTREACH_RETURN_IF_ERROR(update->BindText(2, reason));
  OUTREACH_RETURN_IF_ERROR(update->BindText(3, change_id));
  return update->Run();
}

Status ReplicaStore::ReplaceInOutbox(const model::Change& change) {
  OUTREACH_ASSIGN_OR_RETURN(CachedStatement update, Cached("UPDATE outbox SET change = ? WHERE change_id = ?"));
  OUTREACH_RETURN_IF_ERROR(update->BindBlob(1, AsBytes(protocol::EncodeChange(change))));
  OUTREACH_RETURN_IF_ERROR(update->BindText(2, change.change_id));
  return update->Run();
}

Status ReplicaStore::RemoveFromOutbox(std::string_view change_id) {
  OUTREACH_ASSIGN_OR_RETURN(CachedStatement remove, Cached("DELETE FROM outbox WHERE change_id = ?"));
  OUTREACH_RETURN_IF_ERROR(remove->BindText(1, change_id));
  return remove->Run();
}

Result<std::vector<std::string>> ReplicaStore::StoredRecordIds() {
  OUTREACH_ASSIGN_OR_RETURN(auto select, db_->Prepare("SELECT record_id FROM local_view UNION "
                                                      "SELECT record_id FROM pending_base "
                                                      "ORDER BY record_id"));
  std::vector<std::string> ids;
  while (true) {
    OUTREACH_ASSIGN_OR_RETURN(bool has_row, select.Step());
    if (!has_row) break;
    ids.emplace_back(select.ColumnText(0));
  }
  return ids;
}

Result<std::optional<ReplicaStore::ViewColumns>> ReplicaStore::LoadViewColumns(
    std::string_view record_id) {
  OUTREACH_ASSIGN_OR_RETURN(CachedStatement select,
                            Cached("SELECT collection, deleted FROM local_view "
                                   "WHERE record_id = ?"));
  OUTREACH_RETURN_IF_ERROR(select->BindText(1, record_id));
  OUTREACH_ASSIGN_OR_RETURN(bool found, select->Step());
  if (!found) return std::optional<ViewColumns>();
  return std::optional<ViewColumns>(
      ViewColumns{std::string(select->ColumnText(0)), select->ColumnInt64(1) != 0});
}

Result<bool> ReplicaStore::HoldsCollection(std::string_view collection) {
  OUTREACH_ASSIGN_OR_RETURN(auto select,  // rare (a schema reload): not cached
                            db_->Prepare("SELECT 1 FROM local_view WHERE collection = ? LIMIT 1"));
  OUTREACH_RETURN_IF_ERROR(select.BindText(1, collection));
  return select.Step();
}

Status ReplicaStore::ForEachViewState(std::string_view collection, const ViewVisitor& visit) {
  OUTREACH_ASSIGN_OR_RETURN(
      auto select,  // rare: not cached
      db_->Prepare("SELECT record_id, state FROM local_view WHERE collection = ? AND "
                   "deleted = 0 ORDER BY record_id"));
  OUTREACH_RETURN_IF_ERROR(select.BindText(1, collection));
  while (true) {
    OUTREACH_ASSIGN_OR_RETURN(bool has_row, select.Step());
    if (!has_row) break;
    const std::string_view record_id = select.ColumnText(0);
    if (select.ColumnIsNull(1)) {
      return CorruptError("the stored view of record " + std::string(record_id) +
                          " has no state");
    }
    OUTREACH_RETURN_IF_ERROR(visit(record_id, AsText(select.ColumnBlob(1))));
  }
  return Status::Ok();
}

Result<std::optional<model::Version>> ReplicaStore::NewestOutboxVersion() {
  OUTREACH_ASSIGN_OR_RETURN(CachedStatement select, Cached("SELECT change FROM outbox ORDER BY seq DESC LIMIT 1"));
  OUTREACH_ASSIGN_OR_RETURN(bool found, select->Step());
  if (!found) return std::optional<model::Version>();
  OUTREACH_ASSIGN_OR_RETURN(model::Change change, DecodeStoredChange(select->ColumnBlob(0)));
  return std::optional<model::Version>(change.version);
}

Result<std::int64_t> ReplicaStore::LastOutboxSequence() {
  OUTREACH_ASSIGN_OR_RETURN(CachedStatement select, Cached("SELECT COALESCE(MAX(seq), 0) FROM outbox"));
  OUTREACH_ASSIGN_OR_RETURN(bool found, select->Step());
  return found ? select->ColumnInt64(0) : std::int64_t{0};
}

Result<std::optional<std::string>> ReplicaStore::GetMeta(std::string_view key) {
  OUTREACH_ASSIGN_OR_RETURN(CachedStatement select, Cached("SELECT value FROM replica_meta WHERE key = ?"));
  OUTREACH_RETURN_IF_ERROR(select->BindText(1, key));
  OUTREACH_ASSIGN_OR_RETURN(bool found, select->Step());
  if (!found) return std::optional<std::string>();
  return std::optional<std::string>(std::string(select->ColumnText(0)));
}

Status ReplicaStore::SetMeta(std::string_view key, std::string_view value) {
  OUTREACH_ASSIGN_OR_RETURN(CachedStatement upsert, Cached("INSERT INTO replica_meta(key, value) VALUES (?, ?) "
                                   "ON CONFLICT(key) DO UPDATE SET value = excluded.value"));
  OUTREACH_RETURN_IF_ERROR(upsert->BindText(1, key));
  OUTREACH_RETURN_IF_ERROR(upsert->BindText(2, value));
  return upsert->Run();
}

}  // namespace outreach::replica::detail
