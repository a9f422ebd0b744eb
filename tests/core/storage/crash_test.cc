// Crash safety: a child process commits transactions as fast as it can and reports each commit on
// a pipe; the test SIGKILLs it at random moments. After every kill the store must pass
// integrity_check, hold every reported commit, and hold no transaction in part. Some rounds also
// reopen a copy made without the -shm file, so SQLite has to rebuild its WAL index from the
// sealed WAL alone (recovery reads whole frames through the encrypting VFS). Across all rounds
// no page nonce may appear twice: the children are forks of a process that has sealed pages.
#include <fcntl.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <map>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "core/storage/database.h"
#include "core/storage/internal/page_cipher.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace outreach::storage {
namespace {

using ::outreach::testing::IsOk;

constexpr int kRounds = 24;
// Every other round also checks WAL recovery from a copy without -shm.
constexpr int kCopyEveryNthRound = 2;
constexpr int kMinKillDelayMs = 5;
constexpr int kMaxKillDelayMs = 80;
constexpr int kRowsPerTxn = 3;
constexpr std::size_t kPayloadSize = 300;
constexpr char kPasscode[] = "crash-test-passcode";

// How the committer child ends when it is not killed: the parent reports the reason.
enum ChildExit : int {
  kChildOpenFailed = 10,
  kChildSetupFailed = 11,
  kChildCommitFailed = 12,
  kChildReportFailed = 13,
};

OpenOptions CrashOptions(Synchronous synchronous = Synchronous::kFull) {
  OpenOptions options;
  options.synchronous = synchronous;
  options.kdf = KdfParams::FastForTests();
  // A checkpoint every few commits, so some kills land inside one.
  options.wal_autocheckpoint_pages = 16;
  return options;
}

// Deterministic bytes for row (txn, part): a surviving row either matches exactly or was damaged.
std::vector<std::uint8_t> Payload(std::int64_t txn, int part) {
  std::vector<std::uint8_t> bytes(kPayloadSize);
  std::uint64_t state =
      static_cast<std::uint64_t>(txn) * 1000003u + static_cast<std::uint64_t>(part);
  for (std::uint8_t& byte : bytes) {
    state = state * 6364136223846793005u + 1442695040888963407u;
    byte = static_cast<std::uint8_t>(state >> 56);
  }
  return bytes;
}

std::uint32_t TestSeed() {
  if (const char* text = std::getenv("OUTREACH_TEST_SEED")) {
    return static_cast<std::uint32_t>(std::strtoul(text, nullptr, 10));
  }
  return std::random_device{}();
}

// ---- the child ----------------------------------------------------------------------------------

// The rows of one transaction plus the progress row: the progress row lets the parent check that
// a transaction's effects on two tables survive together.
class Committer {
 public:
  explicit Committer(Database& db) : db_(db) {}

  Status Prepare() {
    OUTREACH_ASSIGN_OR_RETURN(insert_, db_.Prepare(
        "INSERT INTO txn_rows(txn, part, payload) VALUES (?, ?, ?)"));
    OUTREACH_ASSIGN_OR_RETURN(progress_, db_.Prepare(
        "UPDATE progress SET last_txn = ?, total_rows = total_rows + ? WHERE id = 1"));
    return Status::Ok();
  }

  Status Commit(std::int64_t txn) {
    OUTREACH_ASSIGN_OR_RETURN(Transaction transaction, db_.Begin());
    for (int part = 0; part < kRowsPerTxn; ++part) {
      const std::vector<std::uint8_t> payload = Payload(txn, part);
      OUTREACH_RETURN_IF_ERROR(insert_->BindInt64(1, txn));
      OUTREACH_RETURN_IF_ERROR(insert_->BindInt64(2, part));
      OUTREACH_RETURN_IF_ERROR(insert_->BindBlob(3, payload));
      OUTREACH_RETURN_IF_ERROR(insert_->Run());
    }
    OUTREACH_RETURN_IF_ERROR(progress_->BindInt64(1, txn));
    OUTREACH_RETURN_IF_ERROR(progress_->BindInt64(2, kRowsPerTxn));
    OUTREACH_RETURN_IF_ERROR(progress_->Run());
    return transaction.Commit();
  }

