// The replica survives SIGKILL between any two of its steps: a child process writes as fast as
// it can and reports each committed write on a pipe; after each kill the parent reopens and
// finds every reported write in the outbox exactly once, and every record's view equal to its
// confirmed state with the outbox applied.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <random>
#include <set>
#include <thread>

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

storage::OpenOptions Options() {
  storage::OpenOptions options;
  options.kdf = storage::KdfParams::FastForTests();
  options.wal_autocheckpoint_pages = 16;  // kills land in checkpoints too
  return options;
}

std::unique_ptr<Replica> OpenReplica(storage::Database* db, const schema::SchemaRegistry* schemas,
                                     model::PhysicalClock* clock) {
  auto replica = Replica::Open(db, schemas, clock,
                               ReplicaIdentity{"tablet-1", "user-1", "worker", "team-a"});
  return replica.ok() ? std::move(replica).value() : nullptr;
}

// The child: create a few records, then edit them until killed, reporting each commit.
[[noreturn]] void WriteUntilKilled(const std::string& path, const schema::SchemaRegistry* schemas,
                                   int report_fd, std::int64_t first_number) {
  model::SystemClock clock;
  auto db = storage::Database::Open(path, storage::KeySource::Passcode("pin"), Options());
  if (!db.ok()) _exit(2);
  auto replica = OpenReplica(db->get(), schemas, &clock);
  if (replica == nullptr) _exit(3);
  auto existing = replica->Query("young_person");
  if (!existing.ok()) _exit(4);
  std::vector<std::string> ids;
  for (const Json& values : *existing) ids.push_back(values["id"].get<std::string>());
  for (std::int64_t number = first_number;; ++number) {
    Status status;
    if (ids.size() < 5) {
      auto id = replica->Create("young_person", Json{{"known_as", "name-" + std::to_string(number)},
                                                     {"team_id", "team-a"},
                                                     {"caseload_owner", "user-1"}});
      status = id.status();
      if (id.ok()) ids.push_back(*id);
    } else {
      const std::string& id = ids[static_cast<std::size_t>(number) % ids.size()];
      status = replica->Update(id, Json{{"known_as", "name-" + std::to_string(number)},
                                        {"aliases", Json::array({"a" + std::to_string(number % 3)})}});
    }
    if (!status.ok()) _exit(5);
    if (::write(report_fd, &number, sizeof(number)) != sizeof(number)) _exit(6);
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
  std::int64_t committed = 0;  // writes known to be in the outbox
  for (int round = 0; round < kRounds; ++round) {
    int pipe_fds[2];
    ASSERT_EQ(::pipe(pipe_fds), 0);
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      ::close(pipe_fds[0]);
      WriteUntilKilled(path, &schemas, pipe_fds[1], committed + 1);
    }
    ::close(pipe_fds[1]);
    std::this_thread::sleep_for(std::chrono::milliseconds(20 + rng() % 80));
    ::kill(child, SIGKILL);
    int wait_status = 0;
    ::waitpid(child, &wait_status, 0);
    ASSERT_TRUE(WIFSIGNALED(wait_status)) << "the writer stopped by itself: " << wait_status;
    std::int64_t reported = committed, number = 0;
    while (::read(pipe_fds[0], &number, sizeof(number)) == sizeof(number)) reported = number;
    ::close(pipe_fds[0]);

    model::SystemClock clock;
    ASSERT_OK_AND_ASSIGN(auto db, storage::Database::Open(path, storage::KeySource::Passcode("pin"), Options()));
    ASSERT_OK_AND_ASSIGN(std::string check, db->IntegrityCheck());
    ASSERT_EQ(check, "ok");
    auto replica = OpenReplica(db.get(), &schemas, &clock);
    ASSERT_NE(replica, nullptr);
    ASSERT_OK_AND_ASSIGN(auto pending, replica->Outbox(OutboxStatus::kPending));
    std::set<std::string> change_ids;
    for (const OutboxEntry& entry : pending) change_ids.insert(entry.change.change_id);
    ASSERT_EQ(change_ids.size(), pending.size()) << "a change is in the outbox twice";
    // Every reported write is there; at most one more committed before its report.
    const auto in_outbox = static_cast<std::int64_t>(pending.size());
    ASSERT_TRUE(in_outbox == reported || in_outbox == reported + 1)
        << "outbox " << in_outbox << ", reported " << reported;
    committed = in_outbox;
    // The view committed with its outbox entry: the last committed write is what a record
    // says, and no record says anything later than that.
    ASSERT_OK_AND_ASSIGN(auto records, replica->Query("young_person"));
    bool last_write_visible = committed == 0;
    for (const Json& values : records) {
      const std::string name = values["known_as"].get<std::string>();
      const std::int64_t number = std::stoll(name.substr(5));
      EXPECT_LE(number, committed);
      last_write_visible = last_write_visible || number == committed;
      ASSERT_OK_AND_ASSIGN(RecordView view, replica->Get(values["id"].get<std::string>()));
      EXPECT_EQ(view.values, values);
      EXPECT_TRUE(view.has_pending_changes);
    }
    EXPECT_TRUE(last_write_visible) << "write " << committed << " is in the outbox but not in the view";
  }
  EXPECT_GT(committed, kRounds) << "the writer hardly wrote anything";
}

}  // namespace
}  // namespace outreach::replica
