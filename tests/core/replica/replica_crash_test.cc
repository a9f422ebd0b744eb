// The replica survives SIGKILL between any two of its steps: a child process runs local writes
// (create, update, set edits, delete) and the device's side of sync (MarkSending, MarkAccepted,
// ApplyServerRecord, RestampPending, MarkRejected then FixRejected) as fast as it can, reporting
// each committed write and each acceptance on a pipe (and each change about to be fixed, before
// the fix). After each kill the parent reopens and checks that no change was lost or
// duplicated, that accepted and fixed ones left the outbox, that the outbox stays in clock
// order, and that every record's view equals its confirmed state with the outbox applied.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <random>
#include <set>
#include <thread>

#include "core/merge/merge.h"
#include "core/model/physical_clock.h"
#include "core/replica/replica.h"
#include "core/schema/schema_registry.h"
#include "core/storage/database.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace outreach::replica {
namespace {

using model::Json;

constexpr int kRounds = 20;
// 'W', 'A' or 'F', then a 36-character change id; or 'R' (ready: opened, about to work).
constexpr std::size_t kReportSize = 37;

storage::OpenOptions Options() {
  storage::OpenOptions options;
  options.kdf = storage::KdfParams::FastForTests();
  options.wal_autocheckpoint_pages = 16;  // kills land in checkpoints too
  return options;
}

std::unique_ptr<Replica> OpenReplica(storage::Database* db, const schema::SchemaRegistry* schemas,
                                     model::PhysicalClock* clock) {
  // A team leader's tablet: deleting a record needs one (workers withdraw unsynced creates).
  auto replica = Replica::Open(db, schemas, clock,
                               ReplicaIdentity{"tablet-1", "user-1", "team_leader", "team-a"});
  return replica.ok() ? std::move(replica).value() : nullptr;
}

void Report(int fd, char tag, const std::string& change_id) {
  std::string line(1, tag);
  line += change_id;
  line.resize(kReportSize, ' ');
  if (::write(fd, line.data(), line.size()) != static_cast<ssize_t>(line.size())) _exit(6);
}

std::string NewestPending(Replica& replica) {
  auto pending = replica.Outbox(OutboxStatus::kPending);
  if (!pending.ok() || pending->empty()) _exit(7);
  return pending->back().change.change_id;
}

// The child: every step is one of the replica's transactions; it reports what committed.
[[noreturn]] void WorkUntilKilled(const std::string& path, const schema::SchemaRegistry* schemas,
                                  int report_fd, std::uint64_t seed) {
  model::SystemClock clock;
  auto db = storage::Database::Open(path, storage::KeySource::Passcode("pin"), Options());
  if (!db.ok()) _exit(2);
  auto replica = OpenReplica(db->get(), schemas, &clock);
  if (replica == nullptr) _exit(3);
  auto existing = replica->Query("young_person");
  if (!existing.ok()) _exit(4);
  std::vector<std::string> ids;
  for (const Json& values : *existing) ids.push_back(values["id"].get<std::string>());
  const schema::RecordSchema& schema = *schemas->Find("young_person");
  Report(report_fd, 'R', "");
  std::mt19937_64 rng(seed);
  for (std::uint64_t step = 0;; ++step) {
    const int action = static_cast<int>(rng() % 10);
    Status status;
    if (ids.size() < 5 || action == 0) {
      auto id = replica->Create("young_person", Json{{"known_as", "n" + std::to_string(step)},
                                                     {"team_id", "team-a"},
                                                     {"caseload_owner", "user-1"}});
      status = id.status();
      if (id.ok()) {
        ids.push_back(*id);
        Report(report_fd, 'W', NewestPending(*replica));
      }
    } else if (action <= 4) {
      const std::string& id = ids[rng() % ids.size()];
      status = replica->Update(id, Json{{"known_as", "n" + std::to_string(step)},
                                        {"aliases", Json::array({"a" + std::to_string(step % 3)})}});
      if (status.ok()) Report(report_fd, 'W', NewestPending(*replica));
    } else if (action == 5 && ids.size() > 5) {
      const std::size_t index = rng() % ids.size();
      status = replica->Delete(ids[index], "recorded twice");
      if (status.ok()) {
        Report(report_fd, 'W', NewestPending(*replica));
        ids.erase(ids.begin() + static_cast<std::ptrdiff_t>(index));
      }
    } else if (action == 6) {
      // The server refuses the newest change; the worker fixes it (or discards it, when there
      // is nothing to fix). Reported before: the old id may vanish whether or not it commits.
      auto pending = replica->Outbox(OutboxStatus::kPending);
      if (!pending.ok() || pending->empty()) continue;
      const std::string refused = pending->back().change.change_id;
      status = replica->MarkRejected(refused, "refused by the server");
      if (status.ok()) {
        Report(report_fd, 'F', refused);
        auto fixed = replica->FixRejected(refused, Json::object());
        status = fixed.status();
        if (fixed.ok()) {
          Report(report_fd, 'W', *fixed);
        } else if (status.code() == StatusCode::kInvalidArgument ||
                   status.code() == StatusCode::kFailedPrecondition) {
          status = replica->Discard(refused);  // a delete, or a change the record already says
        }
      }
    } else if (action <= 7) {
      // The device's half of a sync round: push (mark), the server accepts the oldest change,
      // and answers with its (possibly older) copy of the record.
      status = replica->MarkSending();
      auto pending = replica->Outbox(OutboxStatus::kPending);
      if (status.ok() && pending.ok() && !pending->empty()) {
        const model::Change accepted = pending->front().change;
        status = replica->MarkAccepted(accepted.change_id);
        if (status.ok()) {
          Report(report_fd, 'A', accepted.change_id);
          status = replica->ApplyServerRecord(merge::Merge(schema, {}, accepted).state);
        }
      }
    } else {
      status = replica->RestampPending(clock.NowMs());
    }
    if (!status.ok()) _exit(5);
  }
}

TEST(ReplicaCrashTest, SigkillNeverLosesNorDuplicatesPendingChanges) {
  auto loaded = schema::SchemaRegistry::LoadDirectory(OUTREACH_SCHEMA_DIR);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  const schema::SchemaRegistry schemas = std::move(loaded).value();
  testing::TempDir dir;
  const std::string path = dir.File("device.db");
  { ASSERT_TRUE(storage::Database::Create(path, storage::KeySource::Passcode("pin"), Options()).ok()); }

  const char* seed_text = std::getenv("OUTREACH_TEST_SEED");
  const std::uint64_t seed = seed_text != nullptr ? std::strtoull(seed_text, nullptr, 10)
                                                  : std::random_device{}();
  std::cout << "[ crash    ] seed " << seed << " (OUTREACH_TEST_SEED reproduces)" << std::endl;
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937_64 rng(seed);
  std::set<std::string> written, accepted, fixed;
  for (int round = 0; round < kRounds; ++round) {
    int pipe_fds[2];
    ASSERT_EQ(::pipe(pipe_fds), 0);
    const std::uint64_t child_seed = rng();
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      ::close(pipe_fds[0]);
      WorkUntilKilled(path, &schemas, pipe_fds[1], child_seed);
    }
    ::close(pipe_fds[1]);
    // Most kills land 30-150 ms into the worker's steps, counted from when it is ready: opening
    // (and recovering) may take longer than that on a loaded machine, under the sanitizers.
    // One round in four kills it at 0-30 ms from its start instead, in the opening itself.
    char ready[kReportSize];
    if (rng() % 4 == 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(rng() % 30));
    } else {
      ASSERT_EQ(::read(pipe_fds[0], ready, kReportSize), static_cast<ssize_t>(kReportSize))
          << "the worker stopped before it was ready";
      ASSERT_EQ(ready[0], 'R');
      std::this_thread::sleep_for(std::chrono::milliseconds(30 + rng() % 120));
    }
    ::kill(child, SIGKILL);
    int wait_status = 0;
    ::waitpid(child, &wait_status, 0);
    ASSERT_TRUE(WIFSIGNALED(wait_status)) << "the worker stopped by itself: " << wait_status;
    char line[kReportSize];
    while (::read(pipe_fds[0], line, kReportSize) == static_cast<ssize_t>(kReportSize)) {
      if (line[0] == 'R') continue;
      const std::string change_id(line + 1, 36);
      (line[0] == 'W' ? written : line[0] == 'A' ? accepted : fixed).insert(change_id);
    }
    ::close(pipe_fds[0]);