 private:
  Database& db_;
  std::optional<Statement> insert_;
  std::optional<Statement> progress_;
};

Result<std::int64_t> LastTxn(Database& db) {
  OUTREACH_ASSIGN_OR_RETURN(Statement select, db.Prepare("SELECT last_txn FROM progress"));
  OUTREACH_ASSIGN_OR_RETURN(bool has_row, select.Step());
  if (!has_row) return InternalError("no progress row");
  return select.ColumnInt64(0);
}

// Runs in the forked child: commits txn after txn and writes each committed number (8 bytes,
// atomic on a pipe) only after Commit() returned OK. Never returns; _exit skips the parent's
// atexit handlers and GoogleTest's state, which belong to the parent.
[[noreturn]] void RunCommitter(const std::string& path, Synchronous synchronous, int report_fd) {
  auto db = Database::Open(path, KeySource::Passcode(kPasscode), CrashOptions(synchronous));
  if (!db.ok()) _exit(kChildOpenFailed);
  Committer committer(**db);
  auto last_txn = LastTxn(**db);
  if (!last_txn.ok() || !committer.Prepare().ok()) _exit(kChildSetupFailed);
  for (std::int64_t txn = *last_txn + 1;; ++txn) {
    if (!committer.Commit(txn).ok()) _exit(kChildCommitFailed);
    if (write(report_fd, &txn, sizeof(txn)) != static_cast<ssize_t>(sizeof(txn))) {
      _exit(kChildReportFailed);
    }
  }
}

// ---- the parent ---------------------------------------------------------------------------------

// Everything one kill left behind, as the parent saw it.
struct RoundOutcome {
  std::vector<std::int64_t> reported;  // txn numbers the child reported, in order
  int exit_status = 0;                 // from waitpid
};

// Starts the committer, kills it after `delay`, and collects its reports.
void RunAndKill(const std::string& path, Synchronous synchronous, std::chrono::milliseconds delay,
                RoundOutcome* outcome) {
  int fds[2];
  ASSERT_EQ(pipe2(fds, O_CLOEXEC), 0) << std::strerror(errno);
  const pid_t pid = fork();
  ASSERT_GE(pid, 0) << std::strerror(errno);
  if (pid == 0) {
    close(fds[0]);
    RunCommitter(path, synchronous, fds[1]);
  }
  close(fds[1]);
  std::this_thread::sleep_for(delay);
  ASSERT_EQ(kill(pid, SIGKILL), 0) << std::strerror(errno);
  ASSERT_EQ(waitpid(pid, &outcome->exit_status, 0), pid) << std::strerror(errno);

  // The child is gone, so read() ends at EOF once the pipe is empty.
  std::vector<std::uint8_t> bytes;
  std::uint8_t buffer[4096];
  while (true) {
    const ssize_t got = read(fds[0], buffer, sizeof(buffer));
    if (got < 0 && errno == EINTR) continue;
    ASSERT_GE(got, 0) << std::strerror(errno);
    if (got == 0) break;
    bytes.insert(bytes.end(), buffer, buffer + got);
  }
  close(fds[0]);
  ASSERT_EQ(bytes.size() % sizeof(std::int64_t), 0u) << "a torn report on the pipe";
  outcome->reported.resize(bytes.size() / sizeof(std::int64_t));
  if (!bytes.empty()) std::memcpy(outcome->reported.data(), bytes.data(), bytes.size());
}

// Opens the store at `path` and checks it: integrity "ok"; transactions 1..last present in full
// and in order, with their exact payloads; the progress row agreeing with them. Returns the last
// transaction in `*last_txn`.
void VerifyStore(const std::string& path, std::int64_t* last_txn) {
  ASSERT_OK_AND_ASSIGN(auto db,
                       Database::Open(path, KeySource::Passcode(kPasscode), CrashOptions()));
  ASSERT_OK_AND_ASSIGN(std::string check, db->IntegrityCheck());
  ASSERT_EQ(check, "ok");

  ASSERT_OK_AND_ASSIGN(auto select,
                       db->Prepare("SELECT txn, part, payload FROM txn_rows ORDER BY txn, part"));
  std::int64_t rows = 0;
  while (true) {
    ASSERT_OK_AND_ASSIGN(bool has_row, select.Step());
    if (!has_row) break;
    // Rows are dense: row r belongs to transaction r / kRowsPerTxn + 1, part r % kRowsPerTxn.
    const std::int64_t want_txn = rows / kRowsPerTxn + 1;
    const int want_part = static_cast<int>(rows % kRowsPerTxn);
    const std::int64_t txn = select.ColumnInt64(0);
    const std::int64_t part = select.ColumnInt64(1);
    ASSERT_EQ(txn, want_txn) << "a transaction is missing or partial before txn " << txn;
    ASSERT_EQ(part, want_part) << "txn " << txn << " is partial";
    const std::vector<std::uint8_t> want = Payload(txn, want_part);
    const std::span<const std::uint8_t> got = select.ColumnBlob(2);
    ASSERT_TRUE(std::equal(got.begin(), got.end(), want.begin(), want.end()))
        << "the payload of txn " << txn << " part " << part << " is damaged";
    ++rows;
  }
  ASSERT_EQ(rows % kRowsPerTxn, 0) << "the last transaction is partial";
  const std::int64_t last = rows / kRowsPerTxn;

  ASSERT_OK_AND_ASSIGN(auto progress, db->Prepare("SELECT last_txn, total_rows FROM progress"));
  ASSERT_OK_AND_ASSIGN(bool has_progress, progress.Step());
  ASSERT_TRUE(has_progress);
  EXPECT_EQ(progress.ColumnInt64(0), last) << "the progress row and the rows disagree";
  EXPECT_EQ(progress.ColumnInt64(1), rows) << "the progress row and the rows disagree";
  *last_txn = last;
}

// Copies the database, its WAL and its key file, but not -shm, into `folder`: opening the copy
// makes SQLite recover the WAL index from the WAL itself.
std::string CopyWithoutShm(const std::string& path, const std::string& folder) {
  namespace fs = std::filesystem;
  const std::string copy = folder + "/" + fs::path(path).filename().string();
  for (const std::string& suffix : {std::string(), std::string("-wal"), std::string(".key")}) {
    const std::string from = suffix == ".key" ? Database::KeyFilePath(path) : path + suffix;
    const std::string to = suffix == ".key" ? Database::KeyFilePath(copy) : copy + suffix;
    if (fs::exists(from)) fs::copy_file(from, to);
  }
  return copy;
}

// Every sealed page carries a fresh random 192-bit nonce (FORMAT.md), so one nonce under two
// different tags means a nonce was used twice under the data key. Forked committers are where
// that would happen: a child must not reuse nonces its parent had already drawn into its batch.
// Only the database file is scanned: its pages are whole-page aligned writes a kill cannot tear,
// while the WAL's last frame may be half-written when the child dies.
class NonceLedger {
 public:
  // Records the nonce and tag of every page of `path`; false (with `*reuse` saying where) if a
  // nonce shows up with another tag than before.
  bool Scan(const std::string& path, std::string* reuse) {
    using detail::kPageSize;
    using detail::kReserveBytes;
    using detail::kSealedSize;
    const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      *reuse = "cannot open " + path;
      return false;
    }
    bool ok = true;
    // Only the reserved area of each page: nonce, then tag.
    std::uint8_t reserved[kReserveBytes];
    for (off_t page_offset = 0;
         pread(fd, reserved, sizeof(reserved), page_offset + kSealedSize) ==
         static_cast<ssize_t>(sizeof(reserved));
         page_offset += kPageSize) {
      Nonce nonce;
      Tag tag;
      std::copy_n(reserved, nonce.size(), nonce.begin());
      std::copy_n(reserved + nonce.size(), tag.size(), tag.begin());
      if (nonce == Nonce{}) continue;  // never written
      const auto [seen, inserted] = tags_.emplace(nonce, tag);
      if (!inserted && seen->second != tag) {
        *reuse = "page " + std::to_string(page_offset / kPageSize + 1) + " reuses a nonce";
        ok = false;
        break;
      }
    }
    close(fd);
    return ok;
  }

