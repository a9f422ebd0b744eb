// A device process SIGKILLed at random moments of its sync: the `outreach` CLI syncs a store
// with thousands of unsent creates, edits and notes, and is killed mid-sync several times
// (seeded: at a random moment of the time a sync takes, from its first progress line).
// Then a clean sync: nothing lost, nothing duplicated, and the device's store and the server
// hold byte-equal records (DESIGN.md I1, I2, I3; the SDK's "safe to kill at any moment").
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <limits>
#include <map>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/e2e/e2e_util.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/test_scale.h"

namespace outreach::testing {
namespace {

using model::Json;

// `outreach --dir DIR sync` as a child process, its stderr (the progress lines) on a pipe.
class CliSync {
 public:
  explicit CliSync(const std::string& dir) {
    int pipe_fds[2];
    if (::pipe(pipe_fds) != 0) throw std::runtime_error("pipe");
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(pipe_fds[1], STDERR_FILENO);
      ::close(pipe_fds[0]);
      ::close(pipe_fds[1]);
      if (std::freopen("/dev/null", "w", stdout) == nullptr) ::_exit(126);
      ::setenv("OUTREACH_PASSCODE", kDevicePasscode, 1);
      ::execl(OUTREACH_CLI_BINARY, OUTREACH_CLI_BINARY, "--dir", dir.c_str(), "sync",
              static_cast<char*>(nullptr));
      ::_exit(127);
    }
    ::close(pipe_fds[1]);
    stderr_fd_ = pipe_fds[0];
  }
  ~CliSync() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      Wait();
    }
    ::close(stderr_fd_);
  }
  CliSync(const CliSync&) = delete;
  CliSync& operator=(const CliSync&) = delete;

  using Clock = std::chrono::steady_clock;
  enum class Progress { kLinesCame, kFinished, kStillRunning };

  // Reads the child's stderr until `count` progress lines ("sync: ...") have arrived, the
  // child closes it (it finished), or `until` passes.
  Progress ReadProgress(int count, Clock::time_point until) {
    while (progress_lines_ < count) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now());
      if (left.count() <= 0) return Progress::kStillRunning;
      pollfd ready{stderr_fd_, POLLIN, 0};
      if (::poll(&ready, 1, static_cast<int>(left.count())) <= 0) continue;
      char buffer[4096];
      const ssize_t got = ::read(stderr_fd_, buffer, sizeof buffer);
      if (got <= 0) return Progress::kFinished;
      output_.append(buffer, static_cast<std::size_t>(got));
      std::size_t newline;
      while ((newline = output_.find('\n', scanned_)) != std::string::npos) {
        if (output_.compare(scanned_, 6, "sync: ") == 0) ++progress_lines_;
        scanned_ = newline + 1;
      }
    }
    return Progress::kLinesCame;
  }

  // Reads until `count` progress lines have arrived; false if the child finished first.
  // Waits on the pipe, up to two minutes in all.
  bool AwaitProgressLines(int count) {
    const Progress read = ReadProgress(count, Clock::now() + std::chrono::minutes(2));
    if (read == Progress::kStillRunning) throw std::runtime_error("the CLI's sync shows no progress");
    return read == Progress::kLinesCame;
  }

  void Kill() { ::kill(pid_, SIGKILL); }

  // Reaps the child: its wait status.
  int Wait() {
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return status;
  }

  const std::string& output() const { return output_; }

 private:
  pid_t pid_ = -1;
  int stderr_fd_ = -1;
  std::string output_;
  std::size_t scanned_ = 0;
  int progress_lines_ = 0;
};

