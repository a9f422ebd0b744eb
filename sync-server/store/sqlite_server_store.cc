#include "sync-server/store/sqlite_server_store.h"

#include <chrono>
#include <filesystem>
#include <mutex>

#include "core/model/uuid.h"
#include "core/storage/database.h"
#include "core/storage/key_source.h"
#include "core/storage/statement_cache.h"
#include "core/storage/transaction.h"
#include "sync-server/store/records_layout.h"

namespace outreach::server {
namespace {

using storage::StatementCache;

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS teams(id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS users(
  id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, team_id TEXT NOT NULL, role TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS enrolment_codes(
  code_hash TEXT PRIMARY KEY, user_id TEXT NOT NULL, expires_ms INTEGER NOT NULL,
  used_ms INTEGER, device_id TEXT) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS devices(
  id TEXT PRIMARY KEY, name TEXT NOT NULL, user_id TEXT NOT NULL,
  token_hash TEXT NOT NULL UNIQUE, revoked INTEGER NOT NULL DEFAULT 0,
  enrolled_ms INTEGER NOT NULL, last_seen_ms INTEGER NOT NULL DEFAULT 0);
-- `sequence` is unique by construction (drawn from last_sequence by the one writer) and is
-- read through records_by_team: no index of its own, which every change of a record rewrote
-- in two places (records_layout.h).
CREATE TABLE IF NOT EXISTS records(
  id TEXT PRIMARY KEY, team_id TEXT NOT NULL, collection TEXT NOT NULL,
  sequence INTEGER NOT NULL, conflicts INTEGER NOT NULL, state BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS records_by_team ON records(team_id, sequence);
CREATE INDEX IF NOT EXISTS records_in_conflict ON records(sequence) WHERE conflicts > 0;
CREATE TABLE IF NOT EXISTS changes(
  change_id TEXT PRIMARY KEY, record_id TEXT NOT NULL, device_id TEXT NOT NULL,
  outcome INTEGER NOT NULL, reason TEXT NOT NULL) WITHOUT ROWID;
-- The highest reading of each device's pushed changes (ServerStore::StoredReading). A table of
-- its own, made here like the others, so a store from before it needs no migration; a device
-- gets its row at enrolment, so one enrolled before has none: unknown, never a false 0.
CREATE TABLE IF NOT EXISTS device_readings(
  device_id TEXT PRIMARY KEY, physical_ms INTEGER NOT NULL, counter INTEGER NOT NULL)
  WITHOUT ROWID;
INSERT OR IGNORE INTO meta(key, value) VALUES ('last_sequence', '0');
)sql";

// Read by DeviceFromRow, column by column.
#define OUTREACH_SELECT_DEVICES                                                              \
  "SELECT d.id, d.name, d.revoked, d.enrolled_ms, d.last_seen_ms, u.id, u.name, u.team_id, " \
  "t.name, u.role FROM devices d JOIN users u ON u.id = d.user_id "                          \
  "JOIN teams t ON t.id = u.team_id "
constexpr const char* kDeviceById = OUTREACH_SELECT_DEVICES "WHERE d.id = ?";
constexpr const char* kDeviceByToken = OUTREACH_SELECT_DEVICES "WHERE d.token_hash = ?";
constexpr const char* kAllDevices = OUTREACH_SELECT_DEVICES "ORDER BY d.enrolled_ms";
#undef OUTREACH_SELECT_DEVICES

std::string NewId() {
  return model::NewUuidV7(std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count());
}

bool KnownRole(std::string_view role) {
  return role == "worker" || role == "team_leader" || role == "office" || role == "admin";
}

std::span<const std::uint8_t> Bytes(std::string_view text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

std::string BlobText(const storage::Statement& statement, int column) {
  const auto blob = statement.ColumnBlob(column);
  return std::string(reinterpret_cast<const char*>(blob.data()), blob.size());
}

Device DeviceFromRow(const storage::Statement& row) {
  Device device;
  device.id = row.ColumnText(0);
  device.name = row.ColumnText(1);
  device.revoked = row.ColumnInt64(2) != 0;
  device.enrolled_ms = row.ColumnInt64(3);
  device.last_seen_ms = row.ColumnInt64(4);
  device.user = User{std::string(row.ColumnText(5)), std::string(row.ColumnText(6)),
                     std::string(row.ColumnText(7)), std::string(row.ColumnText(8)),
                     std::string(row.ColumnText(9))};
  return device;
}

// A connection with its statements; used by one thread at a time (under `mutex`).
struct Connection {
  std::unique_ptr<storage::Database> db;
  StatementCache statements;
  std::mutex mutex;

  explicit Connection(std::unique_ptr<storage::Database> database)
      : db(std::move(database)), statements(db.get()) {}
};

// Sets the device's last sighting (in `connection`'s transaction, if one is open).
Status Touch(Connection& connection, std::string_view device_id, std::int64_t now_ms) {
  OUTREACH_ASSIGN_OR_RETURN(auto update, connection.statements.Get(
      "UPDATE devices SET last_seen_ms = ? WHERE id = ?"));
  OUTREACH_RETURN_IF_ERROR(update->BindInt64(1, now_ms));
  OUTREACH_RETURN_IF_ERROR(update->BindText(2, device_id));
  return update->Step().status();
}

class SqlitePushTransaction final : public PushTransaction {
 public:
  SqlitePushTransaction(Connection& connection, std::unique_lock<std::mutex> lock,
                        storage::Transaction transaction, std::int64_t last_sequence)
      : connection_(connection),
        lock_(std::move(lock)),
        transaction_(std::move(transaction)),
        last_sequence_(last_sequence) {}

  Result<std::optional<RememberedChange>> FindChange(std::string_view change_id) override {
    OUTREACH_ASSIGN_OR_RETURN(auto select, connection_.statements.Get(
        "SELECT record_id, outcome, reason FROM changes WHERE change_id = ?"));
    OUTREACH_RETURN_IF_ERROR(select->BindText(1, change_id));
    OUTREACH_ASSIGN_OR_RETURN(bool found, select->Step());
    if (!found) return std::optional<RememberedChange>();
    return std::optional<RememberedChange>(
        RememberedChange{std::string(select->ColumnText(0)),
                         static_cast<merge::Outcome>(select->ColumnInt64(1)),
                         std::string(select->ColumnText(2))});
  }

  Result<std::optional<StoredRecord>> LoadRecord(std::string_view record_id) override {
    OUTREACH_ASSIGN_OR_RETURN(auto select, connection_.statements.Get(
        "SELECT team_id, collection, state, conflicts, sequence FROM records WHERE id = ?"));
    OUTREACH_RETURN_IF_ERROR(select->BindText(1, record_id));
    OUTREACH_ASSIGN_OR_RETURN(bool found, select->Step());
    if (!found) return std::optional<StoredRecord>();
    return std::optional<StoredRecord>(StoredRecord{
        std::string(select->ColumnText(0)), std::string(select->ColumnText(1)),
        BlobText(*select, 2), static_cast<int>(select->ColumnInt64(3)), select->ColumnInt64(4)});
  }

  Result<std::int64_t> SaveRecord(std::string_view record_id, const StoredRecord& record) override {
    OUTREACH_ASSIGN_OR_RETURN(auto upsert, connection_.statements.Get(
        "INSERT INTO records(id, team_id, collection, sequence, conflicts, state) "
        "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET "
        "sequence = excluded.sequence, conflicts = excluded.conflicts, state = excluded.state"));
    OUTREACH_RETURN_IF_ERROR(upsert->BindText(1, record_id));
    OUTREACH_RETURN_IF_ERROR(upsert->BindText(2, record.team_id));
    OUTREACH_RETURN_IF_ERROR(upsert->BindText(3, record.collection));
    OUTREACH_RETURN_IF_ERROR(upsert->BindInt64(4, ++last_sequence_));
    OUTREACH_RETURN_IF_ERROR(upsert->BindInt64(5, record.conflicts));
    OUTREACH_RETURN_IF_ERROR(upsert->BindBlob(6, Bytes(record.state)));
    OUTREACH_RETURN_IF_ERROR(upsert->Step().status());
    return last_sequence_;
  }

  Status RememberChange(std::string_view change_id, std::string_view device_id,
                        const RememberedChange& change) override {
    OUTREACH_ASSIGN_OR_RETURN(auto insert, connection_.statements.Get(
        "INSERT INTO changes(change_id, record_id, device_id, outcome, reason) "
        "VALUES (?, ?, ?, ?, ?)"));
    OUTREACH_RETURN_IF_ERROR(insert->BindText(1, change_id));
    OUTREACH_RETURN_IF_ERROR(insert->BindText(2, change.record_id));
    OUTREACH_RETURN_IF_ERROR(insert->BindText(3, device_id));
    OUTREACH_RETURN_IF_ERROR(insert->BindInt64(4, static_cast<std::int64_t>(change.outcome)));
    OUTREACH_RETURN_IF_ERROR(insert->BindText(5, change.reason));
    return insert->Step().status();
  }

  Status RaiseStoredReading(std::string_view device_id, const model::Hlc& reading) override {
    // An update, never an insert: a device without a row has pushed before it was kept.
    OUTREACH_ASSIGN_OR_RETURN(auto update, connection_.statements.Get(
        "UPDATE device_readings SET physical_ms = ?2, counter = ?3 "
        "WHERE device_id = ?1 AND (physical_ms, counter) < (?2, ?3)"));
    OUTREACH_RETURN_IF_ERROR(update->BindText(1, device_id));
    OUTREACH_RETURN_IF_ERROR(update->BindInt64(2, reading.physical_ms));
    OUTREACH_RETURN_IF_ERROR(update->BindInt64(3, reading.counter));
    return update->Step().status();
  }

  Status TouchDevice(std::string_view device_id, std::int64_t now_ms) override {
    return Touch(connection_, device_id, now_ms);
  }

  Status Commit() override {
    OUTREACH_ASSIGN_OR_RETURN(auto update, connection_.statements.Get(
        "UPDATE meta SET value = ? WHERE key = 'last_sequence'"));
    OUTREACH_RETURN_IF_ERROR(update->BindText(1, std::to_string(last_sequence_)));
    OUTREACH_RETURN_IF_ERROR(update->Step().status());
    return transaction_.Commit();
  }

 private:
  Connection& connection_;
  std::unique_lock<std::mutex> lock_;  // released after the transaction ends (declared first)
  storage::Transaction transaction_;
  std::int64_t last_sequence_;
};

class SqliteServerStore final : public ServerStore {
 public:
  using ServerStore::Pull;
  SqliteServerStore(std::unique_ptr<storage::Database> writer,
                    std::unique_ptr<storage::Database> reader, std::string path)
      : writer_(std::move(writer)), reader_(std::move(reader)), path_(std::move(path)) {}

  Result<Team> CreateTeam(std::string_view name) override {
    if (name.empty()) return InvalidArgumentError("a team needs a name");
    OUTREACH_ASSIGN_OR_RETURN(auto lock, LockWriter());
    Team team{NewId(), std::string(name)};
    OUTREACH_ASSIGN_OR_RETURN(auto insert,
                              writer_.statements.Get("INSERT INTO teams(id, name) VALUES (?, ?)"));
    OUTREACH_RETURN_IF_ERROR(insert->BindText(1, team.id));
    OUTREACH_RETURN_IF_ERROR(insert->BindText(2, team.name));
    const Status inserted = insert->Step().status();
    if (inserted.code() == StatusCode::kConstraint) return AlreadyExistsError("team exists");
    OUTREACH_RETURN_IF_ERROR(inserted);
    return team;
  }

  Result<User> CreateUser(std::string_view name, std::string_view team_name,
                          std::string_view role) override {
    if (name.empty()) return InvalidArgumentError("a user needs a name");
    if (!KnownRole(role)) {
      return InvalidArgumentError("role must be worker, team_leader, office or admin");
    }
    OUTREACH_ASSIGN_OR_RETURN(auto lock, LockWriter());
    OUTREACH_ASSIGN_OR_RETURN(auto select,
                              writer_.statements.Get("SELECT id FROM teams WHERE name = ?"));
    OUTREACH_RETURN_IF_ERROR(select->BindText(1, team_name));
    OUTREACH_ASSIGN_OR_RETURN(bool found, select->Step());
    if (!found) return NotFoundError("no such team");
    User user{NewId(), std::string(name), std::string(select->ColumnText(0)),
              std::string(team_name), std::string(role)};
    OUTREACH_ASSIGN_OR_RETURN(auto insert, writer_.statements.Get(
        "INSERT INTO users(id, name, team_id, role) VALUES (?, ?, ?, ?)"));
    OUTREACH_RETURN_IF_ERROR(insert->BindText(1, user.id));
    OUTREACH_RETURN_IF_ERROR(insert->BindText(2, user.name));
    OUTREACH_RETURN_IF_ERROR(insert->BindText(3, user.team_id));
    OUTREACH_RETURN_IF_ERROR(insert->BindText(4, user.role));
    const Status inserted = insert->Step().status();
    if (inserted.code() == StatusCode::kConstraint) return AlreadyExistsError("user exists");
    OUTREACH_RETURN_IF_ERROR(inserted);
    return user;
  }

  Result<User> FindUser(std::string_view name) override {
    std::lock_guard lock(writer_.mutex);  // reads only: whether commits are synced is moot
    OUTREACH_ASSIGN_OR_RETURN(auto select, writer_.statements.Get(
        "SELECT u.id, u.name, u.team_id, t.name, u.role FROM users u "
        "JOIN teams t ON t.id = u.team_id WHERE u.name = ?"));
    OUTREACH_RETURN_IF_ERROR(select->BindText(1, name));
    OUTREACH_ASSIGN_OR_RETURN(bool found, select->Step());
    if (!found) return NotFoundError("no such user");
    return User{std::string(select->ColumnText(0)), std::string(select->ColumnText(1)),
                std::string(select->ColumnText(2)), std::string(select->ColumnText(3)),
                std::string(select->ColumnText(4))};
  }

  Status AddEnrolmentCode(std::string_view user_id, std::string_view code_hash,
                          std::int64_t expires_ms) override {
    OUTREACH_ASSIGN_OR_RETURN(auto lock, LockWriter());
    OUTREACH_ASSIGN_OR_RETURN(auto insert, writer_.statements.Get(
        "INSERT INTO enrolment_codes(code_hash, user_id, expires_ms) VALUES (?, ?, ?)"));
    OUTREACH_RETURN_IF_ERROR(insert->BindText(1, code_hash));
    OUTREACH_RETURN_IF_ERROR(insert->BindText(2, user_id));
    OUTREACH_RETURN_IF_ERROR(insert->BindInt64(3, expires_ms));
    return insert->Step().status();
  }

  Result<Device> Enrol(std::string_view code_hash, std::string_view device_id,
                       std::string_view device_name, std::string_view token_hash,
                       std::int64_t now_ms, std::int64_t retry_window_ms) override {
    OUTREACH_ASSIGN_OR_RETURN(auto lock, LockWriter());
    OUTREACH_ASSIGN_OR_RETURN(auto txn, writer_.db->Begin());
    {
      OUTREACH_ASSIGN_OR_RETURN(auto select, writer_.statements.Get(
          "SELECT user_id, expires_ms, used_ms, device_id FROM enrolment_codes "
          "WHERE code_hash = ?"));
      OUTREACH_RETURN_IF_ERROR(select->BindText(1, code_hash));
      OUTREACH_ASSIGN_OR_RETURN(bool found, select->Step());
      const Status refused = UnauthenticatedError("enrolment code unknown, expired or used");
      if (!found || select->ColumnInt64(1) < now_ms) return refused;
      const std::string user_id(select->ColumnText(0));
      if (!select->ColumnIsNull(2)) {
        // Used: only the same device, retrying soon after, gets a fresh token.
        const bool retry = select->ColumnText(3) == device_id &&
                           now_ms - select->ColumnInt64(2) <= retry_window_ms;
        if (!retry) return refused;
        OUTREACH_ASSIGN_OR_RETURN(auto update, writer_.statements.Get(
            "UPDATE devices SET token_hash = ? WHERE id = ? AND revoked = 0"));
        OUTREACH_RETURN_IF_ERROR(update->BindText(1, token_hash));
        OUTREACH_RETURN_IF_ERROR(update->BindText(2, device_id));
        OUTREACH_RETURN_IF_ERROR(update->Step().status());
      } else {
        OUTREACH_ASSIGN_OR_RETURN(auto use, writer_.statements.Get(
            "UPDATE enrolment_codes SET used_ms = ?, device_id = ? WHERE code_hash = ?"));
        OUTREACH_RETURN_IF_ERROR(use->BindInt64(1, now_ms));
        OUTREACH_RETURN_IF_ERROR(use->BindText(2, device_id));
        OUTREACH_RETURN_IF_ERROR(use->BindText(3, code_hash));
        OUTREACH_RETURN_IF_ERROR(use->Step().status());
        OUTREACH_ASSIGN_OR_RETURN(auto insert, writer_.statements.Get(
            "INSERT INTO devices(id, name, user_id, token_hash, enrolled_ms, last_seen_ms) "
            "VALUES (?, ?, ?, ?, ?, ?)"));
        OUTREACH_RETURN_IF_ERROR(insert->BindText(1, device_id));
        OUTREACH_RETURN_IF_ERROR(insert->BindText(2, device_name));
        OUTREACH_RETURN_IF_ERROR(insert->BindText(3, user_id));
        OUTREACH_RETURN_IF_ERROR(insert->BindText(4, token_hash));
        OUTREACH_RETURN_IF_ERROR(insert->BindInt64(5, now_ms));
        OUTREACH_RETURN_IF_ERROR(insert->BindInt64(6, now_ms));
        const Status inserted = insert->Step().status();
        if (inserted.code() == StatusCode::kConstraint) {
          return AlreadyExistsError("a device with this id is already enrolled");
        }
        OUTREACH_RETURN_IF_ERROR(inserted);
        // Nothing pushed yet: from now on the store knows this device's highest reading.
        OUTREACH_ASSIGN_OR_RETURN(auto readings, writer_.statements.Get(
            "INSERT INTO device_readings(device_id, physical_ms, counter) VALUES (?, 0, 0)"));
        OUTREACH_RETURN_IF_ERROR(readings->BindText(1, device_id));
        OUTREACH_RETURN_IF_ERROR(readings->Step().status());
      }
    }
    OUTREACH_ASSIGN_OR_RETURN(std::optional<Device> device, DeviceWhere(writer_, kDeviceById, device_id));
    if (!device || device->revoked) return UnauthenticatedError("device revoked");
    OUTREACH_RETURN_IF_ERROR(txn.Commit());
    return *device;
  }

  Result<std::optional<Device>> FindDeviceByToken(std::string_view token_hash) override {
    std::lock_guard lock(reader_.mutex);
    return DeviceWhere(reader_, kDeviceByToken, token_hash);
  }

  Status TouchDevice(std::string_view device_id, std::int64_t now_ms) override {
    OUTREACH_ASSIGN_OR_RETURN(auto lock, LockWriter());
    // Its commit is not synced (WAL with synchronous NORMAL): the next synced commit, or the
    // next checkpoint, takes it to disk. Synced, it cost every sync an fsync of its own (a
    // quarter of a no-op sync's time in sync_bench: median 2.0 ms, now 1.45 ms). Every other
    // write of this connection stays synced: each takes the writer through LockWriter, which
    // sets synced commits back should that not have happened here (writer_relaxed_).
    writer_relaxed_ = true;
    OUTREACH_RETURN_IF_ERROR(writer_.db->SetSynchronous(storage::Synchronous::kNormal));
    const Status touched = Touch(writer_, device_id, now_ms);
    if (writer_.db->SetSynchronous(storage::Synchronous::kFull).ok()) writer_relaxed_ = false;
    return touched;
  }

  Status RevokeDevice(std::string_view device_id) override {
    OUTREACH_ASSIGN_OR_RETURN(auto lock, LockWriter());
    OUTREACH_ASSIGN_OR_RETURN(auto update,
                              writer_.statements.Get("UPDATE devices SET revoked = 1 WHERE id = ?"));
    OUTREACH_RETURN_IF_ERROR(update->BindText(1, device_id));
    OUTREACH_RETURN_IF_ERROR(update->Step().status());
    OUTREACH_ASSIGN_OR_RETURN(auto changes, writer_.statements.Get("SELECT changes()"));
    OUTREACH_RETURN_IF_ERROR(changes->Step().status());
    if (changes->ColumnInt64(0) == 0) return NotFoundError("no such device");
    return Status::Ok();
  }

  Result<std::vector<Device>> ListDevices() override {
    std::lock_guard lock(reader_.mutex);
    OUTREACH_ASSIGN_OR_RETURN(auto select, reader_.statements.Get(kAllDevices));
    std::vector<Device> devices;
    while (true) {
      OUTREACH_ASSIGN_OR_RETURN(bool row, select->Step());
      if (!row) break;
      devices.push_back(DeviceFromRow(*select));
    }
    return devices;
  }

  std::unique_ptr<StoreBusy> Busy() override {
    // The writer's connection is the one that copies the WAL in the background.
    struct Held final : StoreBusy {
      storage::CheckpointHold checkpoints;
    };
    auto held = std::make_unique<Held>();
    held->checkpoints = writer_.db->HoldCheckpoints();
    return held;
  }

  Result<std::unique_ptr<PushTransaction>> BeginPush() override {
    OUTREACH_ASSIGN_OR_RETURN(std::unique_lock<std::mutex> lock, LockWriter());
    OUTREACH_ASSIGN_OR_RETURN(auto txn, writer_.db->Begin());
    OUTREACH_ASSIGN_OR_RETURN(auto select, writer_.statements.Get(
        "SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'last_sequence'"));
    OUTREACH_ASSIGN_OR_RETURN(bool found, select->Step());
    if (!found) return CorruptError("server store has no sequence counter");
    const std::int64_t last = select->ColumnInt64(0);
    return std::unique_ptr<PushTransaction>(
        new SqlitePushTransaction(writer_, std::move(lock), std::move(txn), last));
  }

  Result<std::optional<model::Hlc>> StoredReading(std::string_view device_id) override {
    std::lock_guard lock(reader_.mutex);
    OUTREACH_ASSIGN_OR_RETURN(auto select, reader_.statements.Get(
        "SELECT physical_ms, counter FROM device_readings WHERE device_id = ?"));
    OUTREACH_RETURN_IF_ERROR(select->BindText(1, device_id));
    OUTREACH_ASSIGN_OR_RETURN(bool found, select->Step());
    if (!found) return std::optional<model::Hlc>();
    return std::optional<model::Hlc>(model::Hlc{
        select->ColumnInt64(0), static_cast<std::uint32_t>(select->ColumnInt64(1))});
  }

  Result<PullPage> Pull(std::string_view team_id, std::int64_t after, std::size_t limit,
                        const PullSkip& skip, std::size_t most_skipped) override {
    std::lock_guard lock(reader_.mutex);
    if (!skip) return PullRows(team_id, after, limit);
    // A push's answer: most of its page is usually the pushing device's own records, left
    // out. The page is listed from the index alone (room for every record left out besides
    // `limit` sent), and only the states sent are read; one read transaction, so the states
    // are those of the listed sequences.
    OUTREACH_ASSIGN_OR_RETURN(auto snapshot, reader_.db->Begin(storage::TransactionMode::kDeferred));
    std::vector<std::int64_t> rowids;
    OUTREACH_ASSIGN_OR_RETURN(PullPage page,
                              PullRows(team_id, after, limit + most_skipped, &rowids));
    std::vector<PulledRecord> sent;
    OUTREACH_ASSIGN_OR_RETURN(auto state, reader_.statements.Get(
        "SELECT state FROM records WHERE rowid = ?"));
    std::int64_t covered = after;  // the last sequence the page covers, sent or left out
    for (std::size_t i = 0; i < page.records.size(); ++i) {
      PulledRecord& record = page.records[i];
      const bool left_out = skip(record.sequence);
      if (!left_out && sent.size() == limit) {
        // The page is full: it ends before this record, which the next page starts with.
        page.has_more = true;
        page.last_sequence = covered;
        break;
      }
      covered = record.sequence;
      if (left_out) continue;
      OUTREACH_RETURN_IF_ERROR(state->BindInt64(1, rowids[i]));
      OUTREACH_ASSIGN_OR_RETURN(bool found, state->Step());
      if (!found) return CorruptError("record of sequence " + std::to_string(record.sequence) +
                                      " listed but not found");
      record.state = BlobText(*state, 0);
      OUTREACH_RETURN_IF_ERROR(state->Reset());
      sent.push_back(std::move(record));
    }
    page.records = std::move(sent);
    OUTREACH_RETURN_IF_ERROR(snapshot.Commit());
    return page;
  }

  Result<std::vector<ConflictedRecord>> ListConflicts() override {
    std::lock_guard lock(reader_.mutex);
    OUTREACH_ASSIGN_OR_RETURN(auto select, reader_.statements.Get(
        "SELECT r.id, r.collection, t.name, r.sequence, r.state FROM records r "
        "JOIN teams t ON t.id = r.team_id WHERE r.conflicts > 0 ORDER BY r.sequence"));
    std::vector<ConflictedRecord> records;
    while (true) {
      OUTREACH_ASSIGN_OR_RETURN(bool row, select->Step());
      if (!row) break;
      records.push_back(ConflictedRecord{std::string(select->ColumnText(0)),
                                         std::string(select->ColumnText(1)),
                                         std::string(select->ColumnText(2)),
                                         select->ColumnInt64(3), BlobText(*select, 4)});
    }
    return records;
  }

  Result<StoreStats> Stats() override {
    std::lock_guard lock(reader_.mutex);
    OUTREACH_ASSIGN_OR_RETURN(auto select, reader_.statements.Get(
        "SELECT (SELECT count(*) FROM records), (SELECT count(*) FROM changes), "
        "(SELECT count(*) FROM devices WHERE revoked = 0), "
        "(SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'last_sequence')"));
    OUTREACH_RETURN_IF_ERROR(select->Step().status());
    StoreStats stats{select->ColumnInt64(0), select->ColumnInt64(1), select->ColumnInt64(2), 0,
                     select->ColumnInt64(3)};
    std::error_code error;
    for (const char* suffix : {"", "-wal"}) {
      const auto size = std::filesystem::file_size(path_ + suffix, error);
      if (!error) stats.bytes += static_cast<std::int64_t>(size);
    }
    return stats;
  }

 private:
  // A page of `team_id`'s records after `after`: with their states, or (`rowids` given) from
  // the index alone, without them but with each record's rowid. Under reader_.mutex.
  Result<PullPage> PullRows(std::string_view team_id, std::int64_t after, std::size_t limit,
                            std::vector<std::int64_t>* rowids = nullptr) {
    const bool states = rowids == nullptr;
    OUTREACH_ASSIGN_OR_RETURN(
        auto select,
        reader_.statements.Get(states ? "SELECT sequence, state FROM records WHERE team_id = ? "
                                        "AND sequence > ? ORDER BY sequence LIMIT ?"
                                      : "SELECT sequence, rowid FROM records WHERE team_id = ? "
                                        "AND sequence > ? ORDER BY sequence LIMIT ?"));
    OUTREACH_RETURN_IF_ERROR(select->BindText(1, team_id));
    OUTREACH_RETURN_IF_ERROR(select->BindInt64(2, after));
    // One more than asked: whether there is more, without a second query.
    OUTREACH_RETURN_IF_ERROR(select->BindInt64(3, static_cast<std::int64_t>(limit) + 1));
    PullPage page;
    while (true) {
      OUTREACH_ASSIGN_OR_RETURN(bool row, select->Step());
      if (!row) break;
      if (page.records.size() == limit) {
        page.has_more = true;
        break;
      }
      page.last_sequence = select->ColumnInt64(0);
      page.records.push_back(
          PulledRecord{page.last_sequence, states ? BlobText(*select, 1) : std::string()});
      if (!states) rowids->push_back(select->ColumnInt64(1));
    }
    return page;
  }

  // `sql`: kDeviceById or kDeviceByToken.
  Result<std::optional<Device>> DeviceWhere(Connection& connection, const char* sql,
                                            std::string_view value) {
    OUTREACH_ASSIGN_OR_RETURN(auto select, connection.statements.Get(sql));
    OUTREACH_RETURN_IF_ERROR(select->BindText(1, value));
    OUTREACH_ASSIGN_OR_RETURN(bool found, select->Step());
    if (!found) return std::optional<Device>();
    return std::optional<Device>(DeviceFromRow(*select));
  }

  // The writer, locked, its commits synced: a sighting's commit is not (TouchDevice), and
  // should setting that back have failed, it is set back here before any other write.
  Result<std::unique_lock<std::mutex>> LockWriter() {
    std::unique_lock lock(writer_.mutex);
    if (writer_relaxed_) {
      OUTREACH_RETURN_IF_ERROR(writer_.db->SetSynchronous(storage::Synchronous::kFull));
      writer_relaxed_ = false;
    }
    return lock;
  }

  Connection writer_;
  bool writer_relaxed_ = false;  // the writer's commits may not be synced (under its mutex)
  Connection reader_;
  std::string path_;
};

}  // namespace

Result<std::unique_ptr<ServerStore>> OpenSqliteServerStore(const std::string& path,
                                                           std::span<const std::uint8_t> raw_key,
                                                           const std::string& base_vfs) {
  const auto key = storage::KeySource::RawKey(raw_key);
  OUTREACH_RETURN_IF_ERROR(key.Validate());
  storage::OpenOptions options;
  options.cache_size_kib = 32 * 1024;
  options.base_vfs = base_vfs;
  std::error_code error;
  const bool exists = std::filesystem::exists(path, error);
  // The writer's checkpoints run beside it: a push leaves copying the WAL to a thread of its own.
  storage::OpenOptions writer_options = options;
  writer_options.checkpoint_in_background = true;
  auto writer = exists ? storage::Database::Open(path, key, writer_options)
                       : storage::Database::Create(path, key, writer_options);
  if (!writer.ok()) return writer.status();
  OUTREACH_RETURN_IF_ERROR((*writer)->Exec(kSchema));
  // A store that cannot be moved now (a full disk, say) works as it is, only slower; the
  // move is tried again at the next open. Deletes zero what they free, whatever it left.
  (void)MoveRecordsToCurrentLayout(**writer, kSchema);
  OUTREACH_RETURN_IF_ERROR((*writer)->SetSecureDelete(storage::SecureDelete::kZeroed));
  OUTREACH_ASSIGN_OR_RETURN(auto reader, storage::Database::Open(path, key, options));
  return std::unique_ptr<ServerStore>(
      new SqliteServerStore(std::move(writer).value(), std::move(reader), path));
}

}  // namespace outreach::server