  std::size_t size() const { return tags_.size(); }

 private:
  using Nonce = std::array<std::uint8_t, detail::kNonceSize>;
  using Tag = std::array<std::uint8_t, detail::kTagSize>;
  std::map<Nonce, Tag> tags_;
};

std::string DescribeExit(int status) {
  if (WIFSIGNALED(status)) return "killed by signal " + std::to_string(WTERMSIG(status));
  if (WIFEXITED(status)) return "exited with code " + std::to_string(WEXITSTATUS(status));
  return "ended with status " + std::to_string(status);
}

TEST(CrashTest, SigkillNeverLosesReportedCommitsNorLeavesPartialTransactions) {
  const std::uint32_t seed = TestSeed();
  std::cout << "[   seed   ] OUTREACH_TEST_SEED=" << seed << std::endl;
  SCOPED_TRACE("OUTREACH_TEST_SEED=" + std::to_string(seed));
  std::mt19937 random(seed);
  std::uniform_int_distribution<int> delay_ms(kMinKillDelayMs, kMaxKillDelayMs);

  testing::TempDir dir;
  const std::string path = dir.File("crash.db");
  {
    ASSERT_OK_AND_ASSIGN(auto db,
                         Database::Create(path, KeySource::Passcode(kPasscode), CrashOptions()));
    ASSERT_THAT(db->Exec("CREATE TABLE txn_rows(txn INTEGER NOT NULL, part INTEGER NOT NULL, "
                         "payload BLOB NOT NULL, PRIMARY KEY (txn, part));"
                         "CREATE TABLE progress(id INTEGER PRIMARY KEY CHECK (id = 1), "
                         "last_txn INTEGER NOT NULL, total_rows INTEGER NOT NULL);"
                         "INSERT INTO progress VALUES (1, 0, 0);"),
                IsOk());
  }  // closed: the child must be the only connection while it runs

  std::int64_t last_txn = 0;
  NonceLedger nonces;
  int rounds_with_commits = 0;
  int recovery_checks = 0;
  // Killed after the commit was durable but before the report: mostly in the commit's fsync,
  // or in the automatic checkpoint, which runs inside Commit() once the commit is in the WAL.
  int unreported_survivors = 0;
  for (int round = 1; round <= kRounds; ++round) {
    const auto delay = std::chrono::milliseconds(delay_ms(random));
    SCOPED_TRACE("round " + std::to_string(round) + ", kill after " +
                 std::to_string(delay.count()) + " ms");
    RoundOutcome outcome;
    // FULL is the default. Under NORMAL a commit does not wait for fsync, so kills spread over
    // frame writes and checkpoint copies instead of piling up in the commit's fsync; a killed
    // process loses nothing the kernel already holds, so every reported commit must survive.
    const Synchronous synchronous = round % 4 < 2 ? Synchronous::kFull : Synchronous::kNormal;
    ASSERT_NO_FATAL_FAILURE(RunAndKill(path, synchronous, delay, &outcome));
    ASSERT_TRUE(WIFSIGNALED(outcome.exit_status) && WTERMSIG(outcome.exit_status) == SIGKILL)
        << "the committer stopped by itself: " << DescribeExit(outcome.exit_status);

    // The child starts after the last surviving transaction and reports in order.
    for (std::size_t i = 0; i < outcome.reported.size(); ++i) {
      ASSERT_EQ(outcome.reported[i], last_txn + 1 + static_cast<std::int64_t>(i));
    }
    if (!outcome.reported.empty()) ++rounds_with_commits;
    const std::int64_t last_reported =
        outcome.reported.empty() ? last_txn : outcome.reported.back();

    std::string reuse;
    ASSERT_TRUE(nonces.Scan(path, &reuse)) << reuse;

    // Copy before the parent opens the original: its close checkpoints and deletes the WAL.
    testing::TempDir copy_dir;
    const bool check_recovery = round % kCopyEveryNthRound == 0;
    const std::string copy = check_recovery ? CopyWithoutShm(path, copy_dir.path()) : "";

    std::int64_t surviving = 0;
    ASSERT_NO_FATAL_FAILURE(VerifyStore(path, &surviving));
    // Every reported commit survives; at most one more (committed, killed before reporting).
    ASSERT_GE(surviving, last_reported) << "a reported commit was lost";
    ASSERT_LE(surviving, last_reported + 1) << "a transaction survived that never committed";
    if (surviving > last_reported) ++unreported_survivors;

    if (check_recovery) {
      SCOPED_TRACE("copy without -shm");
      std::int64_t recovered = 0;
      ASSERT_NO_FATAL_FAILURE(VerifyStore(copy, &recovered));
      ++recovery_checks;
      EXPECT_EQ(recovered, surviving) << "WAL recovery and the WAL index disagree";
    }
    last_txn = surviving;
  }
  std::cout << "[  crash   ] " << kRounds << " kills, " << rounds_with_commits
            << " with reported commits, " << recovery_checks << " WAL recoveries, " << last_txn
            << " transactions survived (" << unreported_survivors
            << " committed but killed before reporting), " << nonces.size()
            << " distinct page nonces" << std::endl;
  RecordProperty("kills", kRounds);
  RecordProperty("transactions", static_cast<int>(last_txn));
  // Without commits the test would prove nothing.
  EXPECT_GT(rounds_with_commits, kRounds / 2);
}

}  // namespace
}  // namespace outreach::storage