    model::SystemClock clock;
    ASSERT_OK_AND_ASSIGN(auto db, storage::Database::Open(path, storage::KeySource::Passcode("pin"), Options()));
    ASSERT_OK_AND_ASSIGN(std::string check, db->IntegrityCheck());
    ASSERT_EQ(check, "ok");
    auto replica = OpenReplica(db.get(), &schemas, &clock);
    ASSERT_NE(replica, nullptr);
    ASSERT_OK_AND_ASSIGN(auto pending, replica->Outbox(OutboxStatus::kPending));
    ASSERT_OK_AND_ASSIGN(auto rejected, replica->Outbox(OutboxStatus::kRejected));
    std::set<std::string> outbox, kept_rejected;
    for (const OutboxEntry& entry : rejected) kept_rejected.insert(entry.change.change_id);
    model::Version previous;
    for (const OutboxEntry& entry : pending) {
      ASSERT_TRUE(outbox.insert(entry.change.change_id).second) << "a change is in the outbox twice";
      EXPECT_LT(previous, entry.change.version) << "versions go back in writing order";
      previous = entry.change.version;
    }
    // At most one step committed without being reported before the kill.
    int unreported_writes = 0, lost = 0;
    for (const std::string& id : outbox) {
      EXPECT_EQ(accepted.count(id), 0u) << "an accepted change is still pending";
      unreported_writes += written.count(id) == 0;
    }
    for (const std::string& id : written) {
      lost += outbox.count(id) == 0 && accepted.count(id) == 0 && kept_rejected.count(id) == 0 &&
              fixed.count(id) == 0;
    }
    EXPECT_LE(unreported_writes + lost, 1) << "pending changes lost or unaccounted for";
    for (const std::string& id : outbox) written.insert(id);  // the unreported write, if any
    for (const std::string& id : written) {
      const bool left =
          outbox.count(id) == 0 && kept_rejected.count(id) == 0 && fixed.count(id) == 0;
      if (left) accepted.insert(id);  // the unreported acceptance, if any
    }
    EXPECT_THAT(replica->CheckViews(), ::outreach::testing::IsOk());
  }
  std::cout << "[ crash    ] " << written.size() << " changes written, " << accepted.size()
            << " accepted, " << fixed.size() << " rejected and fixed or discarded, over "
            << kRounds << " kills" << std::endl;
  EXPECT_GT(written.size(), static_cast<std::size_t>(kRounds)) << "the worker hardly wrote";
  EXPECT_GT(accepted.size(), 0u);
}

}  // namespace
}  // namespace outreach::replica
