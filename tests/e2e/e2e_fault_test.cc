// Faults on the way: connections cut at random byte offsets, the server SIGKILLed in the middle
// of a push and restarted, a device whose clock runs a day fast. In every case, after the
// fault is gone, nothing a device saved is lost or duplicated.
#include <atomic>
#include <chrono>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "core/protocol/messages.h"
#include "core/storage/database.h"
#include "core/storage/key_source.h"
#include "tests/e2e/e2e_util.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/tcp_proxy.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/test_scale.h"

namespace outreach::testing {
namespace {

using model::Json;

// The records `device` created (ids), checked present exactly once on `observer`.
void ExpectExactly(Client& observer, const std::vector<std::string>& ids, std::size_t total) {
  ASSERT_OK_AND_ASSIGN(auto contacts, observer.List("contact"));
  EXPECT_EQ(contacts.size(), total);
  std::set<std::string> seen;
  for (const Json& contact : contacts) seen.insert(contact["id"].get<std::string>());
  EXPECT_EQ(seen.size(), contacts.size()) << "a record arrived twice";
  for (const std::string& id : ids) EXPECT_EQ(seen.count(id), 1u) << id;
}

// Once the faults are over: `device` has nothing left to send and nothing refused, and after
// a sync `observer` (a teammate's tablet) holds exactly the `ids` it created, as it does.
void ExpectAllDelivered(Client& device, Client& observer, const std::vector<std::string>& ids) {
  ASSERT_OK_AND_ASSIGN(auto status, device.GetStatus());
  EXPECT_EQ(status.pending, 0);
  EXPECT_EQ(status.rejected, 0);
  ASSERT_OK(SyncUntilQuiet(observer));
  ExpectExactly(observer, ids, ids.size());
  EXPECT_EQ(Snapshot(device), Snapshot(observer));
}

TEST(EndToEndFaults, ConnectionsCutAtRandomOffsetsLoseNothing) {
  TempDir dir;
  ServerProcess server(dir.path());
  TcpProxy proxy(server.port());
  const std::string code = server.NewUserCode("north", "ana", "worker", true);
  // The device talks to the server only through the proxy ("localhost" is in the test cert).
  auto device = Client::Open(dir.File("field"), "passcode", ClientOptions{true, nullptr, {}});
  ASSERT_OK(device.status());
  EnrolOptions enrol;
  enrol.ca_file = server.certificates().ca_file;
  ASSERT_OK((*device)->Enrol("https://localhost:" + std::to_string(proxy.port()), code, enrol));
  // Reopened, so its syncs start on a fresh connection, which the proxy will cut.
  device->reset();
  device = Client::Open(dir.File("field"), "passcode", ClientOptions{true, nullptr, {}});
  ASSERT_OK(device.status());
  auto observer = EnrolDevice(dir.File("office"), server,
                              server.NewUserCode("north", "ben", "worker", false));

  std::vector<std::string> ids;
  // Each round moves ~7 KB; cuts land anywhere in a connection's first 16 KB.
  proxy.CutEveryConnectionAtRandom(/*seed=*/42, /*max_bytes=*/16'000);
  int cuts = 0, failed_syncs = 0;
  const int wanted_cuts = Scaled(100, 20);  // a fifth under the sanitizers
  for (int round = 0; cuts < wanted_cuts; ++round) {
    for (int i = 0; i < 20; ++i) {
      ASSERT_OK_AND_ASSIGN(auto id, (*device)->Create("contact", ContactValues("ana", round * 20 + i)));
      ids.push_back(id);
    }
    failed_syncs += !(*device)->Sync().ok();
    cuts = 0;
    for (const auto& connection : proxy.Connections()) cuts += connection.cut;
    ASSERT_LT(round, 600) << "the proxy is not cutting";
  }
  proxy.StopCutting();
  ASSERT_OK(SyncUntilQuiet(**device));
  ExpectAllDelivered(**device, *observer, ids);
  RecordProperty("cuts", cuts);
  RecordProperty("failed_syncs", failed_syncs);
}

// Bytes the proxy has forwarded towards the server, over all its connections so far.
std::uint64_t BytesToServer(const TcpProxy& proxy) {
  std::uint64_t bytes = 0;
  for (const auto& connection : proxy.Connections()) bytes += connection.client_to_server;
  return bytes;
}

// The server is SIGKILLed while a push is in flight: the proxy has forwarded about as many
// bytes as the push's body (it counts headers and TLS overhead too, so the body has crossed
// roughly, not exactly) and the device has not had its answer. Then it restarts on the same
// data: that push was committed whole or not at all, and the device's next sync leaves nothing
// lost or duplicated.
TEST(EndToEndFaults, ServerKilledMidPushAndRestartedLosesNothing) {
  TempDir dir;
  ServerProcess server(dir.path());
  // The device reaches the server through a relay that counts the bytes it forwards.
  TcpProxy proxy(server.port());
  auto device = Client::Open(dir.File("field"), "passcode", ClientOptions{true, nullptr, {}});
  ASSERT_OK(device.status());
  EnrolOptions enrol;
  enrol.ca_file = server.certificates().ca_file;
  ASSERT_OK((*device)->Enrol("https://localhost:" + std::to_string(proxy.port()),
                             server.NewUserCode("north", "ana", "worker", true), enrol));
  auto observer = EnrolDevice(dir.File("office"), server, server.NewUserCode("north", "ben", "worker", false));

  const int per_round = Scaled(3000, 600);
  SyncOptions options;
  options.push_batch = static_cast<std::size_t>(per_round / 3);  // three pushes a round
  options.first_push_batch = options.push_batch;
  options.max_push_batch = options.push_batch;  // the batches stay that size
  std::vector<std::string> ids;
  int kills_mid_push = 0;
  for (int round = 0; kills_mid_push < 3; ++round) {
    ASSERT_LT(round, 12) << "the kill kept missing the pushes: " << kills_mid_push << " of 3 landed";
    SCOPED_TRACE("round " + std::to_string(round));
    std::vector<Json> contacts;
    for (int i = 0; i < per_round; ++i) contacts.push_back(ContactValues("ana", round * per_round + i));
    ASSERT_OK_AND_ASSIGN(auto created, (*device)->CreateAll("contact", contacts));
    ids.insert(ids.end(), created.begin(), created.end());
    ASSERT_OK(SyncUntilQuiet(*observer));
    ASSERT_OK_AND_ASSIGN(auto before, observer->List("contact"));

    // The push to kill: the first, second or third of the round.
    const int target = 1 + round % 3;
    std::atomic<int> pushes_started{0}, pushes_answered{0};
    std::atomic<std::uint64_t> kill_at_bytes{0};  // 0: the target push has not started
    std::atomic<bool> sync_done{false}, killed{false};
    options.progress = [&](const SyncProgress& progress) {
      if (progress.phase != SyncPhase::kPush) return;
      if (progress.bytes_leaving > 0) {
        // About to leave, its body's size known: the kill waits for that many bytes to cross.
        if (++pushes_started == target) {
          kill_at_bytes = BytesToServer(proxy) + static_cast<std::uint64_t>(progress.bytes_leaving);
        }
      } else {
        ++pushes_answered;
      }
    };
    std::thread killer([&] {
      // Condition-based: polls until about the target push's body has crossed the proxy, for
      // at most two minutes. The bytes first, the end of the sync second: on a busy machine
      // the push can be answered and the sync end before this thread looks.
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(2);
      while (std::chrono::steady_clock::now() < deadline) {
        const std::uint64_t threshold = kill_at_bytes;
        if (threshold != 0 && BytesToServer(proxy) >= threshold) {
          server.Kill();
          killed = true;
          return;
        }
        if (sync_done) return;  // it ended without reaching the target push
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
    });
    const auto synced = (*device)->Sync(options);
    sync_done = true;
    killer.join();
    options.progress = nullptr;
    // The kill landed mid-push only if it happened and the target push never got its answer;
    // the sync then failed. Otherwise (no kill, or the server answered first) the round is
    // done again.
    const bool mid_push = killed && pushes_answered < target;
    if (mid_push) {
      ++kills_mid_push;
      EXPECT_FALSE(synced.ok()) << "the sync went on past a dead server";
      EXPECT_EQ(pushes_started.load(), target) << "no push after the one in flight";
    }
    if (killed) server.Restart();

    // One transaction per push: the one in flight is on the server whole, or not at all.
    ASSERT_OK(SyncUntilQuiet(*observer));
    ASSERT_OK_AND_ASSIGN(auto after, observer->List("contact"));
    const std::size_t answered =
        before.size() + options.push_batch * static_cast<std::size_t>(pushes_answered.load());
    if (mid_push) {
      EXPECT_TRUE(after.size() == answered || after.size() == answered + options.push_batch)
          << after.size() << " records on the server; answered pushes account for " << answered;
    }
    ASSERT_OK(SyncUntilQuiet(**device));
  }
  ExpectAllDelivered(**device, *observer, ids);
  RecordProperty("rounds", static_cast<int>(ids.size()) / per_round);
}

TEST(EndToEndFaults, ADeviceClockADayFastIsCorrectedAndItsWorkKept) {
  TempDir dir;
  ServerProcess server(dir.path());
  model::ManualClock fast(model::SystemClock().NowMs() + 24LL * 3600 * 1000);
  auto device = EnrolDevice(dir.File("field"), server, server.NewUserCode("north", "ana", "worker", true), &fast);
  auto observer = EnrolDevice(dir.File("office"), server, server.NewUserCode("north", "ben", "worker", false));
  std::vector<std::string> ids;
  for (int i = 0; i < 10; ++i) {
    ASSERT_OK_AND_ASSIGN(auto id, device->Create("contact", ContactValues("ana", i)));
    ids.push_back(id);
  }
  ASSERT_OK_AND_ASSIGN(auto summary, device->Sync());
  EXPECT_EQ(summary.pushed, 10);
  // Still a day fast: later writes are stamped from the corrected clock, and accepted.
  ASSERT_OK(device->Update(ids[0], Json{{"location_text", "corrected later"}}));
  ASSERT_OK(SyncUntilQuiet(*device));
  ASSERT_OK(SyncUntilQuiet(*observer));
  ExpectExactly(*observer, ids, ids.size());
  ASSERT_OK_AND_ASSIGN(auto view, observer->Get(ids[0]));
  EXPECT_EQ(view.values["location_text"], "corrected later");
}


// A stored outbox change damaged on the device (the page cipher makes this all but impossible,
// but a push sends the outbox as stored, undecoded): the server refuses the body, and the sync
// says the device's store is corrupt, not that the server speaks an older protocol. Nothing
// reaches the server and nothing leaves the outbox.
TEST(EndToEndFaults, ADamagedOutboxChangeIsReportedAsCorruptAndKept) {
  TempDir dir;
  ServerProcess server(dir.path());
  const std::string field = dir.File("field");
  auto device = EnrolDevice(field, server, server.NewUserCode("north", "ana", "worker", true));
  ASSERT_OK((*device).Create("contact", ContactValues("ana", 1)).status());
  ASSERT_OK((*device).Create("contact", ContactValues("ana", 2)).status());
  device.reset();
  {
    ASSERT_OK_AND_ASSIGN(auto db, storage::Database::Open(field + "/device.db",
                                                          storage::KeySource::Passcode(kDevicePasscode)));
    // The older one (opening reads the newest, for the clock). A length far past the end: the
    // archive cannot be read.
    ASSERT_OK(db->Exec("UPDATE outbox SET change = X'FFFFFFFFFFFFFFFF' || change "
                       "WHERE seq = (SELECT MIN(seq) FROM outbox)"));
  }
  auto reopened = Client::Open(field, kDevicePasscode, ClientOptions{true, nullptr, {}});
  ASSERT_OK(reopened.status());
  const auto synced = (*reopened)->Sync();
  EXPECT_EQ(synced.status().code(), StatusCode::kCorrupt) << synced.status().ToString();
  ASSERT_OK_AND_ASSIGN(auto status, (*reopened)->GetStatus());
  EXPECT_EQ(status.pending, 2);
  const std::string stats = server.Admin({"stats"});
  EXPECT_EQ(stats.substr(0, stats.find(" devices=")), "records=0 changes=0 last_sequence=0");
  // Not taken for a server that reads only 1.0: the version it showed is kept.
  reopened->reset();
  ASSERT_OK_AND_ASSIGN(auto db, storage::Database::Open(field + "/device.db",
                                                        storage::KeySource::Passcode(kDevicePasscode)));
  ASSERT_OK_AND_ASSIGN(auto select,
                       db->Prepare("SELECT value FROM client_state WHERE key = 'server_protocol'"));
  ASSERT_OK_AND_ASSIGN(const bool found, select.Step());
  ASSERT_TRUE(found);
  EXPECT_EQ(select.ColumnText(0), protocol::VersionString(protocol::kProtocolVersion));
}

}  // namespace
}  // namespace outreach::testing
