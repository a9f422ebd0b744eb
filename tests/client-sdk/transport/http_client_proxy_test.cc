// Connections cut at exact byte offsets by the test proxy, as a failing mobile link would:
// the client sees a network error and gets through on the next, uncut, connection.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "client-sdk/transport/http_client.h"
#include "tests/client-sdk/transport/transport_test_fixture.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/tcp_proxy.h"

namespace outreach::client {
namespace {

using ::outreach::testing::CutDirection;
using ::outreach::testing::ScriptedResponse;
using ::outreach::testing::TcpProxy;

class HttpClientProxyTest : public TransportTest {
 protected:
  // Through the proxy; the certificate names 127.0.0.1, so TLS still verifies.
  TransportOptions ProxiedOptions() const {
    return Options("https://127.0.0.1:" + std::to_string(proxy_.port()));
  }

  TcpProxy proxy_{server_.port()};
};

TEST_F(HttpClientProxyTest, ResponseCutMidBodyIsRetriedOnANewConnection) {
  const std::string body(64 * 1024, 'b');
  server_.Enqueue(ScriptedResponse::Answer(200, body));
  server_.Enqueue(ScriptedResponse::Answer(200, body));
  proxy_.CutNextConnectionAfter(20'000, CutDirection::kServerToClient);
  ASSERT_OK_AND_ASSIGN(auto client, HttpClient::Create(ProxiedOptions()));
  ASSERT_OK_AND_ASSIGN(HttpResult result, client->Get("/v1/changes", {}));
  EXPECT_EQ(result.body, body);

  const auto connections = proxy_.Connections();
  ASSERT_EQ(connections.size(), 2u);
  EXPECT_TRUE(connections[0].cut);
  EXPECT_EQ(connections[0].server_to_client, 20'000u);  // exactly the offset, not a byte more
  EXPECT_FALSE(connections[1].cut);
  EXPECT_EQ(server_.Requests().size(), 2u);
}

TEST_F(HttpClientProxyTest, RequestCutMidBodyIsRetriedOnANewConnection) {
  const std::string upload(64 * 1024, 'u');
  server_.Enqueue(ScriptedResponse::Answer(200, "applied"));
  proxy_.CutNextConnectionAfter(10'000, CutDirection::kClientToServer);
  ASSERT_OK_AND_ASSIGN(auto client, HttpClient::Create(ProxiedOptions()));
  ASSERT_OK_AND_ASSIGN(HttpResult result,
                       client->Post("/v1/sync", "application/json", upload, {}));
  EXPECT_EQ(result.body, "applied");

  const auto connections = proxy_.Connections();
  ASSERT_EQ(connections.size(), 2u);
  EXPECT_TRUE(connections[0].cut);
  EXPECT_EQ(connections[0].client_to_server, 10'000u);
  const auto requests = server_.Requests();
  ASSERT_EQ(requests.size(), 1u);  // the cut request never arrived whole
  EXPECT_EQ(requests[0].body, upload);
}

TEST_F(HttpClientProxyTest, HandshakeCutIsRetried) {
  server_.Enqueue(ScriptedResponse::Answer(200, "ok"));
  proxy_.CutNextConnectionAfter(100, CutDirection::kBoth);  // inside the TLS handshake
  ASSERT_OK_AND_ASSIGN(auto client, HttpClient::Create(ProxiedOptions()));
  ASSERT_OK_AND_ASSIGN(HttpResult result, client->Get("/v1/schemas", {}));
  EXPECT_EQ(result.body, "ok");
  EXPECT_EQ(proxy_.connections(), 2);
  const auto connections = proxy_.Connections();
  EXPECT_EQ(connections[0].client_to_server + connections[0].server_to_client, 100u);
}

TEST_F(HttpClientProxyTest, RandomCutsAreReproducibleFromTheSeed) {
  // Two proxies with the same seed plan the same offsets (what a failing run needs to replay).
  TcpProxy other{server_.port()};
  proxy_.CutEveryConnectionAtRandom(/*seed=*/42, /*max_bytes=*/5'000);
  other.CutEveryConnectionAtRandom(/*seed=*/42, /*max_bytes=*/5'000);
  server_.SetFallback(ScriptedResponse::Answer(200));
  for (TcpProxy* target : {&proxy_, &other}) {
    TransportOptions options = Options("https://127.0.0.1:" + std::to_string(target->port()));
    options.max_attempts = 4;
    ASSERT_OK_AND_ASSIGN(auto client, HttpClient::Create(options));
    (void)client->Get("/v1/schemas", {});  // each attempt is a connection with a planned cut
  }
  const auto first = proxy_.Connections(), second = other.Connections();
  ASSERT_FALSE(first.empty());
  ASSERT_FALSE(second.empty());
  // Compared as far as both got: a cut past the end of the exchange lets one finish early.
  for (std::size_t index = 0; index < std::min(first.size(), second.size()); ++index) {
    ASSERT_TRUE(first[index].cut_after.has_value());
    EXPECT_EQ(first[index].cut_after, second[index].cut_after) << "connection " << index;
    EXPECT_LE(*first[index].cut_after, 5'000u);
  }
}

}  // namespace
}  // namespace outreach::client
