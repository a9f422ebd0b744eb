// merge_bench: how fast the merge engine and the device replica are.
//   merge.field_merges: 1,000,000 single-field changes (lww, review, forward, append, set; 10%
//     concurrent with the write before them) merged into 10,000 records; merges per CPU second of
//     the merging thread (wall-clock rate printed too). Target
//     >= 500,000 merges/s.
//   replica.create: replica creates (record + validation + outbox, encrypted, one transaction
//     each) against plain SQLite inserting the same bytes with the same settings, same run.
//     Target ratio <= 2.
// One JSON line each, as storage_bench.
#include <sqlite3.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/merge/merge.h"
#include "core/model/physical_clock.h"
#include "core/replica/replica.h"
#include "core/schema/schema_registry.h"
#include "core/storage/database.h"
#include "core/storage/database_internal.h"

namespace {

using outreach::model::Change;
using outreach::model::Json;
using outreach::model::RecordState;
using outreach::model::Version;
using Clock = std::chrono::steady_clock;

constexpr int kFieldChanges = 1'000'000;
// Changes are merged as the server merges a push: a batch of 1,000 (a client's pushes grow from
// push_batch, 500, to max_push_batch, 2,000: client.h), decoded just before, so the changes
// are as warm as they are on a server.
constexpr int kBatch = 1'000;
constexpr int kRecords = 10'000;
constexpr int kDevices = 4;
constexpr int kCreates = 2'000;

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "merge_bench: %s\n", what.c_str());
  std::exit(1);
}

// CPU seconds of this thread: the target is per core, and on a shared machine wall time would
// also count the time another process held the core.
double ThreadCpuSeconds() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) * 1e-9;
}

double Since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::string RecordId(int index) {
  char id[40];
  std::snprintf(id, sizeof(id), "0190a6c2-0000-7000-8000-%012d", index);
  return id;
}

// One change and the number of the record it is for: the harness keeps the server's states in
// a vector so the timed loop measures the merge, not a string-keyed hash map (a server finds a
// state through its store, which is not part of merging).
struct NumberedChange {
  int record = 0;
  Change change;
};

// Makes the next batch of changes the way devices would: each sees the record as a generator
// replica holds it, except 10% that write from a stale view (concurrent with the last write).
class ChangeMaker {
 public:
  explicit ChangeMaker(const outreach::schema::RecordSchema& schema) : schema_(schema) {}

  std::vector<NumberedChange> NextBatch(int count) {
    std::vector<NumberedChange> batch;
    batch.reserve(static_cast<std::size_t>(count));
    for (int i = 0; i < count; ++i) {
      const int record = static_cast<int>(rng_() % kRecords);
      batch.push_back({record, Next(record)});
    }
    return batch;
  }

 private:
  Change Next(int record) {
    const int device = static_cast<int>(rng_() % kDevices);
    Change change;
    change.change_id = std::to_string(++sequence_);
    change.record_id = RecordId(record);
    change.collection = "contact";
    change.team = "team-a";
    change.schema_version = "1.0";
    change.version = Version{{1'764'000'000'000 + sequence_, 0}, "device-" + std::to_string(device)};
    change.author = "user-" + std::to_string(device);
    RecordState& seen = generator_[change.record_id];
    const bool concurrent = rng_() % 10 == 0;
    switch (rng_() % 5) {
      case 0: Register(change, seen, "contact_type", Json("detached_street"), concurrent); break;
      case 1: Register(change, seen, "location_text", Json("near the bus station"), concurrent); break;
      case 2: Register(change, seen, "status", Json(rng_() % 2 ? "submitted" : "reviewed"), concurrent); break;
      case 3:
        change.appends["summary"].entries.push_back(
            Json{{"id", change.change_id}, {"author", change.author}, {"text", "seen with older boys"}});
        break;
      default:
        change.sets["workers_present"].added.push_back("user-" + std::to_string(rng_() % 6));
        break;
    }
    outreach::merge::MergeInPlace(schema_, seen, change);
    return change;
  }

  void Register(Change& change, const RecordState& seen, const std::string& field, Json value,
                bool concurrent) {
    outreach::model::RegisterWrite write{std::move(value), {}};
    const auto current = seen.registers.find(field);
    if (current != seen.registers.end()) {
      write.base = concurrent ? stale_[change.record_id + field] : current->second.seen;
      stale_[change.record_id + field] = current->second.seen;
    }
    change.registers[field] = std::move(write);
  }

  const outreach::schema::RecordSchema& schema_;
  std::mt19937_64 rng_{42};
  std::int64_t sequence_ = 0;
  std::unordered_map<std::string, RecordState> generator_;
  std::unordered_map<std::string, outreach::model::VersionVector> stale_;
};

