// HttpServer's limits, over TLS and plain TCP alike: each broken limit is answered with its
// status and a JSON error, the offending connection closes, and the server serves the next one.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>

#include "sync-server/http/http_server.h"
#include "tests/sync-server/http/test_connection.h"
#include "tests/sync-server/http/test_server.h"
#include "tests/testing/status_matchers.h"

namespace outreach::server {
namespace {

using ::testing::HasSubstr;
using testing::GetRequest;
using testing::PostRequest;
using testing::TestConnection;
using testing::TestServer;
using Clock = std::chrono::steady_clock;

constexpr auto kShortTimeout = std::chrono::milliseconds(300);

class HttpServerLimitsTest : public ::testing::TestWithParam<bool> {
 protected:
  TestServer::Config Config() const { return {.tls = GetParam()}; }

  // The server still answers a fresh connection.
  static void ExpectServes(TestServer& test_server) {
    ASSERT_OK_AND_ASSIGN(auto connection, test_server.Connect());
    EXPECT_EQ(connection->Exchange(GetRequest("/hello")).status, 200);
  }

  // A GET on a new connection, closed before returning (so it holds no slot meanwhile); 0 if
  // no response came.
  static int StatusOfFreshGet(TestServer& test_server) {
    auto connection = test_server.Connect();
    return connection.ok() ? (*connection)->Exchange(GetRequest("/hello")).status : 0;
  }

