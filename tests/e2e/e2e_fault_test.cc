// Faults on the way: connections cut at random byte offsets, the server SIGKILLed in the middle
// of a push and restarted, a device whose clock runs a day fast. In every case, after the
// fault is gone, nothing a device saved is lost or duplicated.
#include <thread>

#include <gtest/gtest.h>

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

TEST(EndToEndFaults, ConnectionsCutAtRandomOffsetsLoseNothing) {
  TempDir dir;
  ServerProcess server(dir.path());
  TcpProxy proxy(server.port());
  const std::string code = server.NewUserCode("north", "ana", "worker", true);
  // The device talks to the server only through the proxy ("localhost" is in the test cert).
  auto device = Client::Open(dir.File("field"), "passcode", ClientOptions{true, nullptr});
  ASSERT_OK(device.status());
  EnrolOptions enrol;
  enrol.ca_file = server.certificates().ca_file;
  ASSERT_OK((*device)->Enrol("https://localhost:" + std::to_string(proxy.port()), code, enrol));
  // Reopened, so its syncs start on a fresh connection, which the proxy will cut.
  device->reset();
  device = Client::Open(dir.File("field"), "passcode", ClientOptions{true, nullptr});
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
  ASSERT_OK_AND_ASSIGN(auto status, (*device)->GetStatus());
  EXPECT_EQ(status.pending, 0);
  EXPECT_EQ(status.rejected, 0);
  ASSERT_OK(SyncUntilQuiet(*observer));
  ExpectExactly(*observer, ids, ids.size());
  EXPECT_EQ(Snapshot(**device), Snapshot(*observer));
  RecordProperty("cuts", cuts);
  RecordProperty("failed_syncs", failed_syncs);
}

TEST(EndToEndFaults, ServerKilledMidPushAndRestartedLosesNothing) {
  TempDir dir;
  ServerProcess server(dir.path());
  auto device = EnrolDevice(dir.File("field"), server, server.NewUserCode("north", "ana", "worker", true));
  auto observer = EnrolDevice(dir.File("office"), server, server.NewUserCode("north", "ben", "worker", false));
  std::vector<std::string> ids;
  for (int kill = 0; kill < 3; ++kill) {
    for (int i = 0, n = Scaled(3000, 500); i < n; ++i) {
      ASSERT_OK_AND_ASSIGN(auto id, device->Create("contact", ContactValues("ana", kill * 3000 + i)));
      ids.push_back(id);
    }
    std::thread killer([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(150 + 200 * kill));
      server.Kill();
    });
    (void)device->Sync();  // fails, or finishes before the kill
    killer.join();
    server.Restart();
    ASSERT_OK(SyncUntilQuiet(*device));
  }
  ASSERT_OK(SyncUntilQuiet(*observer));
  ExpectExactly(*observer, ids, ids.size());
  EXPECT_EQ(Snapshot(*device), Snapshot(*observer));
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

}  // namespace
}  // namespace outreach::testing