void BenchFieldMerges(const outreach::schema::RecordSchema& schema) {
  ChangeMaker maker(schema);
  std::vector<RecordState> server(kRecords);
  double seconds = 0;
  double cpu_seconds = 0;
  int conflicts = 0;
  for (int done = 0; done < kFieldChanges; done += kBatch) {
    const std::vector<NumberedChange> batch = maker.NextBatch(kBatch);
    const auto start = Clock::now();
    const double cpu_start = ThreadCpuSeconds();
    for (const auto& [record, change] : batch) {
      const auto result = outreach::merge::MergeInPlace(schema, server[static_cast<std::size_t>(record)], change);
      if (result.outcome == outreach::merge::Outcome::kRejected) Die("rejected: " + result.reason);
      conflicts += result.outcome == outreach::merge::Outcome::kConflict;
    }
    cpu_seconds += ThreadCpuSeconds() - cpu_start;
    seconds += Since(start);
  }
  const double per_cpu_s = kFieldChanges / cpu_seconds;
  std::printf("{\"bench\":\"merge.field_merges\",\"changes\":%d,\"seconds\":%.4f,"
              "\"cpu_seconds\":%.4f,\"merges_per_cpu_s\":%.0f,\"merges_per_wall_s\":%.0f,"
              "\"conflicts\":%d,\"target_per_s\":500000,\"meets_target\":%s}\n",
              kFieldChanges, seconds, cpu_seconds, per_cpu_s, kFieldChanges / seconds, conflicts,
              per_cpu_s >= 500000 ? "true" : "false");
  std::fflush(stdout);
}

Json ContactValues(int index) {
  return Json{{"created_by", "user-1"},
              {"created_at_device", "2026-11-25T21:04:00Z"},
              {"contact_type", "detached_street"},
              {"occurred_start", "2026-11-25T20:30:00Z"},
              {"occurred_end", "2026-11-25T21:00:00Z"},
              {"location_text", "car park behind the leisure centre " + std::to_string(index)},
              {"workers_present", Json::array({"user-1", "user-2"})},
              {"young_people_present", Json::array({RecordId(index)})},
              {"summary", Json::array({Json{{"id", RecordId(index + 1'000'000)},
                                            {"author", "user-1"},
                                            {"at", "2026-11-25T21:04:00Z"},
                                            {"text", std::string(600, 'n')}}})},
              {"status", "draft"}};
}

void Exec(sqlite3* db, const std::string& sql) {
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) Die(sqlite3_errmsg(db));
}

// Plain SQLite with the replica's settings, and the two tables the replica writes per create
// (no indexes): the baseline.
class PlainInserts {
 public:
  explicit PlainInserts(const std::string& path) {
    if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                        nullptr) != SQLITE_OK) {
      Die("cannot open plain database");
    }
    Exec(db_, "PRAGMA page_size=4096; PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
              " PRAGMA temp_store=MEMORY; PRAGMA mmap_size=0; PRAGMA cache_size=-8192;"
              " PRAGMA wal_autocheckpoint=" +
                  std::to_string(outreach::storage::OpenOptions{}.wal_autocheckpoint_pages) + ";"
              " CREATE TABLE view(id INTEGER PRIMARY KEY, state BLOB);"
              " CREATE TABLE outbox(id INTEGER PRIMARY KEY, change BLOB);");
    sqlite3_prepare_v2(db_, "INSERT INTO view(state) VALUES (?)", -1, &insert_view_, nullptr);
    sqlite3_prepare_v2(db_, "INSERT INTO outbox(change) VALUES (?)", -1, &insert_outbox_, nullptr);
  }
  ~PlainInserts() {
    sqlite3_finalize(insert_view_);
    sqlite3_finalize(insert_outbox_);
    sqlite3_close(db_);
  }
  // One transaction per row, as the replica commits one per create.
  void Insert(const std::array<std::string, 2>& row) {
    Exec(db_, "BEGIN");
    sqlite3_bind_blob(insert_view_, 1, row[0].data(), static_cast<int>(row[0].size()), SQLITE_STATIC);
    sqlite3_step(insert_view_);
    sqlite3_reset(insert_view_);
    sqlite3_bind_blob(insert_outbox_, 1, row[1].data(), static_cast<int>(row[1].size()),
                      SQLITE_STATIC);
    sqlite3_step(insert_outbox_);
    sqlite3_reset(insert_outbox_);
    Exec(db_, "COMMIT");
  }

 private:
  sqlite3* db_ = nullptr;
  sqlite3_stmt* insert_view_ = nullptr;
  sqlite3_stmt* insert_outbox_ = nullptr;
};

