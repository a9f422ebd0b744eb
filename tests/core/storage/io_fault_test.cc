// I/O faults, SQLite-style: a fixed workload of five transactions runs once per fault point,
// with the Nth read, write or sync under the encryption failing as a full (ENOSPC) or failing
// (EIO) disk would, for every N the fault-free workload reaches. Each time the error must reach
// the caller, and the database must then hold exactly the last successful commit: after a crash
// right at the error (a copy without -shm, so SQLite recovers from the WAL), and after the
// connection is closed and the database reopened.
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/storage/database.h"
#include "core/storage/database_internal.h"
#include "tests/testing/fault_vfs.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace outreach::storage {
namespace {

using ::outreach::testing::FaultCounts;
using ::outreach::testing::FaultKind;
using ::outreach::testing::FaultOp;
using ::outreach::testing::FaultVfs;
using ::outreach::testing::IsOk;
using ::outreach::testing::StatusIs;

constexpr int kTxnCount = 5;
constexpr std::size_t kBodySize = 500;
constexpr int kAutoCheckpointPages = 8;
constexpr int kCacheKib = 32;
constexpr char kPasscode[] = "fault-test-passcode";

OpenOptions FaultOptions() {
  OpenOptions options;
  options.kdf = KdfParams::FastForTests();
  options.base_vfs = FaultVfs::Name();
  // A checkpoint every transaction or two, so faults also hit the copy into the database file.
  options.wal_autocheckpoint_pages = kAutoCheckpointPages;
  // A page cache smaller than one transaction: statements read pages back through the VFS (from
  // the WAL and the database) and transactions spill uncommitted frames into the WAL, so faults
  // hit those paths too.
  options.cache_size_kib = kCacheKib;
  return options;
}

// ---- the workload and its model -----------------------------------------------------------------

// One step of a workload transaction over ids [first, last].
struct Step {
  enum Kind { kInsert, kUpdate, kDelete } kind;
  std::int64_t first;
  std::int64_t last;
};

// 40 rows of 500 bytes span several pages per transaction; the updates rewrite existing leaves
// and the range delete frees pages, so faults land in splits, overwrites and the freelist too.
const std::vector<Step>& StepsOf(int txn) {
  static const auto* const kSteps = new std::vector<std::vector<Step>>{
      {{Step::kInsert, 1, 40}},
      {{Step::kInsert, 41, 80}},
      {{Step::kUpdate, 1, 20}, {Step::kInsert, 81, 120}},
      {{Step::kDelete, 41, 60}, {Step::kInsert, 121, 160}},
      {{Step::kUpdate, 61, 100}, {Step::kDelete, 1, 10}},
  };
  return (*kSteps)[static_cast<std::size_t>(txn - 1)];
}

// Deterministic per (transaction, id), so an update shows as a different body.
std::string Body(int txn, std::int64_t id) {
  std::string body(kBodySize, ' ');
  std::uint64_t state = static_cast<std::uint64_t>(id) * 7919u + static_cast<std::uint64_t>(txn);
  for (char& c : body) {
    state = state * 6364136223846793005u + 1442695040888963407u;
    c = static_cast<char>('a' + (state >> 33) % 26);
  }
  return body;
}

using Model = std::map<std::int64_t, std::string>;

// The content after the first `txns` transactions of the workload.
Model ExpectedAfter(int txns) {
  Model model;
  for (int txn = 1; txn <= txns; ++txn) {
    for (const Step& step : StepsOf(txn)) {
      for (std::int64_t id = step.first; id <= step.last; ++id) {
        if (step.kind == Step::kDelete) {
          model.erase(id);
        } else if (step.kind == Step::kUpdate) {
          model.at(id) = Body(txn, id);  // the workload only updates rows that exist
        } else {
          model[id] = Body(txn, id);
        }
      }
    }
  }
  return model;
}

Status ApplyStep(Database& db, int txn, const Step& step) {
  if (step.kind == Step::kDelete) {
    OUTREACH_ASSIGN_OR_RETURN(Statement remove,
                              db.Prepare("DELETE FROM notes WHERE id BETWEEN ? AND ?"));
    OUTREACH_RETURN_IF_ERROR(remove.BindInt64(1, step.first));
    OUTREACH_RETURN_IF_ERROR(remove.BindInt64(2, step.last));
    return remove.Run();
  }
  OUTREACH_ASSIGN_OR_RETURN(Statement write,
                            db.Prepare(step.kind == Step::kInsert
                                           ? "INSERT INTO notes(body, id) VALUES (?, ?)"
                                           : "UPDATE notes SET body = ? WHERE id = ?"));
  for (std::int64_t id = step.first; id <= step.last; ++id) {
    OUTREACH_RETURN_IF_ERROR(write.BindText(1, Body(txn, id)));
    OUTREACH_RETURN_IF_ERROR(write.BindInt64(2, id));
    OUTREACH_RETURN_IF_ERROR(write.Run());
  }
  return Status::Ok();
}

// ---- watching the automatic checkpoint ----------------------------------------------------------

// The operations one automatic checkpoint performed (counters before and after) and its result.
struct CheckpointWindow {
  FaultCounts before;
  FaultCounts after;
  int rc = SQLITE_OK;
};

int CountOf(const FaultCounts& counts, FaultOp op) {
  switch (op) {
    case FaultOp::kRead: return counts.reads;
    case FaultOp::kWrite: return counts.writes;
    case FaultOp::kSync: return counts.syncs;
  }
  return 0;
}

struct CheckpointLog {
  std::vector<CheckpointWindow> windows;