  // A JSON error with `status` and `error`, then the connection closes.
  static void ExpectErrorThenClose(TestConnection& connection, int status,
                                   const std::string& error) {
    const auto response = connection.ReadResponse();
    ASSERT_TRUE(response.has_value());
    EXPECT_EQ(response->status, status);
    EXPECT_EQ(response->Header("content-type"), "application/json");
    EXPECT_THAT(response->body, HasSubstr(R"("error":")" + error + R"(")"));
    EXPECT_THAT(response->body, HasSubstr(R"("message":)"));
    EXPECT_EQ(response->Header("connection"), "close");
    EXPECT_TRUE(connection.ReadUntilClosed().has_value());
  }
};

TEST_P(HttpServerLimitsTest, OversizedBodyGets413AndServerServesNextConnection) {
  TestServer::Config config = Config();
  config.limits.max_body_bytes = 1024;
  ASSERT_OK_AND_ASSIGN(auto test_server, TestServer::Start(config));
  const std::string oversized_requests[] = {
      PostRequest("/echo", "text/plain", std::string(4096, 'x')),
      // Content-Length says 1 GiB and not a byte of it is sent: the answer cannot wait for it.
      "POST /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1073741824\r\n\r\n",
      // Chunked: no length up front, so the limit trips while the body arrives.
      "POST /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n800\r\n" +
          std::string(2048, 'x') + "\r\n0\r\n\r\n",
  };
  for (const std::string& request : oversized_requests) {
    ASSERT_OK_AND_ASSIGN(auto connection, test_server->Connect());
    ASSERT_TRUE(connection->Send(request));
    ExpectErrorThenClose(*connection, 413, "body_too_large");
  }
  ExpectServes(*test_server);
}

// A client that sends a whole oversized upload without waiting for an answer (no "Expect:
// 100-continue", or its wait ran out) must still read the 413: closing on the unread rest would
// reset the connection and destroy the answer in flight (a flaky CI failure once).
TEST_P(HttpServerLimitsTest, AWholeOversizedUploadSentBlindStillGetsIts413) {
  TestServer::Config config = Config();
  config.limits.max_body_bytes = 1024;
  ASSERT_OK_AND_ASSIGN(auto test_server, TestServer::Start(config));
  ASSERT_OK_AND_ASSIGN(auto connection, test_server->Connect());
  ASSERT_TRUE(connection->Send(PostRequest("/echo", "text/plain", std::string(6 << 20, 'x'))));
  ExpectErrorThenClose(*connection, 413, "body_too_large");
  ExpectServes(*test_server);
}

TEST_P(HttpServerLimitsTest, HugeHeaderGets431) {
  TestServer::Config config = Config();
  config.limits.max_header_bytes = 4 * 1024;
  ASSERT_OK_AND_ASSIGN(auto test_server, TestServer::Start(config));
  ASSERT_OK_AND_ASSIGN(auto connection, test_server->Connect());
  ASSERT_TRUE(
      connection->Send(GetRequest("/hello", "X-Padding: " + std::string(20000, 'p') + "\r\n")));
  ExpectErrorThenClose(*connection, 431, "header_too_large");
  ExpectServes(*test_server);
}

TEST_P(HttpServerLimitsTest, GarbageGets400) {
  ASSERT_OK_AND_ASSIGN(auto test_server, TestServer::Start(Config()));
  ASSERT_OK_AND_ASSIGN(auto connection, test_server->Connect());
  ASSERT_TRUE(connection->Send(std::string("\x01\x02 not http at all\r\n\r\n", 22)));
  ExpectErrorThenClose(*connection, 400, "bad_request");
  ExpectServes(*test_server);
}

TEST_P(HttpServerLimitsTest, HalfRequestThenStallGets408AndClose) {
  TestServer::Config config = Config();
  config.limits.read_timeout = kShortTimeout;
  ASSERT_OK_AND_ASSIGN(auto test_server, TestServer::Start(config));
  const std::string post = PostRequest("/echo", "text/plain", std::string(100, 'b'));
  // Stalled inside the header, and inside the body.
  for (const std::string& half : {std::string("GET /hello HTTP/1.1\r\nHost: 127."),
                                  post.substr(0, post.size() - 50)}) {
    ASSERT_OK_AND_ASSIGN(auto connection, test_server->Connect());
    const Clock::time_point start = Clock::now();
    ASSERT_TRUE(connection->Send(half));
    ExpectErrorThenClose(*connection, 408, "request_timeout");
    EXPECT_LT(Clock::now() - start, std::chrono::seconds(3));
  }
  ExpectServes(*test_server);
}

TEST_P(HttpServerLimitsTest, SilentConnectionIsClosedWithoutAnAnswer) {
  TestServer::Config config = Config();
  config.limits.read_timeout = kShortTimeout;
  ASSERT_OK_AND_ASSIGN(auto test_server, TestServer::Start(config));
  ASSERT_OK_AND_ASSIGN(auto connection, test_server->Connect());
  EXPECT_EQ(connection->ReadUntilClosed(), "");
}

TEST_P(HttpServerLimitsTest, IdleKeepAliveConnectionIsClosedAfterIdleTimeout) {
  TestServer::Config config = Config();
  config.limits.idle_timeout = kShortTimeout;
  ASSERT_OK_AND_ASSIGN(auto test_server, TestServer::Start(config));
  ASSERT_OK_AND_ASSIGN(auto connection, test_server->Connect());
  ASSERT_TRUE(connection->Send(GetRequest("/hello")));
  ASSERT_TRUE(connection->ReadResponse().has_value());
  const Clock::time_point idle_since = Clock::now();
  EXPECT_EQ(connection->ReadUntilClosed(), "");
  EXPECT_GE(Clock::now() - idle_since, kShortTimeout - std::chrono::milliseconds(50));
}

TEST_P(HttpServerLimitsTest, ConnectionsBeyondMaxGet503AndASlotFreesUp) {
  TestServer::Config config = Config();
  config.limits.max_connections = 2;
  ASSERT_OK_AND_ASSIGN(auto test_server, TestServer::Start(config));
  std::vector<std::unique_ptr<TestConnection>> held;
  for (int index = 0; index < 2; ++index) {
    ASSERT_OK_AND_ASSIGN(auto connection, test_server->Connect());
    ASSERT_EQ(connection->Exchange(GetRequest("/hello")).status, 200);  // accepted and counted
    held.push_back(std::move(connection));
  }
  ASSERT_OK_AND_ASSIGN(auto third, test_server->Connect());
  const auto refused = third->Exchange(PostRequest("/echo", "text/plain", "x"));
  EXPECT_EQ(refused.status, 503);
  EXPECT_THAT(refused.body, HasSubstr(R"("error":"overloaded")"));
  EXPECT_EQ(refused.Header("retry-after"), "1");
  EXPECT_EQ(refused.Header("connection"), "close");
  // The held connections still work, and closing one lets a newcomer in (once the server has
  // seen it go).
  EXPECT_EQ(held[0]->Exchange(GetRequest("/hello")).status, 200);
  held.pop_back();
  third.reset();
  for (int attempt = 0; StatusOfFreshGet(*test_server) != 200; ++attempt) {
    ASSERT_LT(attempt, 50) << "the freed slot never came back";
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

TEST_P(HttpServerLimitsTest, ObserverSeesTheLayersOwnAnswers) {
  TestServer::Config config = Config();
  config.limits.max_body_bytes = 16;
  ASSERT_OK_AND_ASSIGN(auto test_server, TestServer::Start(config));
  for (const std::string& request :
       {PostRequest("/echo", "text/plain", std::string(64, 'x')), std::string("nonsense\r\n\r\n")}) {
    ASSERT_OK_AND_ASSIGN(auto connection, test_server->Connect());
    ASSERT_NE(connection->Exchange(request).status, 0);
  }
  // Two connections: the observer may hear of them in either order.
  const auto observed = test_server->WaitForObserved(2);
  ASSERT_EQ(observed.size(), 2u);
  const bool refusal_first = observed[0].status == 413;
  const testing::ObservedResponse& too_large = observed[refusal_first ? 0 : 1];
  EXPECT_EQ(too_large.status, 413);
  EXPECT_EQ(too_large.method, "POST");
  EXPECT_EQ(too_large.path, "/echo");
  EXPECT_EQ(observed[refusal_first ? 1 : 0].status, 400);
}

INSTANTIATE_TEST_SUITE_P(TlsAndPlain, HttpServerLimitsTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "Tls" : "Plain";
                         });

}  // namespace
}  // namespace outreach::server