TEST(EndToEndDeviceKill, ADeviceKilledMidSyncLosesAndDuplicatesNothing) {
  const std::uint64_t seed = AnnouncedSeed("kill    ");
  SCOPED_TRACE("seed " + std::to_string(seed) + " (replay: OUTREACH_TEST_SEED=" +
               std::to_string(seed) + ")");
  std::mt19937_64 random(seed);
  TempDir dir;
  ServerProcess server(dir.path());
  const std::string field = dir.File("field");
  // Made here (with the tests' cheap key derivation, which the CLI reads from the key file),
  // then closed: from now on only the CLI child opens it, or this test between children.
  EnrolDevice(field, server, server.NewUserCode("north", "ana", "worker", true)).reset();

  // What the device saved, as the server must end up holding it.
  std::vector<std::string> contacts;
  std::map<std::string, std::string> location;              // contact -> its last location
  std::map<std::string, std::set<std::string>> notes;       // contact -> note entry ids
  int made = 0;
  // Offline work between syncs: new contacts, an edit and a note on some earlier ones.
  const auto work_offline = [&](int creates) {
    auto device = Client::Open(field, kDevicePasscode, ClientOptions{true, nullptr, {}});
    ASSERT_OK(device.status());
    std::vector<Json> values;
    for (int i = 0; i < creates; ++i) values.push_back(ContactValues("ana", made++));
    ASSERT_OK_AND_ASSIGN(auto ids, (*device)->CreateAll("contact", values));
    for (std::size_t i = 0; i < ids.size(); ++i) location[ids[i]] = values[i]["location_text"];
    contacts.insert(contacts.end(), ids.begin(), ids.end());
    for (int i = 0; i < 20; ++i) {
      const std::string& id = contacts[random() % contacts.size()];
      const std::string place = "moved #" + std::to_string(made++);
      ASSERT_OK((*device)->Update(id, Json{{"location_text", place}}));
      location[id] = place;
      const Json note{{"text", "note " + place}, {"kind", "fact"}};
      ASSERT_OK_AND_ASSIGN(auto entry, (*device)->Append(id, "observations", note));
      notes[id].insert(entry);
    }
  };

  // Killed mid-sync several times; a kill that comes after the child finished does not count.
  // The moment is uniform over the time a sync takes from its first progress line (a push
  // about to leave) to its end, as measured on the last sync that ran to the end (the first
  // round only measures): a push in flight, an answer being applied, a page pulled. Seeded,
  // so a failing moment replays closely; the timing of the fault is the test's input.
  const int wanted_kills = Scaled(6, 3);
  const int per_round = Scaled(1500, 300);
  int kills = 0;
  std::int64_t sync_ms = 0;  // 0: no sync seen to the end yet, so this one is not killed
  std::int64_t longest_delay_ms = 0;
  for (int round = 0; kills < wanted_kills; ++round) {
    ASSERT_LT(round, 4 * wanted_kills + 1) << "the kills kept missing the syncs: " << kills;
    RecordProperty("rounds", round + 1);
    work_offline(per_round);
    if (::testing::Test::HasFatalFailure()) return;
    CliSync child(field);
    const bool measuring = sync_ms == 0;
    const std::int64_t delay_ms =
        measuring ? std::int64_t{120'000} : static_cast<std::int64_t>(random() % sync_ms);
    if (!measuring) longest_delay_ms = std::max(longest_delay_ms, delay_ms);
    if (child.AwaitProgressLines(1)) {
      const auto first_line = CliSync::Clock::now();
      const auto moment = first_line + std::chrono::milliseconds(delay_ms);
      const auto read = child.ReadProgress(std::numeric_limits<int>::max(), moment);
      if (read == CliSync::Progress::kStillRunning) {
        child.Kill();
      } else {
        sync_ms = std::max<std::int64_t>(1, std::chrono::duration_cast<std::chrono::milliseconds>(
                                                CliSync::Clock::now() - first_line).count());
      }
    }
    const int status = child.Wait();
    // Whatever it wrote before it died is in the pipe: a kill after its last step ("sync:
    // done") came too late to count.
    child.AwaitProgressLines(std::numeric_limits<int>::max());
    if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) {
      kills += child.output().find("sync: done") == std::string::npos;
    } else {
      ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
          << "the CLI's sync failed: " << child.output();
    }
  }
  RecordProperty("kills", kills);
  RecordProperty("sync_ms", static_cast<int>(sync_ms));
  RecordProperty("longest_delay_ms", static_cast<int>(longest_delay_ms));

  // A clean sync, by the same CLI, to the end.
  {
    CliSync child(field);
    EXPECT_FALSE(child.AwaitProgressLines(std::numeric_limits<int>::max())) << "reads to the end";
    const int status = child.Wait();
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << child.output();
  }

  // Nothing lost or duplicated: the team's other tablet sees every contact once, with its last
  // location and every note once.
  auto observer = EnrolDevice(dir.File("office"), server, server.NewUserCode("north", "ben", "worker", false));
  ASSERT_OK(SyncUntilQuiet(*observer));
  ASSERT_OK_AND_ASSIGN(auto listed, observer->List("contact"));
  EXPECT_EQ(listed.size(), contacts.size());
  std::set<std::string> seen;
  for (const Json& values : listed) {
    const std::string id = values["id"].get<std::string>();
    EXPECT_TRUE(seen.insert(id).second) << "contact " << id << " twice";
    EXPECT_EQ(values["location_text"], location[id]) << id;
    std::multiset<std::string> entries;
    for (const Json& entry : values.value("observations", Json::array())) {
      entries.insert(entry["id"].get<std::string>());
    }
    EXPECT_EQ(entries, std::multiset<std::string>(notes[id].begin(), notes[id].end())) << id;
  }
  for (const std::string& id : contacts) EXPECT_EQ(seen.count(id), 1u) << "lost: " << id;

  // The device agrees with the server byte for byte, with nothing left to send or refused.
  {
    auto device = Client::Open(field, kDevicePasscode, ClientOptions{true, nullptr, {}});
    ASSERT_OK(device.status());
    ASSERT_OK_AND_ASSIGN(ClientStatus status, (*device)->GetStatus());
    EXPECT_EQ(status.pending, 0);
    EXPECT_EQ(status.rejected, 0);
  }
  RawDevice office = EnrolRaw(server, server.NewUserCode("north", "owen", "worker", false));
  const CanonicalStates on_server = ServerStates(office);
  EXPECT_EQ(on_server.size(), contacts.size());
  EXPECT_TRUE(DeviceStates(field) == on_server) << "the device and the server disagree";
}

}  // namespace
}  // namespace outreach::testing