// The rows the replica wrote for its creates after outbox position `*after`: view state and
// change, read as blobs (binary, NUL bytes included). `*after` moves to the last.
std::vector<std::array<std::string, 2>> RowsWritten(sqlite3* handle, std::int64_t* after) {
  std::vector<std::array<std::string, 2>> rows;
  sqlite3_stmt* select = nullptr;
  sqlite3_prepare_v2(handle,
                     "SELECT v.state, o.change, o.seq FROM local_view v JOIN outbox o "
                     "ON o.record_id = v.record_id WHERE o.seq > ? ORDER BY o.seq", -1, &select, nullptr);
  sqlite3_bind_int64(select, 1, *after);
  const auto column = [&](int index) {
    const auto* bytes = static_cast<const char*>(sqlite3_column_blob(select, index));
    return std::string(bytes == nullptr ? "" : bytes,
                       static_cast<std::size_t>(sqlite3_column_bytes(select, index)));
  };
  while (sqlite3_step(select) == SQLITE_ROW) {
    rows.push_back({column(0), column(1)});
    *after = sqlite3_column_int64(select, 2);
  }
  sqlite3_finalize(select);
  return rows;
}

void BenchReplicaCreate(const outreach::schema::SchemaRegistry& schemas, const std::string& folder) {
  using namespace outreach;
  storage::OpenOptions options;
  options.kdf = storage::KdfParams::FastForTests();
  auto db = storage::Database::Create(folder + "/device.db", storage::KeySource::Passcode("pin"), options);
  if (!db.ok()) Die(db.status().ToString());
  model::SystemClock clock;
  auto replica = replica::Replica::Open(db->get(), &schemas, &clock,
                                        replica::ReplicaIdentity{"tablet-1", "user-1", "worker", "team-a"});
  if (!replica.ok()) Die(replica.status().ToString());
  PlainInserts plain(folder + "/plain.db");
  sqlite3* handle = storage::DatabaseInternal::Handle(**db);
  // Alternating rounds: the disk's speed (one fdatasync per commit on both sides) drifts over
  // seconds on a shared machine, and both sides see the same drift.
  constexpr int kRounds = 10;
  static_assert(kCreates % kRounds == 0, "every round creates as many");
  double replica_s = 0;
  double plain_s = 0;
  double replica_cpu_s = 0;  // user + kernel time of this thread, waits for the disk excluded
  double plain_cpu_s = 0;
  std::int64_t written = 0;  // outbox position of the last row copied
  for (int round = 0; round < kRounds; ++round) {
    auto start = Clock::now();
    double cpu_start = ThreadCpuSeconds();
    for (int i = 0; i < kCreates / kRounds; ++i) {
      auto id = (*replica)->Create("contact", ContactValues(round * (kCreates / kRounds) + i));
      if (!id.ok()) Die(id.status().ToString());
    }
    replica_s += Since(start);
    replica_cpu_s += ThreadCpuSeconds() - cpu_start;
    const auto rows = RowsWritten(handle, &written);
    start = Clock::now();
    cpu_start = ThreadCpuSeconds();
    for (const auto& row : rows) plain.Insert(row);
    plain_s += Since(start);
    plain_cpu_s += ThreadCpuSeconds() - cpu_start;
  }
  const double ratio = replica_s / plain_s;
  std::printf("{\"bench\":\"replica.create\",\"records\":%d,\"plain_s\":%.4f,\"replica_s\":%.4f,"
              "\"ratio\":%.3f,\"replica_per_s\":%.0f,\"plain_cpu_s\":%.4f,\"replica_cpu_s\":%.4f,"
              "\"target_ratio\":2.00,\"meets_target\":%s}\n",
              kCreates, plain_s, replica_s, ratio, kCreates / replica_s, plain_cpu_s, replica_cpu_s,
              ratio <= 2.0 ? "true" : "false");
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  std::string schema_dir = OUTREACH_SCHEMA_DIR;
  std::string only;  // merge or replica
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.rfind("--schemas=", 0) == 0) schema_dir = arg.substr(10);
    else if (arg.rfind("--only=", 0) == 0) only = arg.substr(7);
    else Die("usage: merge_bench [--schemas=DIR] [--only=merge|replica]");
  }
  auto schemas = outreach::schema::SchemaRegistry::LoadDirectory(schema_dir);
  if (!schemas.ok()) Die(schemas.status().ToString());
  const outreach::schema::RecordSchema* contact = schemas->Find("contact");
  if (contact == nullptr) Die("no contact schema");
  if (only.empty() || only == "merge") BenchFieldMerges(*contact);
  if (only == "merge") return 0;
  const std::string folder = std::string(std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "/tmp") +
                             "/merge-bench-" + std::to_string(::getpid());
  std::filesystem::create_directories(folder);
  BenchReplicaCreate(*schemas, folder);
  std::filesystem::remove_all(folder);
  return 0;
}