  // The checkpoint that performed the `nth` operation of `op`, if one did.
  const CheckpointWindow* Holding(FaultOp op, int nth) const {
    for (const CheckpointWindow& window : windows) {
      if (CountOf(window.before, op) < nth && nth <= CountOf(window.after, op)) return &window;
    }
    return nullptr;
  }
};

// SQLite's own wal_autocheckpoint hook (sqlite3WalDefaultHook in main.c, installed by the
// PRAGMA the Database sets) runs a PASSIVE checkpoint once the WAL holds the configured number of
// frames and discards its result: the transaction has committed by then, and the WAL still holds
// everything, so a failed checkpoint loses nothing and is simply retried by the next one. That
// is the one place SQLite swallows an I/O error by design. This hook does exactly the same and
// also records which operations the checkpoint did, so the test can tell that swallowed fault
// apart from a lost one.
int ObservingAutoCheckpoint(void* arg, sqlite3* db, const char* schema, int frames) {
  if (frames < kAutoCheckpointPages) return SQLITE_OK;
  auto* log = static_cast<CheckpointLog*>(arg);
  CheckpointWindow window;
  window.before = FaultVfs::Counts();
  window.rc = sqlite3_wal_checkpoint(db, schema);
  window.after = FaultVfs::Counts();
  log->windows.push_back(window);
  return SQLITE_OK;
}

// Where the workload stopped.
struct WorkloadRun {
  int committed = 0;              // transactions whose Commit() returned OK
  Status status;                  // the first error, or OK
  bool failed_in_commit = false;  // that error came from Transaction::Commit()
  std::unique_ptr<Database> db;   // open unless Open failed; the caller closes it
};

Status RunTransaction(Database& db, int txn, bool* failed_in_commit) {
  OUTREACH_ASSIGN_OR_RETURN(Transaction transaction, db.Begin());
  for (const Step& step : StepsOf(txn)) OUTREACH_RETURN_IF_ERROR(ApplyStep(db, txn, step));
  Status status = transaction.Commit();
  *failed_in_commit = !status.ok();
  return status;
}

// Opens the database and runs the five transactions, stopping at the first error. Opening is
// part of the workload (its reads of page 1 and the schema are fault points); creating the
// database is not. `log` must outlive the returned connection.
WorkloadRun RunWorkload(const std::string& path, CheckpointLog* log) {
  WorkloadRun run;
  auto db = Database::Open(path, KeySource::Passcode(kPasscode), FaultOptions());
  if (!db.ok()) {
    run.status = db.status();
    return run;
  }
  run.db = std::move(db).value();
  sqlite3_wal_hook(DatabaseInternal::Handle(*run.db), ObservingAutoCheckpoint, log);
  for (int txn = 1; txn <= kTxnCount; ++txn) {
    run.status = RunTransaction(*run.db, txn, &run.failed_in_commit);
    if (!run.status.ok()) break;
    ++run.committed;
  }
  return run;
}

// ---- checking the result ------------------------------------------------------------------------

void CreateDatabase(const std::string& path) {
  FaultVfs::Disarm();
  ASSERT_OK_AND_ASSIGN(auto db,
                       Database::Create(path, KeySource::Passcode(kPasscode), FaultOptions()));
  ASSERT_THAT(db->Exec("CREATE TABLE notes(id INTEGER PRIMARY KEY, body TEXT NOT NULL)"), IsOk());
}

// Copies the database, its WAL and its key file, but not -shm: what a crash right now would
// leave, and opening it makes SQLite rebuild the WAL index from the WAL.
std::string CopyWithoutShm(const std::string& path, const std::string& folder) {
  namespace fs = std::filesystem;
  const std::string copy = folder + "/" + fs::path(path).filename().string();
  fs::copy_file(path, copy);
  fs::copy_file(Database::KeyFilePath(path), Database::KeyFilePath(copy));
  if (fs::exists(path + "-wal")) fs::copy_file(path + "-wal", copy + "-wal");
  return copy;
}

// Ids only: bodies are test data, but messages never carry record contents.
std::string DescribeDifference(const Model& want, const Model& got) {
  std::string text;
  int shown = 0;
  for (const auto& [id, body] : want) {
    const auto found = got.find(id);
    if (found == got.end()) {
      text += " missing " + std::to_string(id);
    } else if (found->second != body) {
      text += " different " + std::to_string(id);
    } else {
      continue;
    }
    if (++shown == 5) return text + " ...";
  }
  for (const auto& [id, body] : got) {
    if (want.count(id) != 0) continue;
    text += " extra " + std::to_string(id);
    if (++shown == 5) return text + " ...";
  }
  return text;
}

// Opens `path` without faults and checks integrity and that the content is the state after
// `committed` transactions, or after `committed` + 1 if `outcome_unknown`. Reports which in
// `*matched`.
void ExpectLastCommit(const std::string& path, int committed, bool outcome_unknown, int* matched) {
  ASSERT_OK_AND_ASSIGN(auto db,
                       Database::Open(path, KeySource::Passcode(kPasscode), FaultOptions()));
  ASSERT_OK_AND_ASSIGN(std::string check, db->IntegrityCheck());
  ASSERT_EQ(check, "ok");
  ASSERT_OK_AND_ASSIGN(auto select, db->Prepare("SELECT id, body FROM notes ORDER BY id"));
  Model content;
  while (true) {
    ASSERT_OK_AND_ASSIGN(bool has_row, select.Step());
    if (!has_row) break;
    content.emplace(select.ColumnInt64(0), std::string(select.ColumnText(1)));
  }
  const Model expected = ExpectedAfter(committed);
  if (content == expected) {
    *matched = committed;
    return;
  }
  if (outcome_unknown && content == ExpectedAfter(committed + 1)) {
    *matched = committed + 1;
    return;
  }
  FAIL() << "the content is not the state after " << committed << " transactions"
         << (outcome_unknown ? " (nor after one more)" : "") << ":"
         << DescribeDifference(expected, content);
}

// ---- the test -----------------------------------------------------------------------------------

struct FaultCase {
  FaultOp op;
  FaultKind kind;
  const char* name;
};

// GoogleTest prints the parameter in failure messages.
void PrintTo(const FaultCase& fault, std::ostream* out) { *out << fault.name; }

// What the fault points of one case came to.
struct Tally {
  int points = 0;
  int reported = 0;                 // the error reached the caller
  int absorbed_by_checkpoint = 0;   // swallowed by SQLite's automatic checkpoint, by design
  int unknown_outcomes = 0;         // a failed commit sync
  int unknown_committed_after_crash = 0;
  int unknown_committed_after_reopen = 0;
};

FaultCounts CountFaultFreeOperations() {
  testing::TempDir dir;
  const std::string path = dir.File("faults.db");
  CreateDatabase(path);
  CheckpointLog log;
  FaultVfs::Disarm();
  WorkloadRun run = RunWorkload(path, &log);
  const FaultCounts counts = FaultVfs::Counts();
  EXPECT_THAT(run.status, IsOk());
  EXPECT_EQ(run.committed, kTxnCount);
  EXPECT_FALSE(log.windows.empty()) << "no automatic checkpoint ran inside the workload";
  run.db.reset();
  int matched = -1;
  ExpectLastCommit(path, kTxnCount, /*outcome_unknown=*/false, &matched);
  return counts;
}

void RunFaultPoint(const FaultCase& fault, int nth, Tally* tally) {
  testing::TempDir dir;
  const std::string path = dir.File("faults.db");
  ASSERT_NO_FATAL_FAILURE(CreateDatabase(path));

  CheckpointLog log;  // outlives run.db, which points at it
  FaultVfs::Arm(fault.op, nth, fault.kind);
  WorkloadRun run = RunWorkload(path, &log);
  const bool fired = FaultVfs::Fired();
  FaultVfs::Disarm();
  // Up to the fault this run repeats the fault-free one, which performed at least nth.
  ASSERT_TRUE(fired) << "the workload never reached the fault";

  const CheckpointWindow* checkpoint = log.Holding(fault.op, nth);
  if (run.status.ok()) {
    // Only the automatic checkpoint may swallow the fault (see ObservingAutoCheckpoint), and
    // then the checkpoint itself must have failed: the fault was seen, not lost.
    ASSERT_NE(checkpoint, nullptr) << "the fault never reached the caller";
    EXPECT_NE(checkpoint->rc, SQLITE_OK) << "the checkpoint hit the fault but reported success";
    EXPECT_EQ(run.committed, kTxnCount);
    ++tally->absorbed_by_checkpoint;
  } else {
    // kIo: "the last successful commit is intact; retry once the fault is gone".
    EXPECT_THAT(run.status, StatusIs(StatusCode::kIo));
    ++tally->reported;
  }

  // A failed commit sync is the one case where the commit may have happened anyway: every frame
  // of the transaction, commit marker included, was written before the sync failed, so WAL
  // recovery may find it. Neither SQLite nor POSIX can say whether it reached the disk; the
  // caller sees an error for a commit that may be durable ("commit outcome unknown"). With
  // SQLite 3.40 a clean close drops it (the WAL index never listed those frames, and closing
  // deletes the WAL) while recovery after a crash keeps it; the tally shows both. Write faults
  // cannot do this: the commit frame is the commit's last write, so a failed write leaves it
  // missing or torn and recovery stops before it.
  const bool outcome_unknown =
      fault.op == FaultOp::kSync && run.failed_in_commit && checkpoint == nullptr;
  if (outcome_unknown) ++tally->unknown_outcomes;

  int matched = -1;
  {
    SCOPED_TRACE("after a crash at the error (recovery from the WAL)");
    testing::TempDir crash_dir;
    const std::string crashed = CopyWithoutShm(path, crash_dir.path());
    ASSERT_NO_FATAL_FAILURE(ExpectLastCommit(crashed, run.committed, outcome_unknown, &matched));
    if (matched > run.committed) ++tally->unknown_committed_after_crash;
  }
  {
    SCOPED_TRACE("after closing and reopening");
    run.db.reset();  // closes, and checkpoints, without faults
    ASSERT_NO_FATAL_FAILURE(ExpectLastCommit(path, run.committed, outcome_unknown, &matched));
    if (matched > run.committed) ++tally->unknown_committed_after_reopen;
  }
}

class IoFaultTest : public ::testing::TestWithParam<FaultCase> {};

TEST_P(IoFaultTest, EveryFaultReachesTheCallerAndLeavesTheLastCommit) {
  const FaultCase& fault = GetParam();
  const FaultCounts counts = CountFaultFreeOperations();
  ASSERT_FALSE(HasFailure());
  const int points = CountOf(counts, fault.op);
  ASSERT_GT(points, 0);

  Tally tally;
  for (int nth = 1; nth <= points; ++nth) {
    SCOPED_TRACE(std::string(fault.name) + " fault at operation " + std::to_string(nth) + " of " +
                 std::to_string(points));
    RunFaultPoint(fault, nth, &tally);
    ++tally.points;
    if (HasFailure()) break;  // one point's failures say enough; hundreds would drown them
  }
  std::cout << "[  faults  ] " << fault.name << ": " << tally.points << " fault points ("
            << counts.reads << " reads, " << counts.writes << " writes, " << counts.syncs
            << " syncs fault-free); " << tally.reported << " reported to the caller, "
            << tally.absorbed_by_checkpoint << " absorbed by the automatic checkpoint, "
            << tally.unknown_outcomes << " failed commit syncs (committed after crash: "
            << tally.unknown_committed_after_crash
            << ", after reopen: " << tally.unknown_committed_after_reopen << ")" << std::endl;
  RecordProperty("fault_points", tally.points);
  RecordProperty("reported", tally.reported);
  RecordProperty("absorbed_by_checkpoint", tally.absorbed_by_checkpoint);
}

// A sync fault is SQLITE_IOERR_FSYNC whatever the kind, and a read fault has no ENOSPC, so only
// writes run both kinds.
INSTANTIATE_TEST_SUITE_P(
    AllOperations, IoFaultTest,
    ::testing::Values(FaultCase{FaultOp::kRead, FaultKind::kIoError, "ReadEio"},
                      FaultCase{FaultOp::kWrite, FaultKind::kNoSpace, "WriteEnospc"},
                      FaultCase{FaultOp::kWrite, FaultKind::kIoError, "WriteEio"},
                      FaultCase{FaultOp::kSync, FaultKind::kIoError, "SyncEio"}),
    [](const ::testing::TestParamInfo<FaultCase>& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace outreach::storage
