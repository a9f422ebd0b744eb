// Regression (restamp-floor): a tablet a day fast whose first clock_skew refusal is lost (the
// connection cut as the answer comes back) used to keep its lost push's readings, a day ahead,
// as the floor of every re-stamp, and was refused for a day. The server now says what it holds
// of the device, and the device syncs at once.
#include <set>
#include <stdexcept>

#include <gtest/gtest.h>

#include "tests/e2e/e2e_util.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/tcp_proxy.h"
#include "tests/testing/temp_dir.h"

namespace outreach::testing {
namespace {

using model::Json;

constexpr std::int64_t kDayMs = 24LL * 3600 * 1000;
constexpr int kTransportAttempts = client::TransportOptions{}.max_attempts;

// How many bytes the server sends on a fresh connection (TLS handshake included) up to the
// end of a clock_skew answer, measured with a raw device a day fast through `proxy`.
std::uint64_t ClockSkewAnswerEnd(const ServerProcess& server, TcpProxy& proxy, const std::string& code) {
  RawDevice probe = EnrolRaw(server, code);
  client::TransportOptions transport;
  transport.base_url = "https://localhost:" + std::to_string(proxy.port());
  transport.ca_file = server.certificates().ca_file;
  transport.max_attempts = 1;
  auto http = client::HttpClient::Create(transport);
  if (!http.ok()) throw std::runtime_error("transport: " + http.status().ToString());
  probe.http = std::move(http).value();
  protocol::SyncRequest push;
  push.version = protocol::ProtocolVersion{1, 0};  // what a fresh SDK device writes
  push.changes.push_back(probe.NewContact(model::SystemClock().NowMs() + kDayMs, 0));
  const std::size_t before = proxy.Connections().size();
  const auto answer = probe.Sync(push);
  EXPECT_EQ(answer.status, 409) << answer.body;
  const auto connections = proxy.Connections();
  EXPECT_EQ(connections.size(), before + 1);
  return connections.back().server_to_client;
}

// Enrols `device` as worker ana of team north, through `url`.
Status EnrolAna(Client& device, ServerProcess& server, const std::string& url) {
  EnrolOptions enrol;
  enrol.ca_file = server.certificates().ca_file;
  return device.Enrol(url, server.NewUserCode("north", "ana", "worker", true), enrol);
}

TEST(EndToEndClockSkew, ADayFastDeviceWhoseRefusalWasLostSyncsAtOnce) {
  TempDir dir;
  ServerProcess server(dir.path());
  TcpProxy proxy(server.port());
  model::ManualClock fast(model::SystemClock().NowMs() + kDayMs);
  ClientOptions options{true, &fast, {}};
  auto device = Client::Open(dir.File("field"), "passcode", options);
  ASSERT_OK(device.status());
  ASSERT_OK(EnrolAna(**device, server, "https://localhost:" + std::to_string(proxy.port())));
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    ASSERT_OK_AND_ASSIGN(auto id, (*device)->Create("contact", ContactValues("ana", i)));
    ids.push_back(id);
  }
  const std::uint64_t answer_end =
      ClockSkewAnswerEnd(server, proxy, server.NewUserCode("north", "probe", "worker", false));
  // Reopened, so its sync starts on a fresh connection like the probe's.
  device->reset();
  device = Client::Open(dir.File("field"), "passcode", options);
  ASSERT_OK(device.status());

  // The push reaches the server, which refuses it (clock_skew); its answer is cut short. Then
  // the link stays down for the transport's retries: the device never hears the refusal.
  const std::size_t first = proxy.Connections().size();
  proxy.CutNextConnectionAfter(answer_end - 64, CutDirection::kServerToClient);
  for (int attempt = 1; attempt < kTransportAttempts; ++attempt) proxy.CutNextConnectionAfter(0);
  EXPECT_FALSE((*device)->Sync().ok()) << "the refusal was not lost";
  const auto cut = proxy.Connections();
  ASSERT_EQ(cut.size(), first + kTransportAttempts);
  EXPECT_GT(cut[first].client_to_server, 0u);
  EXPECT_GT(cut[first].server_to_client, 0u) << "the server answered; the answer was cut";
  for (std::size_t i = first; i < cut.size(); ++i) EXPECT_TRUE(cut[i].cut) << i;

  // The next sync hears the refusal, with what the server holds of this device (nothing),
  // re-stamps near server time and pushes everything.
  ASSERT_OK_AND_ASSIGN(auto summary, (*device)->Sync());
  EXPECT_EQ(summary.pushed, 5);
  ASSERT_OK_AND_ASSIGN(auto status, (*device)->GetStatus());
  EXPECT_EQ(status.pending, 0);
  EXPECT_EQ(status.rejected, 0);

  // On the server once each, none lost, none duplicated.
  auto observer = EnrolDevice(dir.File("office"), server, server.NewUserCode("north", "ben", "worker", false));
  ASSERT_OK(SyncUntilQuiet(*observer));
  ASSERT_OK_AND_ASSIGN(auto contacts, observer->List("contact"));
  std::set<std::string> seen;
  for (const Json& contact : contacts) seen.insert(contact["id"].get<std::string>());
  EXPECT_EQ(contacts.size(), ids.size());
  EXPECT_EQ(seen, std::set<std::string>(ids.begin(), ids.end()));
  EXPECT_EQ(Snapshot(**device), Snapshot(*observer));
}

// The batch after a push is read from the outbox while that push is on its way. When the push
// is refused for the device's clock, the device re-stamps what is pending: the batch read
// ahead, stamped a day fast, is dropped and read again, so one refusal is all it takes.
TEST(EndToEndClockSkew, ABatchReadAheadOfAClockRefusalIsReadAgainAfterTheRestamp) {
  TempDir dir;
  ServerProcess server(dir.path());
  model::ManualClock fast(model::SystemClock().NowMs() + kDayMs);
  auto device = Client::Open(dir.File("field"), "passcode", ClientOptions{true, &fast, {}});
  ASSERT_OK(device.status());
  ASSERT_OK(EnrolAna(**device, server, server.url()));
  for (int i = 0; i < 5; ++i) ASSERT_OK((*device)->Create("contact", ContactValues("ana", i)).status());

  SyncOptions batches_of_two;
  batches_of_two.push_batch = 2;
  ASSERT_OK_AND_ASSIGN(auto summary, (*device)->Sync(batches_of_two));
  EXPECT_EQ(summary.pushed, 5);
  EXPECT_EQ(summary.rejected, 0);
  // The refused push and its three batches re-stamped (the last answer carried the page).
  EXPECT_EQ(summary.requests, 4);
  ASSERT_OK_AND_ASSIGN(auto status, (*device)->GetStatus());
  EXPECT_EQ(status.pending, 0);
}

}  // namespace
}  // namespace outreach::testing
